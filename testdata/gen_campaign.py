#!/usr/bin/env python3
"""Generate a realistic tcbench-style Aim 3.x campaign repository.

(Project copy: taken from the team's shared tool /work/shared/tools/gen_campaign.py,
which is not shipped with the project. Local change: the final reindex also works
under aim 3.17.4, whose `aim storage reindex` is a deprecated no-op -- see reindex().
Used by testdata/gen_fixtures.py; see testdata/README.md.)

The repository mimics what ``tcbench campaign augment-at-loading`` (i.e.
tcbench/modeling/run_campaign_augmentations_at_loading.py driving
run_augmentations_at_loading.main + methods.SimpleTrainer + aimutils.track_metrics,
tcbench==0.0.22) writes into an Aim repo, without torch or any dataset:

* one Aim run per grid point of itertools.product(split_indexes, augmentations,
  flowpic_dims, seeds) (same order as tcbench), experiment
  "augmentations-at-loading";
* run["hparams"] = {flowpic_dim, flowpic_block_duration, split_index,
  max_samples_per_class, aug_name, patience_steps, suppress_val_augmentation,
  dataset, dataset_minpkts, seed, with_dropout, campaign_id (str),
  campaign_exp_idx (int, 1-based)} with the same Python types as tcbench;
* per epoch, context {"subset": "train"}: loss, acc (epoch=idx);
  context {"subset": "val"}: loss, acc tracked TWICE per epoch (tcbench's
  test_loop tracks inside _do_epoch and again after it), plus best_loss (float)
  and best_epoch (int) without epoch whenever the patience monitor improves
  (PatienceMonitorLoss(steps=patience_steps, min_delta=0.001) early stopping);
* test contexts "test-human", "test-script" (and "test-train-val-leftover"
  unless --no-leftover): loss, acc tracked twice (epoch=None), then
  precision, recall, f1 (sklearn weighted averages, fractions in [0,1]);
  acc is a percentage (100*correct/samples) quantised on the split size;
* "__system__*" resource metrics (context {} and {"gpu": 0}), a "logs"
  LogLine sequence (what capture_terminal_logs=True produces) and a
  sanitised run["__system_params"] (what log_system_params=True produces,
  but WITHOUT the real environment variables);
* <repo>/artifacts/<run hash>/ with log.txt, params.yml, the best model
  weights file and the *_class_rep.csv / *_conf_mtx.csv reports.

All metric/param values are deterministic given --rng-seed and --campaign-id
(each run draws from random.Random(f"{rng_seed}:{campaign_id}:{exp_idx}"), so a
repo split in parts with --part holds exactly the values of the full campaign).
Run hashes and creation/end times are set by Aim itself (uuid / wall clock);
they are read back after generation and written to <repo>/gen_manifest.json
together with the last value of every (metric, context) of every run.

By default the script ends with `aim storage --repo REPO reindex -y`: aim 3.29's
SDK (hence tcbench) reads params/metrics only from .aim/meta/index, which the
tracking SDK does not fill; --no-reindex leaves the raw "chunks only" layout.

Only the public aim SDK (aim.Repo, aim.Run, run.track, run["..."],
run.archived, run.description, LogLine) and the stdlib are used: it runs both
in a plain "aim + pandas" venv and in the tcbench venv.

Quirk injection (all take 1-based campaign_exp_idx lists, e.g. "3,7"):
  --unclosed-runs    run written by a child process that exits with os._exit(0)
                     before run.close(): end_time stays None, run stays active,
                     its lock/progress files stay behind (a crashed training).
  --archived-runs    run.archived = True (set just before run.close()).
  --missing-metric-runs  the run does not track "acc" and "f1" in context
                     "test-script" (other test-script metrics are tracked).
  --missing-artifacts-runs  no <repo>/artifacts/<hash>/ folder for the run.
  --non-ascii        every run gets hparams.comment and a description with
                     non-ASCII text (combine with a non-ASCII --campaign-id).
"""
from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import pathlib
import random
import subprocess
import sys
import time

