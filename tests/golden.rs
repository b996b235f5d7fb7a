//! Parity with the real Python tcbench 0.0.22: its outputs on our fixture repositories were
//! captured once by `testdata/golden/make_golden.sh` (see testdata/golden/README.md) and are
//! compared here: `ls` and `properties` byte for byte, `report`'s console table byte for byte,
//! every number of its CSV files to 1e-12 (relative) and every column of its Parquet files.

#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};

use arrow_array::{Array, BooleanArray, Float64Array, Int64Array, StringArray};
use serde_json::Value as J;

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
        let out = run_cols(&common::root(), "80", &["aimrepo", "ls", "--aim-repo", r]);
        assert_eq!(
            common::stdout(&out),
            read(&golden(&fx).join("ls.stdout")),
            "{fx}: ls"
        );
        for (cols, file) in [
            ("80", "properties.stdout"),
            ("120", "properties.cols120.stdout"),
        ] {
            let out = run_cols(
                &common::root(),
                cols,
                &["aimrepo", "properties", "--aim-repo", r],
            );
            assert_eq!(
                common::stdout(&out),
                read(&golden(&fx).join(file)),
                "{fx}: {file}"
            );
        }
        compared += 1;
    }
    assert!(compared >= 2, "compared {compared} fixtures");
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

fn parquet_columns(p: &Path) -> Vec<(String, Vec<J>)> {
    let f = std::fs::File::open(p).unwrap();
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(f)
        .unwrap()
        .build()
        .unwrap();
    let mut cols: Vec<(String, Vec<J>)> = Vec::new();
    for batch in reader {
        let batch = batch.unwrap();
        for (i, field) in batch.schema().fields().iter().enumerate() {
            let arr = batch.column(i);
            let vals: Vec<J> = (0..arr.len())
                .map(|r| {
                    if arr.is_null(r) {
                        return J::Null;
                    }
                    if let Some(a) = arr.as_any().downcast_ref::<StringArray>() {
                        J::from(a.value(r))
                    } else if let Some(a) = arr.as_any().downcast_ref::<Float64Array>() {
                        serde_json::Number::from_f64(a.value(r))
                            .map(J::Number)
                            .unwrap_or(J::Null)
                    } else if let Some(a) = arr.as_any().downcast_ref::<Int64Array>() {
                        J::from(a.value(r))
                    } else if let Some(a) = arr.as_any().downcast_ref::<BooleanArray>() {
                        J::from(a.value(r))
                    } else {
                        panic!("{}: unexpected type {}", p.display(), field.data_type())
                    }
                })
                .collect();
            match cols.iter_mut().find(|(n, _)| n == field.name()) {
                Some((_, v)) => v.extend(vals),
                None => cols.push((field.name().clone(), vals)),
            }
        }
    }
    cols
}

fn compare_parquet(ours: &Path, golden_json: &Path) {
    let want: J = serde_json::from_str(&read(golden_json)).unwrap();
    let names: Vec<&str> = want["frame"]["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    let data = want["frame"]["data"].as_array().unwrap();
    let cols = parquet_columns(ours);
    let our_names: Vec<&str> = cols.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(our_names, names, "{}: columns", ours.display());
    for (ci, (name, values)) in cols.iter().enumerate() {
        assert_eq!(values.len(), data.len(), "{}: rows", ours.display());
        for (ri, v) in values.iter().enumerate() {
            let w = &data[ri][ci];
            let ok = match (v, w) {
                (J::Number(a), J::Number(b)) => close(a.as_f64().unwrap(), b.as_f64().unwrap()),
                (a, b) => a == b,
            };
            assert!(
                ok,
                "{}: column {name} row {ri}: ours {v} vs original {w}",
                ours.display()
            );
        }
    }
}

fn check_report(fx: &str, case: &str, extra: &[&str]) {
    let tmp = tempfile::tempdir().unwrap();
    common::copy_tree(&common::fixture(fx), &tmp.path().join(fx));
    let mut args = vec!["aimrepo", "report", "--aim-repo", fx];
    args.extend_from_slice(extra);
    let out = run_cols(tmp.path(), "200", &args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{fx} {case}: {}",
        common::stderr(&out)
    );
    assert_eq!(
        common::stdout(&out),
        read(&golden(fx).join(format!("{case}.stdout"))),
        "{fx} {case}: console"
    );
    let files = golden(fx).join(case).join("files");
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
            } else if let Some(pq) = name.strip_suffix(".json") {
                compare_parquet(&tmp.path().join(rel.with_file_name(pq)), &p);
                checked += 1;
            }
        }
    }
    assert!(checked >= 2, "{fx} {case}: only {checked} files compared");
}

#[test]
fn report_equals_the_original_with_default_options() {
    for fx in fixtures_where_original_works("report-default.cols200") {
        check_report(&fx, "report-default.cols200", &[]);
    }
}

#[test]
fn report_equals_the_original_with_custom_options() {
    for fx in fixtures_where_original_works("report-custom.cols200") {
        check_report(
            &fx,
            "report-custom.cols200",
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
