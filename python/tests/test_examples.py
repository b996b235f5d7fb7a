"""The README's Python section runs as written: its interactive session (the four calls) is
run as a doctest in the project root, and the two example scripts (pandas, and DuckDB over an
export) are in the README exactly as in examples/python/ and print the output shown there."""

from __future__ import annotations

import doctest
import re
import shutil
import sys
from pathlib import Path

from _support import EXAMPLE, ROOT, run

README = (ROOT / "README.md").read_text(encoding="utf-8")
SECTION = README[README.index("## Python: ") :]
SECTION = SECTION[: SECTION.index("\n## ", 1)]


def blocks(lang: str) -> list[str]:
    """The fenced code blocks of the README's Python section in language `lang`, in order."""
    return re.findall(rf"^```{lang}\n(.*?)^```$", SECTION, flags=re.S | re.M)


def shown_after(script: str) -> str:
    """The ```text block that follows the ```python block holding `script`."""
    at = SECTION.index(script)
    m = re.compile(r"^```text\n(.*?)^```$", re.S | re.M).search(SECTION, at)
    assert m, "no output block after the script"
    return m.group(1)


def test_the_interactive_session_runs_as_shown(monkeypatch) -> None:
    (session,) = blocks("pycon")
    monkeypatch.chdir(ROOT)
    test = doctest.DocTestParser().get_doctest(session, {}, "README", "README.md", 0)
    assert len(test.examples) >= 8, test.examples
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    out: list[str] = []
    result = runner.run(test, out=out.append)
    assert result.failed == 0, "".join(out)


def script_output(name: str, cwd: Path) -> str:
    proc = run([sys.executable, ROOT / "examples" / "python" / name], cwd=cwd)
    assert proc.returncode == 0, proc.stderr.decode()
    return proc.stdout.decode()


def test_the_pandas_example_prints_what_the_readme_shows() -> None:
    script = (ROOT / "examples/python/final_accuracy.py").read_text(encoding="utf-8")
    assert script in blocks("python"), "examples/python/final_accuracy.py differs from the README"
    assert script_output("final_accuracy.py", ROOT) == shown_after(script)


def test_the_duckdb_query_over_an_export_prints_what_the_readme_shows(tmp_path: Path) -> None:
    script = (ROOT / "examples/python/duckdb_export.py").read_text(encoding="utf-8")
    assert script in blocks("python"), "examples/python/duckdb_export.py differs from the README"
    tcbench_rs = shutil.which("tcbench-rs")
    assert tcbench_rs, "tcbench-rs is not on PATH: install the wheel"
    export = run(
        [tcbench_rs, "aimrepo", "export", "--aim-repo", EXAMPLE, "--output", "campaign-export"],
        cwd=tmp_path,
    )
    assert export.returncode == 0, export.stderr.decode()
    # DuckDB's printed relation ends with a blank line, which the README leaves out
    assert script_output("duckdb_export.py", tmp_path).rstrip("\n") == shown_after(
        script
    ).rstrip("\n")
