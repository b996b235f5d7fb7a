#!/usr/bin/env python3
"""Write, with the real Aim SDK, a small repository of values the committed fixtures lack:
non-finite and extreme metric values, params of one name but different types across runs,
Aim's own `__system_params` and `__system__*` metrics.

    python testdata/interop/write_specials.py REPO

REPO must not exist; it is created (`aim.Run(repo=REPO)` makes the repository). Prints the
run hashes, one a line. Used by python/tests (conftest.py) under aim 3.29.1.

Runs (experiment `specials`, every one closed):
  1. "specials a": metric `special` {subset: train} tracked at steps 0..7 with NaN, inf,
     -inf, 1.5e308, -0.0, 5e-324, 3 (an int) and 3.0 (a tie with it), epoch None at odd
     steps; metric `nan_only` {subset: train}: NaN at steps 0 and 1; metric `ints` (dtype
     int) {subset: val, fold: 1}; `__system__cpu` in the empty context (tracked by hand, as
     Aim's system tracker names it); an `aim.Text` sequence `notes` (not a metric).
  2. "specials b": the same param names with other types (see PARAMS), `special` {subset:
     train} at steps 3, 1, 2 (tracked out of order), a trace in context {subset: val, fold:
     "1"} (a str where run 1 has an int).
  3. "specials c": no `hparams`; only `__system_params` and one metric.
"""
import sys

import aim

PARAMS = {
    "a": {
        "dim": 32,            # int here, str in b: a JSON-text column
        "mix": 1,             # int here, float in b: float64
        "flag": True,         # bool here, int in b: JSON text
        "lr": 0.1,            # floats only
        "s": "x",             # str here, None in b: string with a null
        "lst": [1, 2],        # a list (JSON-dumped by Aim) here, a str in b: string
        "nan": float("nan"),  # only in a: float64, NaN here and null in b
        "d": {"e": {"f": {"g": 1}}},  # deeper than Aim's depth 3: JSON text
        "only_a": 7,
    },
    "b": {
        "dim": "32",
        "mix": 2.5,
        "flag": 1,
        "lr": float("inf"),
        "s": None,
        "lst": "a",
        "d": {"e": 5},
        "only_b": False,
    },
}


def new_run(repo, name):
    run = aim.Run(repo=repo, experiment="specials", system_tracking_interval=None,
                  log_system_params=False, capture_terminal_logs=False)
    run.name = name
    return run


def main(argv):
    if len(argv) != 2:
        sys.exit("usage: write_specials.py REPO")
    repo = argv[1]
    hashes = []

    run = new_run(repo, "specials a")
    run["hparams"] = PARAMS["a"]
    run["top"] = -1
    run["__system_params"] = {"arguments": ["train.py", "--x"], "executable": "python"}
    vals = [float("nan"), float("inf"), float("-inf"), 1.5e308, -0.0, 5e-324, 3, 3.0]
    for i, v in enumerate(vals):
        run.track(v, name="special", step=i, epoch=None if i % 2 else i,
                  context={"subset": "train"})
    for i in range(2):
        run.track(float("nan"), name="nan_only", step=i, context={"subset": "train"})
    for i in range(3):
        run.track(10 - i, name="ints", step=i, epoch=0, context={"subset": "val", "fold": 1})
    for i in range(2):
        run.track(12.5 + i, name="__system__cpu", step=i)
    run.track(aim.Text("not a metric"), name="notes", step=0)
    hashes.append(run.hash)
    run.close()

    run = new_run(repo, "specials b")
    run["hparams"] = PARAMS["b"]
    run["top"] = 2
    for step, v in ((3, 0.25), (1, 0.75), (2, 0.5)):
        run.track(v, name="special", step=step, epoch=1, context={"subset": "train"})
    run.track(1.0, name="acc", step=0, context={"subset": "val", "fold": "1"})
    hashes.append(run.hash)
    run.close()

    run = new_run(repo, "specials c")
    run["__system_params"] = {"arguments": [], "executable": "python3"}
    run.track(0.5, name="acc", step=0, context={"subset": "val"})
    hashes.append(run.hash)
    run.close()

    print("\n".join(hashes))


if __name__ == "__main__":
    main(sys.argv)
