//! Reading while real Aim writes (issue 6): `testdata/interop/live_writer.py` tracks a run
//! with the real Aim SDK (flushes, compactions, MANIFEST and WAL switches, a second run
//! created and closed mid-way) while this test reads the repository over and over, with the
//! binary (`ls`, `properties`, `report`) and in-process with `aim_store`. Every read succeeds (exit 0,
//! no problem reported), sees a contiguous prefix `0..k` of each trace with the writer's
//! values, `k` never goes back, params are the final ones or absent; the writer is never
//! disturbed (exits 0, and real Aim then reads the run finished with all its steps, as we
//! do); the reads create nothing in the repository (same file set as a run nobody read).
//!
//! Needs `TCBENCH_AIM_PYTHON` (aim 3.29.1) / `TCBENCH_AIM317_PYTHON` (aim 3.17.4), as the
//! other interop tests; skipped without them outside CI.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use aim_store::{Repo, Seqs, Value};
use serde_json::Value as J;

/// Steps tracked by the writer (times 3 contexts × 2 metrics): enough for 9–19 memtable
/// flushes and 1–2 compactions in each of the first run's seqs and meta chunks (counted in
/// RocksDB's LOG under Aim 3.29.1 and 3.17.4).
const STEPS: i64 = 1000;
/// Steps of the second run (`SECOND_STEPS` in live_writer.py).
const SECOND_STEPS: i64 = 20;
/// The writer waits for a read to start after each of this many parts of its steps.
const PARTS: usize = 30;
const CONTEXTS: [&str; 3] = ["train", "val", "test"];

/// The value live_writer.py tracks (`value()` there; exact in binary64).
fn expected_value(metric: &str, ctx_index: usize, step: i64) -> Option<f64> {
    let c = ctx_index as f64;
    match metric {
        "loss" => Some(1.0 / (1.0 + step as f64) + c),
        "acc" => Some(step as f64 * 0.25 + 1000.0 * c),
        "x" => Some(0.5 * step as f64),
        _ => None,
    }
}

fn writer_script() -> std::path::PathBuf {
    common::root().join("testdata/interop/live_writer.py")
}

/// The writer process; killed if the test fails while it runs.
struct Writer {
    child: Option<Child>,
    lines: Receiver<String>,
    /// The writer's stdin when paced (`--paced`): a line lets it go on.
    pace: Option<ChildStdin>,
}

impl Writer {
    /// Starts live_writer.py; its stdout lines arrive on `lines`.
    fn start(py: &Path, repo: &Path, paced: bool) -> Writer {
        let mut cmd = Command::new(py);
        cmd.arg(writer_script()).arg(repo).arg(STEPS.to_string());
        if paced {
            cmd.args(["--paced", &PARTS.to_string()])
                .stdin(Stdio::piped());
        } else {
            cmd.stdin(Stdio::null());
        }
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start live_writer.py");
        let stdout = child.stdout.take().unwrap();
        let pace = child.stdin.take();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Writer {
            child: Some(child),
            lines: rx,
            pace,
        }
    }

