//! No command changes a single byte, file or mtime of the repository it reads: the tree
//! (paths, modes, sizes, mtimes, contents) is hashed before and after every subcommand, on
//! every fixture, including the killed run whose data lives only in the WAL; `merge` leaves
//! every source untouched the same way.

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
                    "aim317-closed",
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

#[test]
fn merge_leaves_every_source_untouched() {
    let names = common::fixture_names();
    let tmp = tempfile::tempdir().unwrap();
    let copies: Vec<std::path::PathBuf> = names
        .iter()
        .map(|n| {
            let p = tmp.path().join("sources").join(n);
            common::copy_tree(&common::fixture(n), &p);
            p
        })
        .collect();
    let before: Vec<_> = copies.iter().map(|p| common::tree_state(p)).collect();
    let check = |what: &str| {
        for (p, b) in copies.iter().zip(&before) {
            assert_eq!(
                *b,
                common::tree_state(p),
                "{}: changed by {what}",
                p.display()
            );
        }
    };
    let src_args: Vec<String> = copies
        .iter()
        .flat_map(|p| ["--src".to_string(), p.to_str().unwrap().to_string()])
        .collect();
    let dst = tmp.path().join("merged");
    let dst_s = dst.to_str().unwrap().to_string();
    let runs: &[&[&str]] = &[
        &["--dry-run"],
        &[],
        &["--append"],
        &["--append", "--skip-active", "--skip-duplicates"],
    ];
    for extra in runs {
        let mut args: Vec<&str> = vec!["aimrepo", "merge"];
        args.extend(src_args.iter().map(String::as_str));
        args.extend(["--dst", dst_s.as_str()]);
        args.extend(extra.iter());
        let out = common::tcbench(&args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "merge {extra:?}: {}",
            common::stderr(&out)
        );
        check(&format!("merge {extra:?}"));
    }
    // each fixture alone, into a fresh destination
    for (i, p) in copies.iter().enumerate() {
        let dst = tmp.path().join(format!("alone-{i}"));
        let out = common::tcbench(&[
            "aimrepo",
            "merge",
            "--src",
            p.to_str().unwrap(),
            "--dst",
            dst.to_str().unwrap(),
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    }
    check("merging each fixture alone");
}
