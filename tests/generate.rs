//! `tcbench completions` and `tcbench man`: generated from the clap definition, they cover
//! every subcommand (read from `--help`, so new ones are checked too), and bash accepts the
//! completion script and completes with it.

#![allow(clippy::unwrap_used)]

mod common;

use std::process::Command;

/// Subcommand names listed under `Commands:` by `tcbench [ARGS] --help` (without `help`).
fn subcommands(args: &[&str]) -> Vec<String> {
    let mut all = args.to_vec();
    all.push("--help");
    let out = common::stdout(&common::tcbench(&all));
    out.split("Commands:\n")
        .nth(1)
        .unwrap()
        .lines()
        .take_while(|l| l.starts_with("  "))
        .filter(|l| !l.starts_with("   ")) // wrapped descriptions
        .filter_map(|l| l.split_whitespace().next())
        .filter(|n| *n != "help")
        .map(str::to_owned)
        .collect()
}

fn every_command() -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for top in subcommands(&[]) {
        out.push(vec![top.clone()]);
        let out_help = common::tcbench(&[&top, "--help"]);
        if common::stdout(&out_help).contains("Commands:") {
            for sub in subcommands(&[&top]) {
                out.push(vec![top.clone(), sub]);
            }
        }
    }
    out
}

#[test]
fn the_command_list_is_read_from_help() {
    let all = every_command();
    for want in [
        vec!["aimrepo", "ls"],
        vec!["aimrepo", "export"],
        vec!["completions"],
        vec!["man"],
    ] {
        assert!(all.iter().any(|c| c == &want), "{want:?} not in {all:?}");
    }
}

#[test]
fn completion_scripts_name_every_subcommand() {
    let names: Vec<String> = every_command().into_iter().flatten().collect();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let o = common::tcbench(&["completions", shell]);
        assert!(o.status.success(), "{shell}: {}", common::stderr(&o));
        let script = common::stdout(&o);
        assert!(script.len() > 1000, "{shell}: {} bytes", script.len());
        for n in &names {
            assert!(script.contains(n.as_str()), "{shell} script lacks `{n}`");
        }
        assert!(script.contains("final-only"), "{shell}"); // fish: `-l final-only`
    }
}

/// bash sources the script without error and completes `tcbench aimrepo ex` to `export`.
#[test]
fn bash_sources_the_completion_script_and_completes() {
    let o = common::tcbench(&["completions", "bash"]);
    let tmp = tempfile::tempdir().unwrap();
    let script = tmp.path().join("tcbench.bash");
    std::fs::write(&script, &o.stdout).unwrap();
    let probe = format!(
        r#"set -e
source '{}'
COMP_WORDS=(tcbench aimrepo ex); COMP_CWORD=2; COMP_LINE='tcbench aimrepo ex'; COMP_POINT=${{#COMP_LINE}}
_tcbench tcbench ex aimrepo
echo "${{COMPREPLY[@]}}"
COMP_WORDS=(tcbench aimrepo export --fin); COMP_CWORD=3; COMP_LINE='tcbench aimrepo export --fin'; COMP_POINT=${{#COMP_LINE}}
_tcbench tcbench --fin export
echo "${{COMPREPLY[@]}}"
"#,
        script.display()
    );
    let out = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", &probe])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && stderr.is_empty(), "{stderr}");
    let lines: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(lines, ["export", "--final-only"]);
}

#[test]
fn man_page_on_stdout_names_the_top_level_commands() {
    let o = common::tcbench(&["man"]);
    assert!(o.status.success());
    let page = common::stdout(&o);
    assert!(
        page.starts_with(".ie") || page.contains(".TH tcbench 1"),
        "{page}"
    );
    for n in subcommands(&[]) {
        assert!(
            page.contains(&format!("tcbench\\-{n}(1)")),
            "lacks {n}:\n{page}"
        );
    }
    assert!(
        !page.contains("tcbench\\-help(1)"),
        "names a page that --dir does not write"
    );
}

#[test]
fn man_dir_has_one_page_per_command_with_its_options() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("man1");
    let o = common::tcbench(&["man", "--dir", dir.to_str().unwrap()]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    let mut want = vec!["tcbench.1".to_owned()];
    for c in every_command() {
        want.push(format!("tcbench-{}.1", c.join("-")));
    }
    want.sort();
    let mut got: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    got.sort();
    assert_eq!(got, want);
    let export = std::fs::read_to_string(dir.join("tcbench-aimrepo-export.1")).unwrap();
    for opt in [
        "\\-\\-output",
        "\\-\\-final\\-only",
        "\\-\\-aim\\-repo",
        "\\-\\-force",
    ] {
        assert!(export.contains(opt), "export page lacks {opt}");
    }
}