    /// The hash of the next stdout line, which must be `word HASH`.
    fn line(&self, word: &str) -> String {
        let line = self
            .lines
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|e| panic!("no `{word}` line from the writer: {e}"));
        let hash = line.strip_prefix(&format!("{word} "));
        hash.unwrap_or_else(|| panic!("writer printed {line:?}, expected `{word} HASH`"))
            .to_owned()
    }

    /// Lets a paced writer write its next part (an exited writer's closed pipe is ignored).
    fn go_on(&mut self) {
        if let Some(p) = self.pace.as_mut() {
            let _ = p.write_all(b"go\n").and_then(|()| p.flush());
        }
    }

    fn running(&mut self) -> bool {
        let c = self.child.as_mut().unwrap();
        c.try_wait().unwrap().is_none()
    }

    /// Waits for the exit, asserting success.
    fn finish(&mut self) {
        self.pace = None;
        let out = self.child.take().unwrap().wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "live_writer.py failed ({}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// What the reads saw so far, to check that nothing goes back.
#[derive(Default)]
struct Seen {
    /// Highest step seen per (run hash, metric, subset).
    k: BTreeMap<(String, String, String), i64>,
    /// Every distinct `hparams` seen per run (JSON), absent ones as null.
    params: BTreeMap<String, BTreeSet<String>>,
    /// Reads whose ls showed the first run unfinished.
    unfinished: usize,
    /// Reads that saw the second run.
    second: usize,
    /// Highest step of the first run's `loss` in `test` that `report` took as final.
    report_step: i64,
    /// Reports that gave a final value.
    reports: usize,
    /// Points checked.
    points: usize,
    /// Reads that met a run being created (chunk, writer lock, no SQLite row yet).
    being_created: usize,
}

/// One in-process read of the repository with aim_store: every run's meta and seqs chunk.
fn read_in_process(dir: &Path, first: &str, seen: &mut Seen, read_no: usize) {
    let ctx = |what: &str| format!("read {read_no}: {what}");
    let repo = Repo::open(dir).unwrap_or_else(|e| panic!("{}", ctx(&e.to_string())));
    let scan = repo
        .scan()
        .unwrap_or_else(|e| panic!("{}", ctx(&e.to_string())));
    assert!(
        scan.problems.is_empty(),
        "{}",
        ctx(&format!("{:?}", scan.problems))
    );
    seen.being_created += scan.being_created.len();
    assert!(
        scan.runs.iter().any(|r| r.hash() == first),
        "{}",
        ctx("first run missing")
    );
    for run in &scan.runs {
        let h = run.hash().to_owned();
        let params = run
            .hparams()
            .map(common::sdk::node_json)
            .unwrap_or(J::Null)
            .to_string();
        seen.params.entry(h.clone()).or_default().insert(params);
        if h != first {
            seen.second += 1;
        }
        let seqs = Seqs::open(&repo.seqs_chunk(&h), &h)
            .unwrap_or_else(|e| panic!("{}", ctx(&format!("{h}: {e}"))));
        for trace in &run.meta.traces {
            let subset = trace.subset().unwrap_or("").to_owned();
            let ci = CONTEXTS.iter().position(|c| *c == subset).unwrap_or(0);
            let points = seqs
                .points(trace)
                .unwrap_or_else(|e| panic!("{}", ctx(&format!("{h} {}: {e}", trace.name))));
            for (i, p) in points.iter().enumerate() {
                assert_eq!(
                    p.step,
                    i as i64,
                    "{}",
                    ctx(&format!(
                        "{h} {} {subset}: steps not a prefix 0..k",
                        trace.name
                    ))
                );
                let want = expected_value(&trace.name, ci, p.step).unwrap();
                assert_eq!(
                    p.value,
                    Value::Float(want),
                    "{}",
                    ctx(&format!("{h} {} {subset} step {}", trace.name, p.step))
                );
            }
            seen.points += points.len();
            let k = points.len() as i64 - 1;
            // the meta chunk (read first) is written before the seqs chunk for each point
            if let Some(meta_last) = trace.last_step {
                assert!(
                    k + 1 >= meta_last,
                    "{}",
                    ctx(&format!(
                        "{h} {} {subset}: meta last_step {meta_last}, seqs only to {k}",
                        trace.name
                    ))
                );
            }
            let key = (h.clone(), trace.name.clone(), subset.clone());
            let prev = seen.k.entry(key).or_insert(-1);
            assert!(
                k >= *prev,
                "{}",
                ctx(&format!(
                    "{h} {} {subset}: went back from step {prev} to {k}",
                    trace.name
                ))
            );
            *prev = k;
        }
    }
}

/// One read with the binary: `ls --format json` and `properties --format json`, exit 0.
/// Returns the rows of `ls`.
fn read_with_binary(dir: &Path, first: &str, seen: &mut Seen, read_no: usize) -> J {
    let path = dir.to_str().unwrap();
    let ls = common::tcbench(&["aimrepo", "ls", "--aim-repo", path, "--format", "json"]);
    assert_eq!(
        ls.status.code(),
        Some(0),
        "read {read_no}: ls: {}",
        common::stderr(&ls)
    );
    let rows: J = serde_json::from_slice(&ls.stdout).unwrap();
    let row = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["hash"] == first)
        .unwrap_or_else(|| panic!("read {read_no}: ls lacks the first run: {rows}"));
    assert!(row["creation_time"].is_f64(), "read {read_no}: {row}");
    if row["end_time"].is_null() {
        seen.unfinished += 1;
    }
    let props = common::tcbench(&[
        "aimrepo",
        "properties",
        "--aim-repo",
        path,
        "--format",
        "json",
    ]);
    assert_eq!(
        props.status.code(),
        Some(0),
        "read {read_no}: properties: {}",
        common::stderr(&props)
    );
    let p: J = serde_json::from_slice(&props.stdout).unwrap();
    assert!(p["runs"].as_u64().unwrap() >= 1, "read {read_no}: {p}");
    report_final_loss(dir, first, seen, read_no);
    rows
}

