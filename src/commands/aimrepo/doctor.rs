//! `tcbench aimrepo doctor`: a read-only health report of a repository, each problem with
//! the Aim command that fixes it (the checks are `aim_store::health`; this file is the
//! command line and the rendering). Exit 0 healthy, 3 problems found, 1 unreadable.

use std::io::Write;
use std::path::Path;

use aim_store::health::{self, Finding, Fix, Health, IndexState, Severity};
use aim_store::Repo;
use anyhow::Context;

use crate::cli::{DoctorArgs, DoctorFormat};
use crate::commands::Status;
use tcbench::output::text::suffix;

/// A path as a shell word (single-quoted unless plainly safe).
fn shell_word(s: &str) -> String {
    let safe = !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-./:@%+=,".contains(&b));
    if safe {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// The command line of a fix, for the repository at `root`.
fn fix_command(fix: &Fix, root: &Path) -> String {
    let root = if root.as_os_str().is_empty() {
        Path::new(".")
    } else {
        root
    };
    let repo = shell_word(&root.display().to_string());
    match fix {
        Fix::Close(h) => format!("aim runs --repo {repo} close -y {}", h.join(" ")),
        Fix::Remove(h) => format!("aim runs --repo {repo} rm -y {}", h.join(" ")),
        Fix::Reindex => format!("aim storage --repo {repo} reindex -y"),
        Fix::RemoveFiles(p) => format!(
            "rm {}",
            p.iter()
                .map(|p| shell_word(&p.display().to_string()))
                .collect::<Vec<_>>()
                .join(" ")
        ),
        Fix::RerunMerge(sources) => format!(
            "tcbench aimrepo merge --append {}--dst {repo}",
            sources
                .iter()
                .map(|p| format!("--src {} ", shell_word(&p.display().to_string())))
                .collect::<String>()
        ),
    }
}

fn fix_caveat(fix: &Fix) -> Option<&'static str> {
    match fix {
        Fix::Remove(_) => Some("removes the run and its data; keep a copy if any of it matters"),
        Fix::Close(_) => Some("only once no process writes the run"),
        Fix::Reindex => Some(
            "stop `aim up` first; needs Aim 3.20 or later: before it (3.17.4, which tcbench pins, included) `storage reindex` does nothing",
        ),
        Fix::RemoveFiles(_) => None,
        Fix::RerunMerge(_) => {
            Some("with the --filter, --skip-duplicates or --skip-active it had, if any")
        }
    }
}

#[derive(serde::Serialize)]
struct JsonFinding<'a> {
    severity: &'static str,
    kind: &'static str,
    runs: &'a [String],
    path: String,
    detail: &'a str,
    fix: Option<String>,
}

#[derive(serde::Serialize)]
struct JsonReport<'a> {
    repository: String,
    healthy: bool,
    runs: usize,
    problems: usize,
    index: &'static str,
    findings: Vec<JsonFinding<'a>>,
}

fn index_text(s: IndexState) -> &'static str {
    match s {
        IndexState::Absent => "absent",
        IndexState::Present => "present",
        IndexState::Corrupt => "corrupt",
    }
}

fn problems(h: &Health) -> usize {
    h.findings
        .iter()
        .filter(|f| f.severity == Severity::Problem)
        .count()
}

fn render_text(
    out: &mut impl Write,
    h: &Health,
    repo_arg: &Path,
    root: &Path,
) -> std::io::Result<()> {
    let index = match h.index {
        IndexState::Absent => "no meta/index (Aim reads every chunk)",
        IndexState::Present => "meta/index present (Aim 3.29 reads run metadata from it)",
        IndexState::Corrupt => "meta/index unreadable",
    };
    writeln!(
        out,
        "repository `{}`: {} run{}, {index}",
        repo_arg.display(),
        h.runs,
        suffix(h.runs)
    )?;
    for f in &h.findings {
        write_finding(out, f, root)?;
    }
    let n = problems(h);
    if n == 0 {
        writeln!(out, "healthy: no problem found")?;
    } else {
        writeln!(
            out,
            "{n} problem{} found; apply the fixes in the order shown",
            suffix(n)
        )?;
    }
    Ok(())
}

fn write_finding(out: &mut impl Write, f: &Finding, root: &Path) -> std::io::Result<()> {
    let label = match f.severity {
        Severity::Problem => "problem",
        Severity::Note => "note",
    };
    let who = match f.runs.as_slice() {
        [] => String::new(),
        [one] => format!("run {one}: "),
        many if many.len() <= 3 => format!("runs {}: ", many.join(", ")),
        many => format!("{} runs ({}, …): ", many.len(), many[..3].join(", ")),
    };
    writeln!(out, "{label}: [{}] {who}{}", f.kind.name(), f.detail)?;
    if let Some(fix) = &f.fix {
        match fix_caveat(fix) {
            Some(c) => writeln!(out, "  fix: {}   ({c})", fix_command(fix, root))?,
            None => writeln!(out, "  fix: {}", fix_command(fix, root))?,
        }
    }
    Ok(())
}

/// The report of `--format json`.
fn json_report<'a>(h: &'a Health, repo_arg: &Path, root: &Path) -> JsonReport<'a> {
    JsonReport {
        repository: repo_arg.display().to_string(),
        healthy: h.healthy(),
        runs: h.runs,
        problems: problems(h),
        index: index_text(h.index),
        findings: h
            .findings
            .iter()
            .map(|f| JsonFinding {
                severity: match f.severity {
                    Severity::Problem => "problem",
                    Severity::Note => "note",
                },
                kind: f.kind.name(),
                runs: &f.runs,
                path: f.path.display().to_string(),
                detail: &f.detail,
                fix: f.fix.as_ref().map(|x| fix_command(x, root)),
            })
            .collect(),
    }
}

/// The repository's health and its root (the folder holding `.aim`).
fn check(aim_repo: &Path) -> anyhow::Result<(Health, std::path::PathBuf)> {
    let repo = Repo::open(aim_repo)?;
    let h = health::check(&repo).with_context(|| format!("checking `{}`", aim_repo.display()))?;
    Ok((h, repo.root().to_path_buf()))
}

/// What `doctor --aim-repo AIM_REPO --format json` prints, without printing it (the Python
/// package's `doctor()` parses it).
pub fn json_text(aim_repo: &Path) -> anyhow::Result<String> {
    let (h, root) = check(aim_repo)?;
    Ok(serde_json::to_string_pretty(&json_report(
        &h, aim_repo, &root,
    ))?)
}

/// Runs the command.
pub fn run(args: &DoctorArgs) -> anyhow::Result<Status> {
    let (h, root) = check(&args.aim_repo)?;
    let mut out = std::io::BufWriter::new(crate::printer::stdout());
    match args.format {
        DoctorFormat::Text => render_text(&mut out, &h, &args.aim_repo, &root)?,
        DoctorFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &json_report(&h, &args.aim_repo, &root))?;
            writeln!(out)?;
        }
    }
    out.flush()?;
    Ok(if h.healthy() {
        Status::Success
    } else {
        Status::Partial
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fix_commands_quote_paths() {
        let p = Path::new("/tmp/my repo");
        assert_eq!(
            fix_command(&Fix::Reindex, p),
            "aim storage --repo '/tmp/my repo' reindex -y"
        );
        assert_eq!(
            fix_command(&Fix::Close(vec!["ab".into()]), Path::new("runs/x")),
            "aim runs --repo runs/x close -y ab"
        );
        assert_eq!(shell_word("it's"), r"'it'\''s'");
    }
}