import importlib.metadata

import aim
from aim.ext.resource.log import LogLine

AIM_VERSION = importlib.metadata.version("aim")

EXPERIMENT_NAME = "augmentations-at-loading"
ALL_AUGS = ("noaug", "rotate", "horizontalflip", "colorjitter", "packetloss", "changertt", "timeshift")
UCDAVIS_CLASSES = ("google-doc", "google-drive", "google-music", "google-search", "youtube")

# plausible means (acc %, ucdavis-icdm19, IMC23 paper ballpark) per augmentation
AUG_MEANS = {
    # aug: (test-script, test-human, test-train-val-leftover)
    "noaug": (95.6, 68.8, 96.1),
    "rotate": (96.3, 71.6, 96.8),
    "horizontalflip": (95.5, 69.9, 96.3),
    "colorjitter": (97.1, 68.2, 97.4),
    "packetloss": (96.7, 71.1, 97.0),
    "changertt": (97.3, 70.5, 97.9),
    "timeshift": (96.9, 70.4, 97.5),
}
DIM_SHIFT = {32: (0.0, 0.0, 0.0), 64: (0.3, -0.6, 0.2), 1500: (-1.4, -2.1, -0.9)}
TEST_SIZES = {"test-human": 83, "test-script": 150, "test-train-val-leftover": 5932}
TEST_STD = {"test-human": 2.0, "test-script": 0.9, "test-train-val-leftover": 0.5}
TEST_LOSS = {"test-human": 1.05, "test-script": 0.16, "test-train-val-leftover": 0.11}


def parse_int_list(text):
    if text is None or text == "":
        return []
    return [int(x) for x in str(text).split(",") if x.strip() != ""]


def cli_parser():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repo", required=True, type=pathlib.Path, help="aim repository folder (created if missing)")
    p.add_argument("--seeds", default="12345,42,666", help="coma separated seeds (default: %(default)s)")
    p.add_argument("--dims", default="32,64,1500", help="coma separated flowpic dims (default: %(default)s)")
    p.add_argument("--splits", default="5",
                   help="number of split indexes (0..N-1) or a coma separated list of indexes (default: %(default)s)")
    p.add_argument("--augs", default=",".join(ALL_AUGS), help="coma separated augmentations (default: %(default)s)")
    p.add_argument("--epochs", type=int, default=20, help="max epochs per run (default: %(default)s)")
    p.add_argument("--patience-steps", type=int, default=5, help="early stopping patience (default: %(default)s)")
    p.add_argument("--rng-seed", type=int, default=0, help="seed of the value generator (default: %(default)s)")
    p.add_argument("--campaign-id", default="1684447037", help="hparams.campaign_id (a string, default: %(default)s)")
    p.add_argument("--experiment", default=EXPERIMENT_NAME, help="aim experiment name (default: %(default)s)")
    p.add_argument("--dataset", default="ucdavis-icdm19", help="hparams.dataset (default: %(default)s)")
    p.add_argument("--no-leftover", action="store_true", help="do not log the test-train-val-leftover context")
    p.add_argument("--part", default="1/1",
                   help="K/N: only write the K-th of N contiguous slices of the grid (default: %(default)s)")
    p.add_argument("--append", action="store_true", help="allow writing into an existing aim repo")
    p.add_argument("--artifacts", choices=("full", "minimal", "none"), default="full",
                   help="per-run artifacts folder content (default: %(default)s)")
    p.add_argument("--no-system-metrics", action="store_true", help="do not write __system__* metrics")
    p.add_argument("--no-logs", action="store_true", help="do not write the 'logs' LogLine sequence")
    p.add_argument("--no-system-params", action="store_true", help="do not write run['__system_params']")
    p.add_argument("--no-manifest", action="store_true", help="do not write <repo>/gen_manifest.json")
    p.add_argument("--no-reindex", action="store_true",
                   help="skip the final `aim storage --repo REPO reindex -y`. NOTE: with aim>=3.2x the SDK "
                        "reads run params/metrics only from .aim/meta/index, which run.track()/run.close() do "
                        "not fill (only `aim up` or `aim storage reindex` do): an un-indexed repo makes "
                        "tcbench aimrepo crash with KeyError: 'No key () is present.'")
    # quirks
    p.add_argument("--unclosed-runs", default="", help="exp idx list: runs never closed (process killed)")
    p.add_argument("--archived-runs", default="", help="exp idx list: runs archived")
    p.add_argument("--missing-metric-runs", default="", help="exp idx list: runs without acc,f1 on test-script")
    p.add_argument("--missing-artifacts-runs", default="", help="exp idx list: runs without artifacts folder")
    p.add_argument("--non-ascii", action="store_true", help="add non-ASCII hparams.comment and run description")
    p.add_argument("--quiet", action="store_true")
    # internal: used to write an unclosed run from a child process
    p.add_argument("--_child-exp-idx", dest="child_exp_idx", type=int, default=None, help=argparse.SUPPRESS)
    return p


