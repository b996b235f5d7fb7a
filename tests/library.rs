//! The pipeline called in-process, as the Python package will: the library (not the binary)
//! loads a fixture repository, summarizes it as `report` does, writes its files and renders
//! the console table — and gets the same bytes as the CLI's stdout for the same arguments.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use tcbench::output::console::report::write_table;
use tcbench::output::{dest, files};
use tcbench::report::{self, Campaign, Config, ValueKind};
use tcbench::runs::{self, Diagnostic};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/repos")
        .join(name)
}

/// `report` through the library: stdout's bytes and the diagnostics said.
fn report_in_process(
    repo: &Path,
    out: &Path,
    metrics: &[&str],
    value: ValueKind,
) -> (Vec<u8>, Vec<Diagnostic>) {
    let paths = vec![repo.to_path_buf()];
    let opts = runs::Options {
        paths: &paths,
        filter: None,
        archived: false,
    };
    let mut said = Vec::new();
    let mut loaded = runs::load(&opts, &mut said).unwrap();
    let config = Config::resolve(
        &report::Options {
            metrics: metrics.iter().map(|m| m.to_string()).collect(),
            contexts: None,
            groupby: None,
            campaign_id: None,
            value,
        },
        &loaded.runs,
    )
    .unwrap();
    runs::sort_newest_first(&mut loaded.runs);
    let (rows, problems) =
        report::read_values(&loaded, &config.metrics, &config.contexts, config.value);
    said.extend(problems);
    let campaigns = report::summarize_campaigns(&rows, &config, &mut said).unwrap();
    let summary_root = files::report_root(Some(out), &paths)
        .unwrap()
        .join("campaign_summary");
    let plans = files::plan_report(&summary_root, &campaigns, &dest::aim_dirs(&paths)).unwrap();
    let saved = files::write_report(&plans, &campaigns, &config.metrics, &config.contexts).unwrap();
    let only: Vec<&Campaign> = campaigns.iter().map(|s| &s.campaign).collect();
    let mut bytes = Vec::new();
    write_table(&mut bytes, &only, &saved, &[], &config.metrics, 2).unwrap();
    (bytes, said)
}

fn report_by_cli(repo: &Path, out: &Path, extra: &[&str]) -> Vec<u8> {
    let run = Command::new(env!("CARGO_BIN_EXE_tcbench"))
        .args(["aimrepo", "report", "--aim-repo"])
        .arg(repo)
        .arg("--output-folder")
        .arg(out)
        .args(extra)
        .output()
        .unwrap();
    assert!(run.status.success(), "{run:?}");
    run.stdout
}

#[test]
fn report_in_process_prints_what_the_cli_prints() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let repo = fixture("campaign");
    let cli = report_by_cli(&repo, &out, &[]);
    let (lib, said) = report_in_process(&repo, &out, &["acc"], ValueKind::Last);
    assert!(!cli.is_empty());
    assert_eq!(
        String::from_utf8(lib).unwrap(),
        String::from_utf8(cli).unwrap()
    );
    assert!(said.is_empty(), "{said:?}");
}

#[test]
fn report_in_process_with_several_metrics_and_max() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let repo = fixture("campaign");
    let cli = report_by_cli(&repo, &out, &["--metrics", "acc,loss", "--value", "max"]);
    let (lib, _) = report_in_process(&repo, &out, &["acc", "loss"], ValueKind::Max);
    assert_eq!(
        String::from_utf8(lib).unwrap(),
        String::from_utf8(cli).unwrap()
    );
}

/// Loading says what it found as data, in order, and prints nothing.
#[test]
fn loading_returns_its_diagnostics() {
    let repo = fixture("campaign");
    let paths = vec![repo.clone(), repo];
    let mut said = Vec::new();
    let loaded = runs::load(
        &runs::Options {
            paths: &paths,
            filter: Some("hparams.seed == -1"),
            archived: false,
        },
        &mut said,
    )
    .unwrap();
    assert!(loaded.runs.is_empty());
    assert!(!loaded.partial);
    assert!(
        matches!(&said[0], Diagnostic::Warning(w) if w.contains("is the same repository as")),
        "{said:?}"
    );
    assert!(
        matches!(said.last(), Some(Diagnostic::Note(n)) if n.starts_with("--filter: 0 of ")),
        "{said:?}"
    );
}
