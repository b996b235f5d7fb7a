#!/usr/bin/env python3
"""A real Aim writer for tests/live_writer.rs: tracks a run while the test reads the repository.

    python testdata/interop/live_writer.py REPO N [--paced K]

Creates a new Aim repository at REPO (`aim.Repo.from_path(REPO, init=True)`; REPO must not
hold one yet), then opens run "live" (experiment `live`) and:

* sets its params in one assignment: run["hparams"] = HPARAMS below (the test checks it
  never sees anything but these or none);
* tracks, for step in 0..N-1, metrics `loss` and `acc` in contexts {"subset": "train"},
  {"subset": "val"} and {"subset": "test"}, with epoch step // 10 and the values of
  value() below (the test recomputes them bit for bit);
* at step N // 2 creates, fills and closes a second run "second" (params {"second": True},
  metric `x` = 0.5 * step for steps 0..SECOND_STEPS-1), while the first is still open;
* with --paced K: after each of K equal parts of the steps, waits for a line on stdin
  (the test sends one as each read starts, so that reads are spread over the whole run
  instead of a fast writer finishing before a slow reader got going; end of stdin stops the
  waiting);
* closes the run.

Stdout markers, one a line, flushed: `ready H` once the first run is created and its
params set, `second H2` once the second run is closed, `done H` after the first run's
close(). Stdlib + aim only; works with aim 3.29.1 and 3.17.4.
"""
import sys

import aim

HPARAMS = {
    "lr": 0.01,
    "batch_size": 32,
    "opt": "adam",
    "layers": [64, 32],
    "nested": {"a": 1, "b": {"c": "x"}},
}
CONTEXTS = ("train", "val", "test")
SECOND_STEPS = 20
RUN_KW = dict(system_tracking_interval=None, log_system_params=False, capture_terminal_logs=False)


def value(metric, ctx_index, step):
    """The tracked value (exact in binary64, so the test's recomputation is bit-identical)."""
    if metric == "loss":
        return 1.0 / (1.0 + step) + ctx_index
    return step * 0.25 + 1000.0 * ctx_index  # acc


def main(argv):
    args = list(argv[1:])
    parts = 0
    if "--paced" in args:
        i = args.index("--paced")
        parts = int(args[i + 1])
        del args[i:i + 2]
    if len(args) != 2:
        sys.exit("usage: live_writer.py REPO N [--paced K]")
    path, n = args[0], int(args[1])
    part = max(1, n // parts) if parts else 0
    waiting = bool(parts)

    repo = aim.Repo.from_path(path, init=True)
    run = aim.Run(repo=repo, experiment="live", **RUN_KW)
    run.name = "live"
    run["hparams"] = HPARAMS
    print("ready", run.hash, flush=True)

    for step in range(n):
        for ci, ctx in enumerate(CONTEXTS):
            for metric in ("loss", "acc"):
                run.track(value(metric, ci, step), name=metric, step=step, epoch=step // 10,
                          context={"subset": ctx})
        if step == n // 2:
            second = aim.Run(repo=repo, experiment="live", **RUN_KW)
            second.name = "second"
            second["hparams"] = {"second": True}
            for s in range(SECOND_STEPS):
                second.track(0.5 * s, name="x", step=s)
            second.close()
            print("second", second.hash, flush=True)
        if waiting and step % part == part - 1:
            waiting = sys.stdin.readline() != ""

    run.close()
    print("done", run.hash, flush=True)


if __name__ == "__main__":
    main(sys.argv)
