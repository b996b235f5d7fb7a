//! Where a merge assembles what it writes before renaming it into place, and how a later
//! merge recognises the leftovers of one that was killed.
//!
//! A staging folder is named `<prefix>.tcbench-merge-<pid>-<start>` where `<start>` is the
//! process start time (clock ticks since boot, `/proc/<pid>/stat` field 22), and it holds an
//! owner file naming both. A leftover is *provably ours and dead* when its name has that
//! form, its owner file agrees with the name (or the folder holds nothing but that file, in
//! any state: it is written first), and no process with that pid and start time exists; only
//! such leftovers are removed.

use std::path::{Path, PathBuf};

/// The tag in every staging folder name.
pub(crate) const TAG: &str = ".tcbench-merge-";
/// The owner file inside a staging folder.
pub(crate) const OWNER: &str = ".tcbench-merge-owner";

/// Start time of process `pid` in clock ticks since boot, from `/proc` (Linux); None when
/// unknown (no such process, or no `/proc`).
pub(crate) fn start_time(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // the command name (field 2) may hold spaces and parentheses: fields after the last ')'
    let (_, rest) = stat.rsplit_once(')')?;
    rest.split_whitespace().nth(19)?.parse().ok()
}

/// This process's staging suffix `.tcbench-merge-<pid>-<start>`.
pub(crate) fn own_suffix() -> String {
    let pid = std::process::id();
    format!("{TAG}{pid}-{}", start_time(pid).unwrap_or(0))
}

/// What the owner file says.
pub(crate) fn owner_text() -> String {
    let pid = std::process::id();
    format!(
        "tcbench aimrepo merge staging folder: pid={pid} start={}\n",
        start_time(pid).unwrap_or(0)
    )
}

/// A leftover staging folder found next to (or inside) a destination.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Leftover {
    pub(crate) path: PathBuf,
    /// True when it is provably ours and its process is gone: safe to remove.
    pub(crate) removable: bool,
    pub(crate) pid: Option<u32>,
}

/// Staging folders under `dir` whose name starts with `prefix` followed by the tag.
pub(crate) fn leftovers(dir: &Path, prefix: &str) -> Vec<Leftover> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let Some(rest) = name.strip_prefix(prefix).and_then(|r| r.strip_prefix(TAG)) else {
            continue;
        };
        if !entry.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        let path = entry.path();
        let parsed = rest
            .split_once('-')
            .and_then(|(p, s)| Some((p.parse::<u32>().ok()?, s.parse::<u64>().ok()?)));
        let Some((pid, start)) = parsed else {
            out.push(Leftover {
                path,
                removable: false,
                pid: None,
            });
            continue;
        };
        // the owner file is written first: a folder holding nothing else (killed while
        // writing it, or before) holds no data either
        let owner_ok = rocks_reader::file::read_regular(&path.join(OWNER), 4096).is_ok_and(|b| {
            String::from_utf8_lossy(&b).contains(&format!("pid={pid} start={start}"))
        }) || std::fs::read_dir(&path)
            .is_ok_and(|d| d.flatten().all(|e| e.file_name() == OWNER));
        let alive = match start_time(pid) {
            Some(s) => s == start || start == 0,
            // no such process; on a system without /proc liveness is unknown
            None => !Path::new("/proc/self/stat").exists(),
        };
        out.push(Leftover {
            path,
            removable: owner_ok && !alive && start != 0,
            pid: Some(pid),
        });
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn own_process_is_alive_and_a_dead_one_is_removable() {
        let tmp = tempfile::tempdir().unwrap();
        let mine = tmp.path().join(format!(".dst{}", own_suffix()));
        std::fs::create_dir(&mine).unwrap();
        std::fs::write(mine.join(OWNER), owner_text()).unwrap();
        assert!(owner_text().contains(&format!("pid={} start=", std::process::id())));
        // a pid that cannot exist (above the kernel's pid_max) with the owner file agreeing
        let dead = tmp.path().join(format!(".dst{TAG}4294967295-12345"));
        std::fs::create_dir(&dead).unwrap();
        std::fs::write(dead.join(OWNER), "x: pid=4294967295 start=12345\n").unwrap();
        // same form, but the owner file is not ours
        let foreign = tmp.path().join(format!(".dst{TAG}4294967294-1"));
        std::fs::create_dir(&foreign).unwrap();
        std::fs::write(foreign.join("data"), "keep").unwrap();
        // killed while writing the owner file: nothing else inside
        let torn = tmp.path().join(format!(".dst{TAG}4294967293-7"));
        std::fs::create_dir(&torn).unwrap();
        std::fs::write(torn.join(OWNER), "").unwrap();
        let found = leftovers(tmp.path(), ".dst");
        assert_eq!(found.len(), 4);
        assert!(found.iter().find(|l| l.path == torn).unwrap().removable);
        let get = |p: &Path| found.iter().find(|l| l.path == p).unwrap();
        assert!(!get(&mine).removable);
        assert!(get(&dead).removable);
        assert!(!get(&foreign).removable);
        assert!(leftovers(tmp.path(), ".other").is_empty());
    }
}