/// `report` of the first run's `loss` in `test`: once the in-process read has seen that
/// trace, report succeeds and its final value is the writer's value at a step no lower than
/// any seen before (the highest step of a contiguous prefix, bit for bit).
fn report_final_loss(dir: &Path, first: &str, seen: &mut Seen, read_no: usize) {
    let out_dir = tempfile::tempdir().unwrap();
    let filter = format!("run.hash == '{first}'");
    let out = common::tcbench(&[
        "aimrepo",
        "report",
        "--aim-repo",
        dir.to_str().unwrap(),
        "--filter",
        &filter,
        "--metrics",
        "loss",
        "--contexts",
        "test",
        "--output-folder",
        out_dir.path().to_str().unwrap(),
        "--format",
        "json",
    ]);
    let key = (first.to_owned(), "loss".to_owned(), "test".to_owned());
    let Some(&k) = seen.k.get(&key) else {
        // the in-process read, just before, saw no such trace yet: report may not either
        return;
    };
    assert_eq!(
        out.status.code(),
        Some(0),
        "read {read_no}: report: {}",
        common::stderr(&out)
    );
    let j: J = serde_json::from_slice(&out.stdout).unwrap();
    let stats = &j[0]["groups"][0]["metrics"]["loss"];
    assert_eq!(stats["count"], 1, "read {read_no}: {j}");
    let v = stats["mean"].as_f64().unwrap();
    // loss in test (context 2) is 1 / (1 + step) + 2: recover the step, then check bit for bit
    let step = (1.0 / (v - 2.0) - 1.0).round() as i64;
    assert_eq!(
        expected_value("loss", 2, step),
        Some(v),
        "read {read_no}: report's final loss {v} is no step's value"
    );
    assert!(
        step >= k && step >= seen.report_step,
        "read {read_no}: report took step {step}; the reads before saw step {k}, reports {}",
        seen.report_step
    );
    seen.report_step = step;
    seen.reports += 1;
}

/// Every path under `.aim`, with run hashes and RocksDB file numbers replaced by
/// placeholders, and Aim's `check_ins/` heartbeat names (timestamps) left out.
fn file_kinds(dir: &Path, hashes: &[&str]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut stack = vec![dir.join(".aim")];
    while let Some(p) = stack.pop() {
        let rel = p.strip_prefix(dir).unwrap().display().to_string();
        if rel.starts_with(".aim/check_ins/") {
            continue;
        }
        let mut norm = rel.clone();
        for (i, h) in hashes.iter().enumerate() {
            norm = norm.replace(h, &format!("<run{i}>"));
        }
        let norm: String = {
            // every run of digits in a file name → N
            let mut s = String::new();
            let mut in_digits = false;
            for ch in norm.chars() {
                if ch.is_ascii_digit() {
                    if !in_digits {
                        s.push('N');
                    }
                    in_digits = true;
                } else {
                    s.push(ch);
                    in_digits = false;
                }
            }
            s
        };
        out.insert(norm);
        if p.is_dir() {
            for e in std::fs::read_dir(&p).unwrap() {
                stack.push(e.unwrap().path());
            }
        }
    }
    out
}

