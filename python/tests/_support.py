"""Shared by the CLI, report and doctor tests: where the project and the native binary are,
running a command line, copying a fixture."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REPOS = ROOT / "testdata" / "repos"
EXAMPLE = ROOT / "examples" / "campaign"


def native_bin() -> Path:
    """The native `tcbench` binary to compare with: TCBENCH_BIN (scripts/test.sh sets it),
    else the release or debug build of this checkout."""
    env = os.environ.get("TCBENCH_BIN")
    candidates = (
        [Path(env)] if env else [ROOT / "target/release/tcbench", ROOT / "target/debug/tcbench"]
    )
    for c in candidates:
        if c.is_file():
            return c
    raise AssertionError(f"no native tcbench binary at {candidates}; build it or set TCBENCH_BIN")


def run(
    argv: Sequence[str | os.PathLike[str]], cwd: Path = ROOT
) -> subprocess.CompletedProcess[bytes]:
    """Runs a command line with a fixed console width, capturing its output as bytes."""
    env = dict(os.environ, COLUMNS="100")
    return subprocess.run(
        [str(a) for a in argv], cwd=cwd, env=env, capture_output=True, timeout=300, check=False
    )


def fixture_copy(name: str, tmp: Path) -> Path:
    """A copy of a fixture repository (testdata/repos/NAME, or `example`) under `tmp`."""
    src = EXAMPLE if name == "example" else REPOS / name
    dst = tmp / name
    shutil.copytree(src, dst, symlinks=True)
    return dst


def damaged_campaign(tmp: Path) -> tuple[Path, str]:
    """A copy of the `campaign` fixture whose first run's meta chunk is damaged (its SST
    files cut in half, as tests/damaged.rs does); returns the copy and the run's hash."""
    repo = fixture_copy("campaign", tmp)
    chunks = repo / ".aim" / "meta" / "chunks"
    run_hash = min(p.name for p in chunks.iterdir())
    ssts = sorted((chunks / run_hash).glob("*.sst"))
    assert ssts, "the fixture's run has no SST file to damage"
    for sst in ssts:
        size = sst.stat().st_size
        with open(sst, "r+b") as f:
            f.truncate(size // 2)
    return repo, run_hash
