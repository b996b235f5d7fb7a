"""`tcbench_rs.runs()` against the real Aim SDK: every run, every property and every param
cell of every repository the SDK reads (conftest.REPOSITORIES) equals what Aim 3.29.1's
`Run.dataframe()` gives (aim 3.17.4's for the `aim317-*` fixtures), typed by the contract;
`filter=` keeps the runs Aim's own `Repo.query_runs` keeps; errors and warnings."""
from __future__ import annotations

import json
import pathlib
import shutil
import warnings

import pyarrow as pa
import pytest

from conftest import (AIM_329, ALL_RUNS, FIXTURES, PROPERTIES, QUERIES, REPOSITORIES,
                      aim_python, aim_queries, arrow_kind_ok, copy_repo, expected_runs,
                      fail_with, plain_queries, run_py, same, tree_state)

PROPERTY_TYPES = {
    "hash": "str", "name": "str", "description": "str", "archived": "bool",
    "creation_time": "float", "end_time": "float", "active": "bool", "experiment": "str",
    "tags": "str",
}


def compare_runs(where: str, tbl, want: dict, kinds: dict):
    """Columns, types and every cell of `tbl` against the expected rows."""
    assert isinstance(tbl, pa.Table), f"{where}: runs() returned {type(tbl)}"
    cols = tbl.column_names
    assert cols[:len(PROPERTIES)] == PROPERTIES, f"{where}: first columns {cols[:9]}"
    assert len(set(cols)) == len(cols), f"{where}: duplicate columns {cols}"
    params = cols[len(PROPERTIES):]
    missing = [k for k in kinds if k not in params]
    extra = [k for k in params if k not in kinds]
    assert not missing and not extra, \
        f"{where}: param columns missing {missing}, not in Aim's dataframe {extra}"
    problems = []
    for c in PROPERTIES:
        if not arrow_kind_ok(PROPERTY_TYPES[c], tbl.schema.field(c).type):
            problems.append(f"column {c!r}: type {tbl.schema.field(c).type}, "
                            f"want {PROPERTY_TYPES[c]}")
    for c in params:
        if not arrow_kind_ok(kinds[c], tbl.schema.field(c).type):
            problems.append(f"column {c!r}: type {tbl.schema.field(c).type}, Aim's values "
                            f"make it {kinds[c]}")
    rows = tbl.to_pylist()
    hashes = [r["hash"] for r in rows]
    assert len(set(hashes)) == len(hashes), f"{where}: a run twice: {sorted(hashes)}"
    assert set(hashes) == set(want), \
        f"{where}: runs not in Aim {sorted(set(hashes) - set(want))}, " \
        f"missing {sorted(set(want) - set(hashes))}"
    for r in rows:
        w = want[r["hash"]]
        for c in cols:
            if not same(r[c], w[c]):
                problems.append(f"run {r['hash']} column {c!r}: ours {r[c]!r}, Aim {w[c]!r}")
    fail_with(problems, where)


@pytest.mark.parametrize("archived", [False, True], ids=["default", "archived"])
@pytest.mark.parametrize("name", sorted(REPOSITORIES))
def test_every_run_and_param_equals_the_sdks(tr, sdk, name, archived):
    ref = sdk.reference(name)
    want, kinds = expected_runs(ref, lambda c: archived or not c["archived"])
    tbl = tr.runs(str(sdk.path(name)), archived=archived)
    compare_runs(f"{name} (Aim {ref['aim_version']}, archived={archived})", tbl, want, kinds)


def test_the_default_leaves_archived_runs_out(tr, sdk):
    ref = sdk.reference("campaign-quirks")
    archived = {r["hash"] for r in ref["runs"]
                if dict((k, v) for k, v in r["columns"])["archived"]}
    assert len(archived) == 1
    default = set(tr.runs(sdk.path("campaign-quirks")).column("hash").to_pylist())
    every = set(tr.runs(sdk.path("campaign-quirks"), archived=True).column("hash").to_pylist())
    assert (len(default), len(every)) == (11, 12)
    assert every - default == archived


def test_rows_are_sorted_by_hash(tr, sdk):
    hashes = tr.runs(sdk.path("examples-campaign")).column("hash").to_pylist()
    assert hashes == sorted(hashes)


def test_an_empty_repository_gives_the_property_columns(tr, sdk):
    tbl = tr.runs(sdk.path("empty"))
    assert tbl.num_rows == 0
    assert tbl.column_names == PROPERTIES
    for c in PROPERTIES:
        assert arrow_kind_ok(PROPERTY_TYPES[c], tbl.schema.field(c).type), (c, tbl.schema)


