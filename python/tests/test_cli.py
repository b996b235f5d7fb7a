"""`tcbench-rs`, the wheel's command: on PATH, the same program as the native `tcbench`
(same bytes out, same exit codes), and no `tcbench` command installed beside it."""

from __future__ import annotations

import importlib.metadata
import shutil
import sysconfig
from pathlib import Path

import pytest
from _support import EXAMPLE, REPOS, ROOT, damaged_campaign, native_bin, run

import tcbench_rs

SCRIPTS = Path(sysconfig.get_path("scripts"))
REPOSITORIES = [EXAMPLE, REPOS / "campaign"]


def tcbench_rs_bin() -> str:
    found = shutil.which("tcbench-rs")
    assert found is not None, "tcbench-rs is not on PATH"
    return found


def test_the_installed_wheel_is_under_test():
    # not the source tree's python/tcbench_rs, which has no native module
    assert (
        Path(tcbench_rs.__file__)
        .resolve()
        .is_relative_to(Path(sysconfig.get_path("purelib")).resolve())
    )
    assert not Path(tcbench_rs.__file__).resolve().is_relative_to(ROOT)


def test_tcbench_rs_is_on_path_and_tcbench_is_not_installed():
    assert Path(tcbench_rs_bin()).resolve() == (SCRIPTS / "tcbench-rs").resolve()
    assert not (SCRIPTS / "tcbench").exists()
    scripts = [
        e.name
        for e in importlib.metadata.distribution("tcbench-rs").entry_points
        if e.group == "console_scripts"
    ]
    assert scripts == ["tcbench-rs"]
    files = [str(f) for f in importlib.metadata.distribution("tcbench-rs").files or []]
    assert not [f for f in files if Path(f).name == "tcbench"], files


@pytest.mark.parametrize("repo", REPOSITORIES, ids=lambda p: p.name if p != EXAMPLE else "example")
@pytest.mark.parametrize(
    "args",
    [
        ["ls"],
        ["ls", "--format", "json"],
        ["properties"],
        ["properties", "--format", "json"],
    ],
    ids=" ".join,
)
def test_same_bytes_as_the_native_binary(repo: Path, args: list[str]):
    ours = run([tcbench_rs_bin(), "aimrepo", *args, "--aim-repo", repo])
    native = run([native_bin(), "aimrepo", *args, "--aim-repo", repo])
    assert ours.returncode == native.returncode == 0, ours.stderr
    assert ours.stdout, "nothing printed"
    assert ours.stdout == native.stdout
    assert ours.stderr == native.stderr


@pytest.mark.parametrize("repo", REPOSITORIES, ids=lambda p: p.name if p != EXAMPLE else "example")
@pytest.mark.parametrize("fmt", ["table", "json", "csv"])
def test_report_same_bytes_and_files_as_the_native_binary(repo: Path, fmt: str, tmp_path: Path):
    out = tmp_path / "out"
    outputs = {}
    for name, program in [("ours", tcbench_rs_bin()), ("native", native_bin())]:
        if out.exists():
            shutil.rmtree(out)
        done = run(
            [
                program,
                "aimrepo",
                "report",
                "--aim-repo",
                repo,
                "--output-folder",
                out,
                "--format",
                fmt,
            ]
        )
        assert done.returncode == 0, done.stderr
        files = {p.relative_to(out): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
        outputs[name] = (done.stdout, done.stderr, files)
    ours, native = outputs["ours"], outputs["native"]
    assert ours[0] and ours[0] == native[0]
    assert ours[1] == native[1]
    assert len(ours[2]) >= 2 and ours[2] == native[2]


def test_usage_error_exits_2():
    ours = run([tcbench_rs_bin(), "aimrepo", "ls", "--no-such-option"])
    native = run([native_bin(), "aimrepo", "ls", "--no-such-option"])
    assert ours.returncode == native.returncode == 2
    assert ours.stdout == b""
    assert b"--no-such-option" in ours.stderr
    # clap names the program as it was called: the rest is the same
    assert ours.stderr.replace(b"tcbench-rs", b"tcbench") == native.stderr


def test_help_exits_0():
    done = run([tcbench_rs_bin(), "--help"])
    assert done.returncode == 0
    assert b"aimrepo" in done.stdout


def test_missing_repository_exits_1(tmp_path: Path):
    missing = tmp_path / "nope"
    ours = run([tcbench_rs_bin(), "aimrepo", "ls", "--aim-repo", missing])
    native = run([native_bin(), "aimrepo", "ls", "--aim-repo", missing])
    assert ours.returncode == native.returncode == 1
    assert ours.stdout == b""
    assert ours.stderr.startswith(b"tcbench: error: ") and b"does not exist" in ours.stderr
    assert ours.stderr == native.stderr


def test_damaged_run_exits_3_like_the_native_binary(tmp_path: Path):
    # exit 3: output produced, a run skipped
    repo, run_hash = damaged_campaign(tmp_path)
    ours = run([tcbench_rs_bin(), "aimrepo", "ls", "--aim-repo", repo])
    native = run([native_bin(), "aimrepo", "ls", "--aim-repo", repo])
    assert ours.returncode == native.returncode == 3
    assert run_hash.encode() in ours.stderr
    assert (ours.stdout, ours.stderr) == (native.stdout, native.stderr)
