//! Parity with the real Python tcbench 0.0.22: its outputs on our fixture repositories were
//! captured once by `testdata/golden/make_golden.sh` (see testdata/golden/README.md) and are
//! compared here: `ls` and `properties` byte for byte (stdout, stderr, exit status), `report`'s
//! console table byte for byte with the original's at 200 columns and cell by cell with its
//! 80-column output (which elides cells with `…`: ours keeps the natural width, README
//! "Differences"), its stderr (less Python's own warnings) and exit status, every number of its
//! CSV files to 1e-12 (relative), and its Parquet files against the original's files
//! themselves: column names, Arrow types, nulls apart from NaN, and every value.

#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};

use arrow_array::{Array, BooleanArray, Float64Array, Int64Array, StringArray};

fn golden(fixture: &str) -> PathBuf {
    common::root().join("testdata/golden").join(fixture)
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// Fixtures on which the original succeeded for `cmd` (its `.exit` file says 0).
fn fixtures_where_original_works(cmd: &str) -> Vec<String> {
    let names: Vec<String> = common::fixture_names()
        .into_iter()
        .filter(|f| {
            let p = golden(f).join(format!("{cmd}.exit"));
            p.exists() && read(&p).trim() == "0"
        })
        .collect();
    assert!(!names.is_empty(), "no golden output for {cmd}");
    names
}

fn run_cols(dir: &Path, cols: &str, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_tcbench"))
        .args(args)
        .current_dir(dir)
        .env("COLUMNS", cols)
        .output()
        .unwrap()
}

#[test]
fn ls_and_properties_equal_the_original_byte_for_byte() {
    let mut compared = 0;
    for fx in fixtures_where_original_works("ls") {
        let repo = common::fixture(&fx);
        let r = repo.to_str().unwrap();
        for (cols, sub, case) in [
            ("80", "ls", "ls"),
            ("80", "properties", "properties"),
            ("120", "properties", "properties.cols120"),
        ] {
            let out = run_cols(&common::root(), cols, &["aimrepo", sub, "--aim-repo", r]);
            assert_eq!(
                common::stdout(&out),
                read(&golden(&fx).join(format!("{case}.stdout"))),
                "{fx}: {case}"
            );
            same_stderr_and_exit(&out, &fx, case);
        }
        compared += 1;
    }
    assert!(compared >= 2, "compared {compared} fixtures");
}

/// Our stderr equals the original's less the warnings Python itself prints (a
/// `file.py:N: SomethingWarning: …` line and the source line under it: statsmodels on a group
/// of one run), and the exit status equals its `.exit` file.
fn same_stderr_and_exit(out: &std::process::Output, fx: &str, case: &str) {
    let theirs = read(&golden(fx).join(format!("{case}.stderr")));
    let mut want = String::new();
    let mut skip_source_line = false;
    for line in theirs.lines() {
        if std::mem::take(&mut skip_source_line) && line.starts_with("  ") {
            continue;
        }
        if line.contains(".py:") && line.contains("Warning: ") {
            skip_source_line = true;
            continue;
        }
        want.push_str(line);
        want.push('\n');
    }
    assert_eq!(common::stderr(out), want, "{fx} {case}: stderr");
    let code = read(&golden(fx).join(format!("{case}.exit")));
    assert_eq!(
        out.status.code().map(|c| c.to_string()).as_deref(),
        Some(code.trim()),
        "{fx} {case}: exit status"
    );
}

/// The original at 80 columns squeezes `report`'s table and elides cells (`69.…`, `aug_na…`, a
/// lone `…`); ours keeps the natural width. Line by line, every cell the original shows must
/// be ours or a prefix of ours ending in `…`, and the other lines (campaign, runs, `saving:`)
/// must be equal.
/// Rules (`───`) are as long as their columns, and rich wraps a `saving: PATH` line longer than
/// the console after `saving: `; ours does not.
fn consistent_with_elided(ours: &str, theirs: &str, what: &str) {
    let theirs = theirs.replace("saving: \n", "saving: ");
    let (lo, lt): (Vec<&str>, Vec<&str>) = (ours.lines().collect(), theirs.lines().collect());
    assert_eq!(lo.len(), lt.len(), "{what}: line count\n{ours}\n{theirs}");
    let mut elided = 0;
    for (o, t) in lo.iter().zip(&lt) {
        let (co, ct): (Vec<&str>, Vec<&str>) = (
            o.split_whitespace().collect(),
            t.split_whitespace().collect(),
        );
        assert_eq!(co.len(), ct.len(), "{what}: cells of\n{o}\n{t}");
        for (a, b) in co.iter().zip(&ct) {
            let rule = |c: &str| c.chars().all(|ch| ch == '─');
            if a == b || (rule(a) && rule(b)) {
                continue;
            }
            let kept = b.strip_suffix('…');
            assert!(
                kept.is_some_and(|k| a.starts_with(k) && a.len() > k.len()),
                "{what}: ours `{a}` vs the original's `{b}` in\n{o}\n{t}"
            );
            elided += 1;
        }
    }
    assert!(elided > 0, "{what}: the 80-column golden elides nothing");
}

fn close(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || a == b || (a - b).abs() <= 1e-12 * a.abs().max(b.abs())
}

fn compare_csv(ours: &Path, theirs: &Path) {
    let a = read(ours);
    let b = read(theirs);
    let (la, lb): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
    assert_eq!(la.len(), lb.len(), "{}: line count", ours.display());
    for (x, y) in la.iter().zip(&lb) {
        let (cx, cy): (Vec<&str>, Vec<&str>) = (x.split(',').collect(), y.split(',').collect());
        assert_eq!(cx.len(), cy.len(), "{}: {x} vs {y}", ours.display());
        for (p, q) in cx.iter().zip(&cy) {
            match (p.parse::<f64>(), q.parse::<f64>()) {
                (Ok(u), Ok(v)) => assert!(close(u, v), "{}: {p} vs {q}", ours.display()),
                _ => assert_eq!(p, q, "{}", ours.display()),
            }
        }
    }
}

/// A Parquet cell as read, with null and NaN apart.
#[derive(Debug, PartialEq)]
enum Cell {
    Null,
    NaN,
    F(f64),
    I(i64),
    S(String),
    B(bool),
}

/// Every column of a Parquet file: name, Arrow type, cells.
fn parquet_columns(p: &Path) -> Vec<(String, String, Vec<Cell>)> {
    let f = std::fs::File::open(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(f)
        .unwrap()
        .build()
        .unwrap();
    let mut cols: Vec<(String, String, Vec<Cell>)> = Vec::new();
    for batch in reader {
        let batch = batch.unwrap();
        for (i, field) in batch.schema().fields().iter().enumerate() {
            let arr = batch.column(i);
            let vals: Vec<Cell> = (0..arr.len())
                .map(|r| {
                    if arr.is_null(r) || arr.data_type() == &arrow_schema::DataType::Null {
                        return Cell::Null;
                    }
                    if let Some(a) = arr.as_any().downcast_ref::<StringArray>() {
                        Cell::S(a.value(r).to_owned())
                    } else if let Some(a) = arr.as_any().downcast_ref::<Float64Array>() {
                        let v = a.value(r);
                        if v.is_nan() {
                            Cell::NaN
                        } else {
                            Cell::F(v)
                        }
                    } else if let Some(a) = arr.as_any().downcast_ref::<Int64Array>() {
                        Cell::I(a.value(r))
                    } else if let Some(a) = arr.as_any().downcast_ref::<BooleanArray>() {
                        Cell::B(a.value(r))
                    } else {
                        panic!("{}: unexpected type {}", p.display(), field.data_type())
                    }
                })
                .collect();
            match cols.iter_mut().find(|(n, _, _)| n == field.name()) {
                Some((_, _, v)) => v.extend(vals),
                None => cols.push((field.name().clone(), field.data_type().to_string(), vals)),
            }
        }
    }
    cols
}

/// Our Parquet file against the original's: the same columns in the same order, each of the
/// same Arrow type (an integer column stays integral), the same rows, null where the original
/// has null and NaN where it has NaN, numbers to 1e-12 (relative), the rest exactly.
fn compare_parquet(ours: &Path, theirs: &Path) {
    let (a, b) = (parquet_columns(ours), parquet_columns(theirs));
    // pandas writes a column of None only as Arrow's `Null` type (dtype `object`); ours is
    // typed: the same when all its cells are null
    let names = |c: &[(String, String, Vec<Cell>)]| -> Vec<(String, String)> {
        c.iter()
            .map(|(n, t, v)| {
                let all_null = v.iter().all(|x| *x == Cell::Null);
                let t = if all_null {
                    "Null (all null)"
                } else {
                    t.as_str()
                };
                (n.clone(), t.to_owned())
            })
            .collect()
    };
    assert_eq!(
        names(&a),
        names(&b),
        "{}: columns and types",
        ours.display()
    );
    for ((name, _, x), (_, _, y)) in a.iter().zip(&b) {
        assert_eq!(x.len(), y.len(), "{}: rows", ours.display());
        for (ri, (u, v)) in x.iter().zip(y).enumerate() {
            let ok = match (u, v) {
                (Cell::F(p), Cell::F(q)) => close(*p, *q),
                _ => u == v,
            };
            assert!(
                ok,
                "{}: column {name} row {ri}: ours {u:?} vs original {v:?}",
                ours.display()
            );
        }
    }
}

/// `report` with `extra` at 200 and at 80 columns against the original's `case.cols200` and
/// `case` goldens: console, stderr, exit status and every file written.
fn check_report(fx: &str, case: &str, extra: &[&str]) {
    let wide = format!("{case}.cols200");
    for (cols, golden_case) in [("200", wide.as_str()), ("80", case)] {
        let tmp = tempfile::tempdir().unwrap();
        common::copy_tree(&common::fixture(fx), &tmp.path().join(fx));
        let mut args = vec!["aimrepo", "report", "--aim-repo", fx];
        args.extend_from_slice(extra);
        let out = run_cols(tmp.path(), cols, &args);
        same_stderr_and_exit(&out, fx, golden_case);
        let theirs = read(&golden(fx).join(format!("{golden_case}.stdout")));
        if cols == "200" {
            assert_eq!(common::stdout(&out), theirs, "{fx} {golden_case}: console");
        } else {
            // ours is the natural width whatever COLUMNS says (the wide golden)
            assert_eq!(
                common::stdout(&out),
                read(&golden(fx).join(format!("{wide}.stdout"))),
                "{fx} {golden_case}: console at 80 columns"
            );
            consistent_with_elided(
                &common::stdout(&out),
                &theirs,
                &format!("{fx} {golden_case}"),
            );
        }
        let files = golden(fx).join(golden_case).join("files");
        let mut checked = 0;
        let mut stack = vec![files.clone()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                    continue;
                }
                let rel = p.strip_prefix(&files).unwrap();
                let name = p.file_name().unwrap().to_string_lossy().into_owned();
                if name.ends_with(".csv") {
                    compare_csv(&tmp.path().join(rel), &p);
                    checked += 1;
                } else if name.ends_with(".parquet") {
                    compare_parquet(&tmp.path().join(rel), &p);
                    checked += 1;
                }
            }
        }
        assert!(
            checked >= 2,
            "{fx} {golden_case}: only {checked} files compared"
        );
    }
}

#[test]
fn report_equals_the_original_with_default_options() {
    for fx in fixtures_where_original_works("report-default") {
        check_report(&fx, "report-default", &[]);
    }
}

#[test]
fn report_equals_the_original_with_custom_options() {
    for fx in fixtures_where_original_works("report-custom") {
        check_report(
            &fx,
            "report-custom",
            &[
                "--groupby",
                "flowpic_dim,aug_name",
                "--contexts",
                "test-human",
                "--metrics",
                "acc,f1",
                "--precision",
                "3",
                "--output-folder",
                "out",
            ],
        );
    }
}
