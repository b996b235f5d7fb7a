//! No command changes a single byte, file or mtime of the repository it reads: the tree
//! (paths, modes, sizes, mtimes, contents) is hashed before and after every subcommand, on
//! every fixture, including the killed run whose data lives only in the WAL.

#![allow(clippy::unwrap_used)]

mod common;

#[test]
fn reading_commands_leave_every_fixture_untouched() {
    let commands: &[&[&str]] = &[
        &["aimrepo", "ls"],
        &["aimrepo", "ls", "--format", "json", "--archived"],
        &["aimrepo", "properties"],
        &["aimrepo", "properties", "--format", "json"],
        &[
            "aimrepo",
            "report",
            "--contexts",
            "train",
            "--metrics",
            "loss",
        ],
    ];
    for name in common::fixture_names() {
        let (_tmp, repo) = common::fixture_copy(&name);
        let before = common::tree_state(&repo);
        for cmd in commands {
            let mut args: Vec<&str> = cmd.to_vec();
            let path = repo.to_str().unwrap();
            let outdir = _tmp.path().join("reports");
            let outdir = outdir.to_str().unwrap();
            args.extend(["--aim-repo", path]);
            if cmd.contains(&"report") {
                if ![
                    "campaign",
                    "campaign-noindex",
                    "campaign-quirks",
                    "long-metric",
                    "killed",
                    "aim317-campaign",
                ]
                .contains(&name.as_str())
                {
                    continue; // no `loss` in `train` there
                }
                args.extend(["--output-folder", outdir]);
            }
            let out = common::tcbench(&args);
            assert!(
                out.status.code() == Some(0),
                "{name} {cmd:?}: exit {:?}\n{}",
                out.status.code(),
                common::stderr(&out)
            );
            assert_eq!(
                before,
                common::tree_state(&repo),
                "{name}: {cmd:?} changed the repository"
            );
        }
    }
}

#[test]
fn a_repository_on_a_read_only_folder_reads() {
    use std::os::unix::fs::PermissionsExt;
    let (_tmp, repo) = common::fixture_copy("killed");
    let mut dirs = vec![repo.clone()];
    let mut all = Vec::new();
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p.clone());
            }
            all.push(p);
        }
    }
    all.push(repo.clone());
    for p in &all {
        let mode = if p.is_dir() { 0o555 } else { 0o444 };
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    let out = common::tcbench(&["aimrepo", "ls", "--aim-repo", repo.to_str().unwrap()]);
    for p in &all {
        let mode = if p.is_dir() { 0o755 } else { 0o644 };
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    assert_eq!(common::stdout(&out).lines().count(), 3);
}