def build_grid(args):
    seeds = parse_int_list(args.seeds)
    dims = parse_int_list(args.dims)
    if "," in str(args.splits):
        splits = parse_int_list(args.splits)
    else:
        splits = list(range(int(args.splits)))
    augs = [a for a in args.augs.split(",") if a]
    for a in augs:
        if a not in AUG_MEANS:
            raise SystemExit(f"unknown augmentation {a!r}; choices: {','.join(ALL_AUGS)}")
    # same order as tcbench run_campaign_augmentations_at_loading.main
    grid = list(itertools.product(splits, augs, dims, seeds))
    return [
        dict(exp_idx=i + 1, split_index=s, aug_name=a, flowpic_dim=d, seed=sd)
        for i, (s, a, d, sd) in enumerate(grid)
    ]


def select_part(grid, part):
    k, n = (int(x) for x in part.split("/"))
    if not (1 <= k <= n):
        raise SystemExit(f"bad --part {part}")
    total = len(grid)
    lo = (k - 1) * total // n
    hi = k * total // n
    return grid[lo:hi]


# ---------------------------------------------------------------- values
def quantised_pct(rng, mean, std, n):
    p = min(100.0, max(0.0, rng.gauss(mean, std)))
    k = int(round(p * n / 100.0))
    return 100 * k / n, k