fn sdk_read(py: &Path, dir: &Path) -> J {
    let out = common::run_py(
        py,
        &[
            common::root()
                .join("testdata/interop/sdk_read.py")
                .to_str()
                .unwrap(),
            dir.to_str().unwrap(),
        ],
        &common::root(),
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn live(var: &str) {
    let py = common::aim_python(var);
    let started = Instant::now();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("live");
    // the control repository of the last check, filled meanwhile by the same writer
    let control = tmp.path().join("control");
    let mut c = Writer::start(&py, &control, false);
    let mut writer = Writer::start(&py, &dir, true);
    let first = writer.line("ready");

    let mut seen = Seen::default();
    let mut reads = 0;
    let mut overlapped = 0;
    let mut last_ls;
    loop {
        let running = writer.running();
        writer.go_on();
        reads += 1;
        read_in_process(&dir, &first, &mut seen, reads);
        last_ls = read_with_binary(&dir, &first, &mut seen, reads);
        if !running {
            break; // this read started after the writer exited: it sees the end
        }
        if writer.running() {
            overlapped += 1;
        }
    }
    writer.finish();
    let second = writer.line("second");
    assert_eq!(writer.line("done"), first);
    // the read after the writer's exit lists both runs finished
    let ended: Vec<&J> = last_ls
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["end_time"])
        .collect();
    assert!(
        ended.len() == 2 && ended.iter().all(|t| t.is_f64()),
        "{last_ls}"
    );
    eprintln!(
        "{var}: {reads} reads ({overlapped} wholly while the writer ran; {} saw the first run \
         unfinished, {} saw the second run, {} saw it being created, {} reports), {} points \
         checked, in {:.1} s",
        seen.unfinished,
        seen.second,
        seen.being_created,
        seen.reports,
        seen.points,
        started.elapsed().as_secs_f64()
    );
    assert!(
        overlapped >= 20,
        "only {overlapped} reads overlapped the writer"
    );
    assert!(
        seen.unfinished >= 20,
        "{} reads saw the run unfinished",
        seen.unfinished
    );

    // Real Aim reads the run finished, with every step; we read exactly what it reads.
    let expected = sdk_read(&py, &dir);
    let runs = expected["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2, "{expected}");
    let run1 = runs.iter().find(|r| r["hash"] == first.as_str()).unwrap();
    assert!(
        run1["end_time"].is_f64(),
        "Aim sees the run unfinished: {run1}"
    );
    let traces = run1["traces"].as_array().unwrap();
    assert_eq!(traces.len(), 6);
    for t in traces {
        assert_eq!(t["count"], STEPS, "{t}");
        assert_eq!(t["last_step"], STEPS - 1, "{t}");
    }
    let run2 = runs.iter().find(|r| r["hash"] == second.as_str()).unwrap();
    assert!(run2["end_time"].is_f64(), "{run2}");
    assert_eq!(run2["traces"][0]["count"], SECOND_STEPS);
    assert_eq!(common::sdk::check_repo_against(&dir, &expected), 7);

    // Params seen mid-write: the final ones (as real Aim reads them) or none.
    for (h, params) in &seen.params {
        let fin =
            runs.iter().find(|r| r["hash"] == h.as_str()).unwrap()["params"]["hparams"].to_string();
        for p in params {
            assert!(
                p == "null" || *p == fin,
                "run {h}: params {p} seen, final {fin}"
            );
        }
    }
    let steps_seen = seen.k.get(&(first.clone(), "loss".into(), "train".into()));
    assert_eq!(steps_seen, Some(&(STEPS - 1)));
    // the last report, after the writer exited, took the last step as final
    assert_eq!(seen.report_step, STEPS - 1);
    assert!(seen.reports >= 20, "only {} reports", seen.reports);

    // Our reads created nothing: the repository holds the same kinds of files as one the
    // same writer filled with nobody reading.
    let c1 = c.line("ready");
    let c2 = c.line("second");
    c.finish();
    assert_eq!(
        file_kinds(&dir, &[&first, &second]),
        file_kinds(&control, &[&c1, &c2]),
        "files of the repository read while written vs one nobody read"
    );
}

#[test]
#[cfg_attr(
    tcbench_skip_interop,
    ignore = "TCBENCH_SKIP_INTEROP: needs Python with real Aim (scripts/test.sh)"
)]
fn reading_while_aim_3_29_writes() {
    live("TCBENCH_AIM_PYTHON");
}

#[test]
#[cfg_attr(
    tcbench_skip_interop,
    ignore = "TCBENCH_SKIP_INTEROP: needs Python with real Aim (scripts/test.sh)"
)]
fn reading_while_aim_3_17_writes() {
    live("TCBENCH_AIM317_PYTHON");
}