# ------------------------------------------------------------------ how a repository is named

def test_a_repository_is_its_folder_its_aim_folder_a_str_or_a_pathlike(tr, sdk):
    root = sdk.path("campaign")
    want = set(tr.runs(str(root)).column("hash").to_pylist())
    assert len(want) == 12
    for repo in [root, root / ".aim", str(root / ".aim"), pathlib.PurePosixPath(root)]:
        got = tr.runs(repo)
        assert set(got.column("hash").to_pylist()) == want, repo


def test_a_list_of_repositories_reads_as_one(tr, sdk):
    a, b = sdk.path("campaign"), sdk.path("killed")
    ta, tb = tr.runs(a), tr.runs(b)
    both = tr.runs([a, str(b)])
    assert both.column_names[:len(PROPERTIES)] == PROPERTIES
    assert set(both.column_names) == set(ta.column_names) | set(tb.column_names)
    rows = {r["hash"]: r for r in both.to_pylist()}
    assert len(rows) == both.num_rows == ta.num_rows + tb.num_rows
    problems = []
    for part in (ta, tb):
        for r in part.to_pylist():
            for c, v in r.items():
                u = rows[r["hash"]][c]
                # a column may get another type from the other repository's values
                if not (same(u, v) or (isinstance(v, int) and isinstance(u, float) and u == v)
                        or (isinstance(u, str) and u == json.dumps(v))):
                    problems.append(f"run {r['hash']} column {c!r}: {u!r} in the union, "
                                    f"{v!r} read alone")
    fail_with(problems, "runs([campaign, killed])")


CHANGE_A_PARAM = """
import sys
import aim
run = aim.Run(run_hash=sys.argv[2], repo=sys.argv[1], system_tracking_interval=None,
              capture_terminal_logs=False)
run["hparams", "seed"] = -1
run.close()
"""


def test_copies_of_a_run_in_two_repositories(tr, sdk, tmp_path):
    """The same run in two repositories is read once: with a warning that it is the same,
    or, when real Aim reopened one copy and changed a param, that it differs and the first
    copy given is the one read."""
    src = sdk.path("campaign")
    a, b = tmp_path / "a", tmp_path / "b"
    shutil.copytree(src, a, symlinks=True)
    shutil.copytree(src, b, symlinks=True)
    h = sorted(tr.runs(a).column("hash").to_pylist())[0]

    def read(call, repos):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            t = call(repos)
        return t, [str(w.message) for w in caught if h in str(w.message)]

    same = f"run {h} is in both `{a}` and `{b}` with the same metadata; counted once"
    for call in (tr.runs, tr.metrics):
        t, said = read(call, [a, b])
        assert said == [same], (call, said)
    script = tmp_path / "change.py"
    script.write_text(CHANGE_A_PARAM)
    run_py(aim_python(AIM_329), [script, b, h])
    differs = (f"run {h} is in both `{b}` and `{a}` with different metadata; the copy in "
               f"`{b}` (given first) is used, the other left out")
    t, said = read(tr.runs, [b, a])
    assert said == [differs], said
    assert t.num_rows == 12
    row = [r for r in t.to_pylist() if r["hash"] == h][0]
    assert row["hparams.seed"] == -1
    t, said = read(tr.runs, [a, b])
    row = [r for r in t.to_pylist() if r["hash"] == h][0]
    assert row["hparams.seed"] != -1
    # reopening the run gave it a new end time, which metrics() reads too
    _, said = read(tr.metrics, [b, a])
    assert said == [differs], said


# ------------------------------------------------------------------ filter= against Aim's query

@pytest.mark.parametrize("name", sorted(QUERIES))
def test_filter_keeps_the_runs_aims_query_keeps(tr, sdk, name):
    queries = QUERIES[name]
    plain = plain_queries(name)
    aim = aim_queries(sdk, name)
    repo = sdk.path(name)
    problems = []
    for q in queries:
        got = set(tr.runs(repo, filter=q).column("hash").to_pylist())
        if got != aim[q]:
            problems.append(f"filter={q!r}: ours {sorted(got)}, Aim {sorted(aim[q])}")
    # archived=True: the archived runs the filter keeps are added (Aim: the same query with
    # a clause naming run.archived, so that Aim adds none of its own)
    for q in plain:
        got = set(tr.runs(repo, filter=q, archived=True).column("hash").to_pylist())
        w = aim[f"({q}){ALL_RUNS}"]
        if got != w:
            problems.append(f"filter={q!r}, archived=True: ours {sorted(got)}, "
                            f"Aim {sorted(w)}")
    fail_with(problems, f"{name}: filter=")