def simulate_training(rng, spec, epochs, patience_steps, min_delta=0.001):
    """Return the list of per-epoch records and the patience-monitor events."""
    aug = spec["aug_name"]
    n_train = 400 if aug == "noaug" else 4400
    n_val = 100 if aug == "noaug" else 1100
    tau = rng.uniform(1.5, 3.5)
    vmin = rng.uniform(0.12, 0.30) + (0.05 if spec["flowpic_dim"] == 1500 else 0.0)
    m = rng.randint(max(2, epochs // 4), max(3, (2 * epochs) // 3))
    overfit = rng.uniform(0.004, 0.02)
    best_loss = math.inf
    best_epoch = -1
    steps_left = patience_steps
    records = []
    for e in range(epochs):
        if steps_left == 0:
            break
        decay = math.exp(-e / tau)
        train_loss = 0.04 + 1.45 * decay * (1 + rng.uniform(-0.05, 0.05)) + rng.uniform(0, 0.01)
        train_acc, _ = quantised_pct(rng, 99.5 - 62 * decay, 0.6, n_train)
        val_loss = vmin + 1.25 * decay + overfit * max(0, e - m) ** 1.3 + rng.gauss(0, 0.008)
        val_acc, _ = quantised_pct(rng, 98.0 - 60 * decay - 25 * overfit * max(0, e - m), 0.8, n_val)
        improved = (best_loss - val_loss) > min_delta
        if improved:
            best_loss = val_loss
            best_epoch = e
            steps_left = patience_steps
        else:
            steps_left -= 1
        records.append(dict(epoch=e, train_loss=train_loss, train_acc=train_acc, val_loss=val_loss,
                            val_acc=val_acc, improved=improved, best_loss=best_loss, best_epoch=best_epoch))
    return records


def simulate_tests(rng, spec, contexts):
    out = {}
    means = AUG_MEANS[spec["aug_name"]]
    shift = DIM_SHIFT.get(spec["flowpic_dim"], (0.0, 0.0, 0.0))
    idx = {"test-script": 0, "test-human": 1, "test-train-val-leftover": 2}
    for ctx in contexts:
        n = TEST_SIZES[ctx]
        acc, k = quantised_pct(rng, means[idx[ctx]] + shift[idx[ctx]], TEST_STD[ctx], n)
        recall = k / n  # weighted recall == accuracy
        precision = min(1.0, recall + rng.uniform(0.0, 0.012))
        f1 = min(precision, recall) + (abs(precision - recall) * rng.uniform(0.2, 0.5)) - rng.uniform(0.0, 0.004)
        loss = TEST_LOSS[ctx] * rng.uniform(0.8, 1.25) * (1 + (100 - acc) / 100)
        out[ctx] = dict(loss=loss, acc=acc, precision=precision, recall=recall, f1=f1, n=n, k=k)
    return out


def sanitized_system_params(spec):
    return {
        "packages": {"aim": AIM_VERSION, "numpy": "1.26.4", "pandas": "2.0.2", "tcbench": "0.0.22",
                     "torch": "2.0.1"},
        "env_variables": {"CUDA_VISIBLE_DEVICES": "0"},
        "git_info": {},
        "executable": "/opt/conda/envs/tcbench/bin/python",
        "arguments": ["tcbench", "campaign", "augment-at-loading", "--aim-repo", "aim-repo",
                      "--artifacts-folder", "aim-repo/artifacts"],
    }


# ---------------------------------------------------------------- one run
def write_run(repo, args, spec, quirks, artifacts_root, close=True):
    rng = random.Random(f"{args.rng_seed}:{args.campaign_id}:{spec['exp_idx']}")
    exp_idx = spec["exp_idx"]
    run = aim.Run(repo=repo, experiment=args.experiment, system_tracking_interval=None,
                  log_system_params=False, capture_terminal_logs=False)
    run_hash = run.hash
    log_lines = []

    def log(msg):
        log_lines.append(msg)

    if not args.no_system_params:
        run["__system_params"] = sanitized_system_params(spec)
    hparams = dict(
        flowpic_dim=int(spec["flowpic_dim"]),
        flowpic_block_duration=15,
        split_index=int(spec["split_index"]),
        max_samples_per_class=-1,
        aug_name=spec["aug_name"],
        patience_steps=int(args.patience_steps),
        suppress_val_augmentation=False,
        dataset=args.dataset,
        dataset_minpkts=-1,
        seed=int(spec["seed"]),
        with_dropout=True,
        campaign_id=str(args.campaign_id),
        campaign_exp_idx=int(exp_idx),
    )
    if args.non_ascii:
        hparams["comment"] = "données d’entraînement — ✓ 数据 µs"
        run.description = f"run {exp_idx}: augmentation «{spec['aug_name']}» — ünïcödé ✓"
    run["hparams"] = hparams

    log(f"\nconnecting to AIM repo at: {args.repo}")
    log(f"created aim run hash={run_hash}")
    if artifacts_root is not None:
        log(f"artifacts folder at: {artifacts_root / run_hash}")
    log("--- run hparams ---")
    for k, v in hparams.items():
        log(f"{k}: {v}")
    log("-------------------")

    def track(value, name, ctx, epoch=None):
        run.track(value, name=name, epoch=epoch, context={"subset": ctx})
        last[(name, ctx)] = value

    last = {}
    records = simulate_training(rng, spec, args.epochs, args.patience_steps)
    n_sys = 1 + len(records) // 2
    sys_points = []
    for _ in range(n_sys):
        sys_points.append(dict(
            cpu=round(rng.uniform(95, 105), 5), memory_percent=round(rng.uniform(20, 40), 5),
            p_memory_percent=round(rng.uniform(2, 6), 5), disk_percent=round(rng.uniform(55, 56), 5),
            gpu=round(rng.uniform(10, 60), 5), gpu_memory_percent=round(rng.uniform(5, 20), 5),
            gpu_temp=round(rng.uniform(35, 60), 5), gpu_power_watts=round(rng.uniform(60, 150), 5)))
    sys_i = 0

    def track_system():
        nonlocal sys_i
        if args.no_system_metrics or sys_i >= len(sys_points):
            return
        pt = sys_points[sys_i]
        sys_i += 1
        for k in ("cpu", "memory_percent", "p_memory_percent", "disk_percent"):
            run.track(pt[k], name=f"__system__{k}")
        for k in ("gpu", "gpu_memory_percent", "gpu_temp", "gpu_power_watts"):
            run.track(pt[k], name=f"__system__{k}", context={"gpu": 0})

    track_system()
    for r in records:
        e = r["epoch"]
        track(r["train_loss"], "loss", "train", e)
        track(r["train_acc"], "acc", "train", e)
        # val: tracked in SimpleTrainer._do_epoch and again in test_loop
        for _ in range(2):
            track(r["val_loss"], "loss", "val", e)
            track(r["val_acc"], "acc", "val", e)
        msg = (f"epoch: {e:3d} | train_loss: {r['train_loss']:.6f} | train_acc: {r['train_acc']:5.1f}%"
               f" | val_loss: {r['val_loss']:.6f} | val_acc: {r['val_acc']:5.1f}%")
        if r["improved"]:
            track(float(r["best_loss"]), "best_loss", "val")
            track(int(r["best_epoch"]), "best_epoch", "val")
            msg += " | *"
        log(msg)
        if e % 2 == 1:
            track_system()
    if len(records) < args.epochs:
        log("run out of patience")
    else:
        log("reached max epochs")

    contexts = ["test-human", "test-script"]
    if not args.no_leftover:
        contexts.append("test-train-val-leftover")
    tests = simulate_tests(rng, spec, contexts)
    for ctx in contexts:
        t = tests[ctx]
        skip = {"acc", "f1"} if (ctx == "test-script" and exp_idx in quirks["missing_metric"]) else set()
        for _ in range(2):  # _do_epoch + test_loop
            track(t["loss"], "loss", ctx)
            if "acc" not in skip:
                track(t["acc"], "acc", ctx)
        for name in ("precision", "recall", "f1"):
            if name not in skip:
                track(float(t[name]), name, ctx)
        log(f"Test dataset {ctx.replace('test-', '')} | loss: {t['loss']:.6f} | acc: {t['acc']:.1f}")
    track_system()

    if not args.no_logs:
        for i, line in enumerate("\n".join(log_lines).split("\n")):
            run.track(LogLine(line), name="logs", step=i)

    if artifacts_root is not None and args.artifacts != "none" and exp_idx not in quirks["missing_artifacts"]:
        write_artifacts(artifacts_root / run_hash, args, spec, hparams, log_lines, tests, records, rng)

    if not close:
        sys.stdout.flush()
        os._exit(0)  # simulate a crash: no run.close(), no finalizer
    if exp_idx in quirks["archived"]:
        run.archived = True
    run.close()
    return run_hash, last


def write_artifacts(folder, args, spec, hparams, log_lines, tests, records, rng):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "log.txt").write_text("\n".join(log_lines) + "\n", encoding="utf-8")
    params = dict(hparams)
    params.update(epochs=args.epochs, batch_size=32, learning_rate=0.001, method="monolithic",
                  final=False, gpu_index="0", workers=20, train_val_split_ratio=0.8,
                  aim_repo=str(args.repo), artifacts_folder=str(args.repo / "artifacts"))
    (folder / "params.yml").write_text(
        "".join(f"{k}: {json.dumps(v) if isinstance(v, str) and not v.isascii() else v}\n"
                for k, v in sorted(params.items())), encoding="utf-8")
    if args.artifacts == "minimal":
        return
    # a small stand-in for the torch weights file (real ones are MBs)
    (folder / f"best_model_weights_split_{spec['split_index']}.pt").write_bytes(
        bytes(rng.getrandbits(8) for _ in range(512)))
    for ctx in ["train", "val"] + list(tests.keys()):
        if ctx in tests:
            acc = tests[ctx]["acc"]
            n = tests[ctx]["n"]
        else:
            last = records[-1] if records else None
            acc = (last["train_acc"] if ctx == "train" else last["val_acc"]) if last else 0.0
            n = 400 if ctx == "train" else 100
        rows = ["index,precision,recall,f1-score,support"]
        per_class = max(1, n // len(UCDAVIS_CLASSES))
        for c in UCDAVIS_CLASSES:
            p = min(1.0, max(0.0, acc / 100 + rng.uniform(-0.05, 0.05)))
            r = min(1.0, max(0.0, acc / 100 + rng.uniform(-0.05, 0.05)))
            f = 0.0 if p + r == 0 else 2 * p * r / (p + r)
            rows.append(f"{c},{p},{r},{f},{float(per_class)}")
        rows.append(f"accuracy,{acc / 100},{acc / 100},{acc / 100},{acc / 100}")
        rows.append(f"macro avg,{acc / 100},{acc / 100},{acc / 100},{float(n)}")
        rows.append(f"weighted avg,{acc / 100},{acc / 100},{acc / 100},{float(n)}")
        (folder / f"{ctx}_class_rep.csv").write_text("\n".join(rows) + "\n")
        mtx = ["index," + ",".join(UCDAVIS_CLASSES)]
        for i, c in enumerate(UCDAVIS_CLASSES):
            correct = int(round(per_class * acc / 100))
            cells = [0] * len(UCDAVIS_CLASSES)
            cells[i] = correct
            cells[(i + 1) % len(cells)] = per_class - correct
            mtx.append(c + "," + ",".join(map(str, cells)))
        (folder / f"{ctx}_conf_mtx.csv").write_text("\n".join(mtx) + "\n")


# ---------------------------------------------------------------- main
def main(argv=None):
    args = cli_parser().parse_args(argv)
    quirks = dict(
        unclosed=set(parse_int_list(args.unclosed_runs)),
        archived=set(parse_int_list(args.archived_runs)),
        missing_metric=set(parse_int_list(args.missing_metric_runs)),
        missing_artifacts=set(parse_int_list(args.missing_artifacts_runs)),
    )
    grid = build_grid(args)
    repo_path = args.repo
    artifacts_root = repo_path / "artifacts" if args.artifacts != "none" else None

    if args.child_exp_idx is not None:
        spec = next(s for s in grid if s["exp_idx"] == args.child_exp_idx)
        repo = aim.Repo.from_path(str(repo_path))
        run_hash, last = write_run(repo, args, spec, quirks, artifacts_root, close=False)
        return  # never reached

    todo = select_part(grid, args.part)
    exists = (repo_path / ".aim").exists()
    if exists and not args.append:
        raise SystemExit(f"{repo_path} already holds an aim repo (use --append to add runs)")
    repo_path.mkdir(parents=True, exist_ok=True)
    repo = aim.Repo.from_path(str(repo_path), init=not exists)

    t0 = time.time()
    produced = []
    for i, spec in enumerate(todo):
        if spec["exp_idx"] in quirks["unclosed"]:
            # write it from a child process which dies before closing the run
            before = set(os.listdir(repo_path / ".aim" / "meta" / "chunks")) \
                if (repo_path / ".aim" / "meta" / "chunks").exists() else set()
            cmd = [sys.executable, os.path.abspath(__file__)] + list(argv if argv is not None else sys.argv[1:]) + \
                ["--_child-exp-idx", str(spec["exp_idx"])]
            subprocess.run(cmd, check=True)
            after = set(os.listdir(repo_path / ".aim" / "meta" / "chunks"))
            new = sorted(after - before)
            run_hash = new[0] if len(new) == 1 else None
            produced.append(dict(spec, hash=run_hash, last=None))
        else:
            run_hash, last = write_run(repo, args, spec, quirks, artifacts_root)
            produced.append(dict(spec, hash=run_hash, last=last))
        if not args.quiet and ((i + 1) % 50 == 0 or i + 1 == len(todo)):
            el = time.time() - t0
            print(f"[gen] {i + 1}/{len(todo)} runs, {el:.1f}s", flush=True)
    gen_seconds = time.time() - t0

    if not args.no_reindex:
        reindex(repo_path, skip={p["hash"] for p in produced if p["exp_idx"] in quirks["unclosed"]})

    if not args.no_manifest:
        write_manifest(repo_path, args, quirks, produced, gen_seconds)
    if not args.quiet:
        print(f"[gen] done: {len(produced)} runs in {gen_seconds:.1f}s -> {repo_path}")


# aim 3.17.x: index the finished runs the way `aim up`'s RepoIndexManager does
# (`aim runs close H1 H2 ...` would do the same but races on the index lock when
# given several hashes). Runs still "in progress" (killed) are left alone: they keep
# their meta/progress marker, so 3.17's union view reads their chunk directly.
_INDEX_317 = """
import sys, aim
from aim.sdk.index_manager import RepoIndexManager
repo = aim.Repo.from_path(sys.argv[1])
mng = RepoIndexManager.get_index_manager(repo)
for h in sys.argv[2:]:
    mng.index(h)
"""


def reindex(repo_path, skip=()):
    """Build .aim/meta/index with the installed aim's own tools."""
    version = tuple(int(x) for x in AIM_VERSION.split(".")[:2])
    if version >= (3, 18):
        # 3.2x: `aim storage reindex -y` recreates the index from every chunk
        # (verified: it reads a killed run's WAL-only chunk without flushing it).
        subprocess.run([os.path.join(os.path.dirname(sys.executable), "aim"), "storage", "--repo",
                        str(repo_path), "reindex", "-y"], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return
    progress = repo_path / ".aim" / "meta" / "progress"
    hashes = sorted(h for h in os.listdir(progress) if h not in skip) if progress.exists() else []
    if hashes:
        subprocess.run([sys.executable, "-c", _INDEX_317, str(repo_path)] + hashes, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def write_manifest(repo_path, args, quirks, produced, gen_seconds):
    manifest_path = repo_path / "gen_manifest.json"
    old = None
    if manifest_path.exists():
        old = json.loads(manifest_path.read_text())
    runs = []
    fresh = aim.Repo(str(repo_path))  # fresh object: no cached (stale) rocksdb containers
    for p in produced:
        info = dict(exp_idx=p["exp_idx"], hash=p["hash"], split_index=p["split_index"], aug_name=p["aug_name"],
                    flowpic_dim=p["flowpic_dim"], seed=p["seed"], campaign_id=str(args.campaign_id))
        if p["hash"] is not None:
            h = p["hash"]
            r = aim.Run(h, repo=fresh, read_only=True)
            info["creation_time"] = r.creation_time
            # read end_time from the run's own chunk (works with or without the index)
            chunk = fresh.request_tree("meta", h, read_only=True).subtree(("meta", "chunks", h))
            info["end_time"] = chunk.get("end_time", None)
            info["archived"] = bool(r.archived)
        info["quirks"] = sorted(k for k, v in quirks.items() if p["exp_idx"] in v)
        if p["last"] is not None:
            info["last"] = {f"{name}@{ctx}": v for (name, ctx), v in sorted(p["last"].items())}
        runs.append(info)
    entry = dict(
        generator="gen_campaign.py", aim_version=AIM_VERSION,
        argv=sys.argv[1:], args={k: (str(v) if isinstance(v, pathlib.Path) else v)
                                 for k, v in vars(args).items() if k != "child_exp_idx"},
        generation_seconds=round(gen_seconds, 3), runs=runs)
    data = dict(invocations=(old["invocations"] if old else []) + [entry])
    manifest_path.write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
