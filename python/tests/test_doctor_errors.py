"""`doctor()` against `doctor --format json`; the exceptions (class and message: the command
line's error text) for a missing path, a file or folder that is not a repository, an
unreadable one and bad arguments; the warnings for a damaged run."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest
from _support import EXAMPLE, REPOS, damaged_campaign, fixture_copy, native_bin, run

import tcbench_rs


def cli_error(args: list) -> str:
    """The message of the native command line's error for `args` (exit 1): the text after
    `tcbench: error: `, with the lines that follow it (a filter's caret)."""
    done = run([native_bin(), "aimrepo", *args])
    assert done.returncode == 1, done.stderr
    text = done.stderr.decode()
    assert text.count("tcbench: error: ") == 1, text
    return text[text.index("tcbench: error: ") + len("tcbench: error: ") :].rstrip("\n")


@pytest.mark.parametrize(
    "name", ["killed", "campaign-quirks", "blobs", "aim317-campaign", "campaign"]
)
def test_doctor_findings_are_the_json_ones(name: str):
    repo = REPOS / name
    done = run([native_bin(), "aimrepo", "doctor", "--aim-repo", repo, "--format", "json"])
    assert done.returncode in (0, 3), done.stderr
    expected = json.loads(done.stdout)["findings"]
    for arg in (repo, str(repo)):
        found = tcbench_rs.doctor(arg)
        assert all(isinstance(f, tcbench_rs.Finding) for f in found)
        assert [
            {
                "severity": f.severity,
                "kind": f.kind,
                "runs": list(f.runs),
                "path": f.path,
                "detail": f.detail,
                "fix": f.fix,
            }
            for f in found
        ] == expected


def test_doctor_names_the_problems_of_a_killed_run():
    found = tcbench_rs.doctor(REPOS / "killed")
    problems = [f for f in found if f.severity == "problem"]
    assert {f.kind for f in problems} >= {"index-empty"}
    empty = next(f for f in problems if f.kind == "index-empty")
    assert len(empty.runs) == 2
    assert empty.fix is not None and empty.fix.startswith("aim storage --repo ")
    # a healthy repository: no problem (notes at most)
    assert [f for f in tcbench_rs.doctor(REPOS / "campaign") if f.severity == "problem"] == []


def test_doctor_names_a_damaged_run(tmp_path: Path):
    repo, run_hash = damaged_campaign(tmp_path)
    found = tcbench_rs.doctor(repo)
    corrupt = [f for f in found if f.kind == "corrupt-chunk"]
    assert len(corrupt) == 1 and corrupt[0].runs == (run_hash,)
    assert corrupt[0].severity == "problem"
    assert corrupt[0].fix is not None and f"rm -y {run_hash}" in corrupt[0].fix


def test_missing_path(tmp_path: Path):
    missing = tmp_path / "nope"
    for call in (tcbench_rs.report, tcbench_rs.doctor):
        with pytest.raises(tcbench_rs.RepositoryNotFoundError) as e:
            call(missing)
        assert isinstance(e.value, FileNotFoundError) and isinstance(
            e.value, tcbench_rs.TcbenchError
        )
        assert "does not exist" in str(e.value)
    assert str(e.value) == cli_error(["doctor", "--aim-repo", missing])


def test_a_file_is_not_a_repository(tmp_path: Path):
    afile = tmp_path / "notes.txt"
    afile.write_text("not a repository\n")
    with pytest.raises(tcbench_rs.RepositoryNotFoundError) as e:
        tcbench_rs.report(afile)
    assert str(e.value) == cli_error(["ls", "--aim-repo", afile])
    assert "is not an Aim repository" in str(e.value)
    with pytest.raises(tcbench_rs.RepositoryNotFoundError):
        tcbench_rs.doctor(afile)


def test_a_folder_without_repositories(tmp_path: Path):
    (tmp_path / "sub").mkdir()
    with pytest.raises(tcbench_rs.RepositoryNotFoundError) as e:
        tcbench_rs.report(tmp_path)
    assert str(e.value) == cli_error(["ls", "--aim-repo", tmp_path])
    assert "none of its subfolders is one" in str(e.value)


def test_an_unreadable_run_database(tmp_path: Path):
    repo = fixture_copy("campaign", tmp_path)
    (repo / ".aim" / "run_metadata.sqlite").write_bytes(b"this is not a SQLite database" * 100)
    with pytest.raises(tcbench_rs.RepositoryError) as e:
        tcbench_rs.report(repo)
    assert not isinstance(e.value, FileNotFoundError)
    assert str(e.value) == cli_error(["ls", "--aim-repo", repo])
    assert "run_metadata.sqlite" in str(e.value)


@pytest.mark.parametrize(
    "kw, cli",
    [
        ({"filter": "hparams.seed =="}, ["--filter", "hparams.seed =="]),
        ({"metrics": ["no-such-metric"]}, ["--metrics", "no-such-metric"]),
        ({"contexts": "no-such-context"}, ["--contexts", "no-such-context"]),
        ({"groupby": ["no_such_param"]}, ["--groupby", "no_such_param"]),
        ({"campaign_id": "42"}, ["--campaign-id", "42"]),
    ],
    ids=["filter", "metric", "context", "groupby", "campaign"],
)
def test_bad_arguments(kw: dict, cli: list, tmp_path: Path):
    with pytest.raises(tcbench_rs.InvalidArgumentError) as e:
        tcbench_rs.report(EXAMPLE, **kw)
    assert isinstance(e.value, ValueError) and isinstance(e.value, tcbench_rs.TcbenchError)
    assert str(e.value) == cli_error(
        ["report", "--aim-repo", EXAMPLE, "--output-folder", tmp_path / "out", *cli]
    )


def test_bad_value_and_repo_arguments():
    with pytest.raises(tcbench_rs.InvalidArgumentError, match="`median` is not one of"):
        tcbench_rs.report(EXAMPLE, value="median")
    with pytest.raises(tcbench_rs.InvalidArgumentError, match="empty"):
        tcbench_rs.report([])
    with pytest.raises(TypeError, match="repo: expected a path"):
        tcbench_rs.report(42)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        tcbench_rs.report(EXAMPLE, metrics=[1, 2])  # type: ignore[list-item]


def test_a_damaged_run_is_left_out_with_a_warning(tmp_path: Path):
    repo, run_hash = damaged_campaign(tmp_path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = tcbench_rs.report(repo)
    damaged = [w for w in caught if issubclass(w.category, tcbench_rs.DamagedRunWarning)]
    assert len(damaged) == 1
    assert str(damaged[0].message).startswith(f"run {run_hash}: ")
    assert issubclass(damaged[0].category, tcbench_rs.TcbenchWarning)
    # stacklevel: the warning points at the caller of report(), this file
    assert Path(damaged[0].filename).resolve() == Path(__file__).resolve()
    (rep,) = got.values()
    assert run_hash not in set(rep.runsinfo["hash"])
    assert rep.runsinfo["hash"].nunique() == 11


def test_other_warnings_are_tcbench_warnings():
    # campaign-quirks: a run lacks `acc` in context test-script
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tcbench_rs.report(REPOS / "campaign-quirks")
    assert caught
    assert all(w.category is tcbench_rs.TcbenchWarning for w in caught)
    assert any("have no `acc` in context `test-script`" in str(w.message) for w in caught)


def test_warnings_can_be_errors(tmp_path: Path):
    repo, _ = damaged_campaign(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error", tcbench_rs.DamagedRunWarning)
        with pytest.raises(tcbench_rs.DamagedRunWarning):
            tcbench_rs.report(repo)