def test_filter_without_the_run_prefix(tr, sdk):
    repo = sdk.path("examples-campaign")
    a = tr.runs(repo, filter="run.hparams.flowpic_dim == 32").column("hash").to_pylist()
    b = tr.runs(repo, filter="hparams.flowpic_dim == 32").column("hash").to_pylist()
    assert sorted(a) == sorted(b) and len(a) == 9


# ------------------------------------------------------------------ errors and warnings

def test_the_exception_classes(tr):
    assert issubclass(tr.TcbenchError, Exception)
    assert issubclass(tr.RepositoryNotFoundError, tr.TcbenchError)
    assert issubclass(tr.RepositoryNotFoundError, FileNotFoundError)
    assert issubclass(tr.RepositoryError, tr.TcbenchError)
    assert issubclass(tr.InvalidArgumentError, tr.TcbenchError)
    assert issubclass(tr.InvalidArgumentError, ValueError)
    assert issubclass(tr.TcbenchWarning, UserWarning)
    assert issubclass(tr.DamagedRunWarning, tr.TcbenchWarning)


def test_a_missing_repository(tr, tmp_path):
    missing = tmp_path / "nope"
    for call in (lambda: tr.runs(missing), lambda: tr.metrics(missing),
                 lambda: tr.runs([FIXTURES / "campaign", missing])):
        with pytest.raises(tr.RepositoryNotFoundError) as e:
            call()
        assert isinstance(e.value, FileNotFoundError)
        assert str(missing) in str(e.value)


def test_a_folder_that_is_not_a_repository(tr, tmp_path):
    (tmp_path / "hello.txt").write_text("x")
    with pytest.raises(tr.TcbenchError) as e:
        tr.runs(tmp_path)
    assert str(tmp_path) in str(e.value)


def test_a_garbage_sqlite_is_a_repository_error(tr, tmp_path):
    repo = copy_repo(FIXTURES / "campaign", tmp_path / "campaign")
    db = repo / ".aim" / "run_metadata.sqlite"
    db.write_bytes(b"this is not a database, just some garbage bytes " * 4)
    for call in (lambda: tr.runs(repo), lambda: tr.metrics(repo)):
        with pytest.raises(tr.RepositoryError) as e:
            call()
        assert not isinstance(e.value, FileNotFoundError)
        assert str(repo) in str(e.value)


@pytest.mark.parametrize("bad", ["hparams.flowpic_dim = 32", "hparams.x ==", "(((", "a in"])
def test_a_filter_that_does_not_parse(tr, bad):
    for call in (lambda: tr.runs(FIXTURES / "campaign", filter=bad),
                 lambda: tr.metrics(FIXTURES / "campaign", filter=bad)):
        with pytest.raises(tr.InvalidArgumentError) as e:
            call()
        assert isinstance(e.value, ValueError)


def chunks(repo: pathlib.Path, kind: str) -> list[pathlib.Path]:
    return sorted((repo / ".aim" / kind / "chunks").iterdir())


def test_a_damaged_run_is_a_warning_naming_it_and_the_rest_is_read(tr, tmp_path):
    repo = copy_repo(FIXTURES / "campaign", tmp_path / "campaign")
    victim = chunks(repo, "meta")[0]
    for sst in victim.glob("*.sst"):
        sst.write_bytes(sst.read_bytes()[: sst.stat().st_size // 2])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tbl = tr.runs(repo)
    damaged = [w for w in caught if issubclass(w.category, tr.DamagedRunWarning)]
    assert len(damaged) == 1, [str(w.message) for w in caught]
    assert victim.name in str(damaged[0].message)
    hashes = tbl.column("hash").to_pylist()
    assert len(hashes) == 11 and victim.name not in hashes


def test_warnings_can_be_made_errors(tr, tmp_path):
    repo = copy_repo(FIXTURES / "campaign", tmp_path / "campaign")
    (chunks(repo, "meta")[0] / "CURRENT").unlink()
    with warnings.catch_warnings():
        warnings.simplefilter("error", tr.TcbenchWarning)
        with pytest.raises(tr.DamagedRunWarning):
            tr.runs(repo)


# ------------------------------------------------------------------ reading changes nothing

def test_reading_changes_nothing_in_the_repository(tr, tmp_path):
    # killed: two WAL-only chunks, which Aim's SDK would flush on read
    for name in ("killed", "campaign-quirks"):
        repo = copy_repo(FIXTURES / name, tmp_path / name)
        before = tree_state(repo)
        tr.runs(repo, archived=True)
        for value in ("last", "max", "min", "all"):
            tr.metrics(repo, value=value)
        assert tree_state(repo) == before, name
        shutil.rmtree(repo)
