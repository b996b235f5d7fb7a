#!/usr/bin/env python3
"""The "Python path": the work of `tcbench aimrepo ls|properties|report`, done
directly with the Aim SDK (the way tcbench 0.0.22's aimutils does it), without
tcbench itself, rich or click.  Run it with an interpreter that has aim==3.29.1
(and pandas, which run.dataframe() needs anyway).

    python_path.py {ls,properties,report} REPO

WARNING: the Aim SDK writes into the repository it reads (WAL flushes, locks):
give it a throw-away copy.
"""
from __future__ import annotations

import sys

import aim


def list_runs(repo):
    """tcbench aimutils.list_repo: query_runs('') + run.dataframe() per run."""
    import pandas as pd
    return pd.concat(
        item.run.dataframe()
        for item in repo.query_runs('', report_mode=0).iter_runs()
    )


def cmd_ls(repo):
    df = list_runs(repo)
    for h, c, e in zip(df["hash"], df["creation_time"], df["end_time"]):
        print(f"{h}  {c}  {e}")
    return df


def collect_properties(repo):
    df = list_runs(repo)
    metrics, contexts = set(), set()
    for item in repo.query_metrics(report_mode=0):
        if item.name.startswith("__system"):
            continue
        metrics.add(item.name)
        try:
            contexts.add(item.context["subset"])
        except KeyError:
            pass
    df = df[[c for c in df.columns if not c.startswith("__system")]]
    props = {"metrics": sorted(metrics), "contexts": sorted(contexts)}
    for col in df.columns:
        vals = df[col].dropna().unique().tolist()
        try:
            vals = sorted(vals)
        except TypeError:
            vals = sorted(vals, key=str)
        props[col] = vals
    dur = df["end_time"] - df["creation_time"]
    props["run_duration"] = (dur.mean(), dur.std())
    return df, props


def cmd_properties(repo):
    df, props = collect_properties(repo)
    for name, vals in props.items():
        if name in ("hash", "creation_time", "end_time"):
            print(f"{name}: {len(vals)} values")
        elif isinstance(vals, list):
            print(f"{name}: {len(vals)} {vals[:10]}")
        else:
            print(f"{name}: {vals}")
    return df, props


def cmd_report(repo, metrics=("acc",)):
    df, props = collect_properties(repo)
    contexts = [c for c in props["contexts"] if c.startswith("test")]
    groupby = [
        name for name, vals in props.items()
        if name.startswith("hparams.")
        and name not in {"hparams.campaign_exp_idx", "hparams.seed", "hparams.split_index"}
        and isinstance(vals, list) and len(vals) > 1
    ] or ["hparams.campaign_id"]
    rows = []  # (ctx, run hash, {metric: last value})
    for ctx in contexts:
        per_run = {}
        for mtr in metrics:
            q = f"metric.name == '{mtr}' and metric.context['subset'] == '{ctx}'"
            for item in repo.query_metrics(q, report_mode=0):
                per_run.setdefault(item.run.hash, {})[mtr] = item.values.last()[1]
        for h in df["hash"]:
            rows.append((ctx, h, per_run.get(h, {})))
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - run.dataframe() needs pandas anyway
        pd = None
    base = df.set_index("hash")
    recs = []
    for ctx, h, vals in rows:
        rec = {"test_split_name": ctx, "hash": h}
        for g in groupby:
            rec[g] = base.at[h, g]
        for mtr in metrics:
            rec[mtr] = float(vals.get(mtr, float("nan")))
        recs.append(rec)
    out = pd.DataFrame(recs)
    agg = out.groupby(["test_split_name"] + groupby).agg(
        {**{m: ["count", "mean", "std"] for m in metrics}, "hash": "count"})
    print(f"runs: {len(df)}  contexts: {contexts}  groupby: {groupby}")
    print(agg.round(2).to_string())
    return agg


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2 or argv[0] not in ("ls", "properties", "report"):
        print(__doc__, file=sys.stderr)
        return 2
    repo = aim.Repo(argv[1])
    {"ls": cmd_ls, "properties": cmd_properties, "report": cmd_report}[argv[0]](repo)
    return 0


if __name__ == "__main__":
    sys.exit(main())
