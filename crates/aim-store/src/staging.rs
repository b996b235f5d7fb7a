//! Where tcbench assembles what it writes before renaming it into place (`merge` and
//! `export`), how a later run recognises the leftovers of one that was killed, and how
//! readers and `doctor` recognise a merge into a repository that is running or was
//! interrupted. One rule for all of them.
//!
//! A staging folder is named `<prefix><tag><pid>-<start>` where `<tag>` is
//! `.tcbench-merge-` or `.tcbench-export-` and `<start>` is the process start time (clock
//! ticks since boot, `/proc/<pid>/stat` field 22), and it holds an owner file naming both.
//! A leftover is *provably ours and dead* when its name has that form, its owner file agrees
//! with the name (or the folder holds nothing but that file, in any state: it is written
//! first), and no process with that pid and start time exists; only such leftovers are
//! removed. A folder of that form whose process (same pid, same start time) runs belongs to
//! a writer at work.
//!
//! A merge appending to a repository stages in `<root>/.tcbench-merge-<pid>-<start>/` and,
//! before it renames the first run into `.aim`, writes there the list of runs it places and
//! its sources ([`PLACING`]): a run in that list whose meta chunk is in place but whose
//! SQLite row is not yet is *being placed* (the merge is running) or *left half placed* (it
//! was killed: running the same merge again finishes it), never damage to repair by
//! removing the run.
//!
//! This module only names and recognises staging folders (it reads, never writes); the
//! functions that create them, write the list of runs and lock a destination are in
//! [`crate::write::staging`].

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// What is staged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tag {
    /// `tcbench aimrepo merge`.
    Merge,
    /// `tcbench aimrepo export`.
    Export,
}

impl Tag {
    /// The tag in every staging folder name.
    pub fn name(self) -> &'static str {
        match self {
            Tag::Merge => ".tcbench-merge-",
            Tag::Export => ".tcbench-export-",
        }
    }
    /// The owner file inside a staging folder.
    pub fn owner(self) -> &'static str {
        match self {
            Tag::Merge => ".tcbench-merge-owner",
            Tag::Export => ".tcbench-export-owner",
        }
    }
    fn command(self) -> &'static str {
        match self {
            Tag::Merge => "merge",
            Tag::Export => "export",
        }
    }
}

/// The list of runs an append places, written in its staging folder before the first is
/// renamed into the repository.
pub const PLACING: &str = ".tcbench-merge-placing";

/// Start time of process `pid` in clock ticks since boot, from `/proc` (Linux); None when
/// unknown (no such process, or no `/proc`).
pub(crate) fn start_time(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // the command name (field 2) may hold spaces and parentheses: fields after the last ')'
    let (_, rest) = stat.rsplit_once(')')?;
    rest.split_whitespace().nth(19)?.parse().ok()
}

/// This process's staging suffix `<tag><pid>-<start>`.
pub fn own_suffix(tag: Tag) -> String {
    let pid = std::process::id();
    format!("{}{pid}-{}", tag.name(), start_time(pid).unwrap_or(0))
}

/// What the owner file says.
pub fn owner_text(tag: Tag) -> String {
    let pid = std::process::id();
    format!(
        "tcbench aimrepo {} staging folder: pid={pid} start={}\n",
        tag.command(),
        start_time(pid).unwrap_or(0)
    )
}

/// Whether the process that made a staging folder runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Its process (same pid, same start time) is running: at work.
    Running,
    /// Provably ours and its process is gone: safe to remove.
    Dead,
    /// Named like ours, but not provably ours (no owner file agreeing with the name, or a
    /// name without start time): named, never removed.
    Unknown,
}

/// A staging folder found next to (or inside) a destination.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Leftover {
    /// The folder.
    pub path: PathBuf,
    /// The pid in its name, when it has one.
    pub pid: Option<u32>,
    /// Running, dead, or unknown.
    pub state: State,
}

impl Leftover {
    /// True when it is provably ours and its process is gone: safe to remove.
    pub fn removable(&self) -> bool {
        self.state == State::Dead
    }
}

/// Reads a small regular file (never a FIFO or device), at most `cap` bytes.
fn read_small(path: &Path, cap: u64) -> Option<String> {
    let bytes = rocks_reader::file::read_regular(path, cap).ok()?;
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

/// Staging folders of `tag` under `dir` whose name starts with `prefix` followed by the tag.
pub fn leftovers(dir: &Path, prefix: &str, tag: Tag) -> Vec<Leftover> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let owner = tag.owner();
    let mut out = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let Some(rest) = name
            .strip_prefix(prefix)
            .and_then(|r| r.strip_prefix(tag.name()))
        else {
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
                pid: rest.split('-').next().and_then(|p| p.parse().ok()),
                state: State::Unknown,
            });
            continue;
        };
        // the owner file is written first: a folder holding nothing else (killed while
        // writing it, or before) holds no data either
        let owner_ok = read_small(&path.join(owner), 4096)
            .is_some_and(|text| text.contains(&format!("pid={pid} start={start}")))
            || std::fs::read_dir(&path).is_ok_and(|d| d.flatten().all(|e| e.file_name() == owner));
        let alive = match start_time(pid) {
            Some(s) => s == start || start == 0,
            // no such process; on a system without /proc liveness is unknown
            None => !Path::new("/proc/self/stat").exists(),
        };
        let state = if alive {
            State::Running
        } else if owner_ok && start != 0 {
            State::Dead
        } else {
            State::Unknown
        };
        out.push(Leftover {
            path,
            pid: Some(pid),
            state,
        });
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

/// What an append had started to place when its staging folder was last written.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Placing {
    /// The merge's sources, as absolute paths.
    pub sources: Vec<PathBuf>,
    /// The runs it places (meta chunk, seqs chunk, artifacts, then every SQLite row at once).
    pub runs: BTreeSet<String>,
}

/// A merge into a repository, running or interrupted, found from its staging folder in the
/// repository's root folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MergeInRepo {
    /// The staging folder and whether its process runs.
    pub staging: Leftover,
    /// What it places, once it has started placing runs (None: still copying, nothing of it
    /// is in the repository yet).
    pub placing: Option<Placing>,
}

/// The merges into the repository whose root folder is `root`, running or interrupted
/// (staging folders `<root>/.tcbench-merge-*`), each with the runs it places.
pub fn merges_into(root: &Path) -> Vec<MergeInRepo> {
    leftovers(root, "", Tag::Merge)
        .into_iter()
        .map(|staging| {
            let placing = read_small(&staging.path.join(PLACING), 64 << 20)
                .and_then(|t| serde_json::from_str(&t).ok());
            MergeInRepo { staging, placing }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::write::staging::create;

    #[test]
    fn own_process_is_alive_and_a_dead_one_is_removable() {
        let tmp = tempfile::tempdir().unwrap();
        let mine = create(tmp.path(), ".dst", Tag::Merge).unwrap();
        assert!(owner_text(Tag::Merge).contains(&format!("pid={} start=", std::process::id())));
        // a pid that cannot exist (above the kernel's pid_max) with the owner file agreeing
        let tag = Tag::Merge.name();
        let owner = Tag::Merge.owner();
        let dead = tmp.path().join(format!(".dst{tag}4294967295-12345"));
        std::fs::create_dir(&dead).unwrap();
        std::fs::write(dead.join(owner), "x: pid=4294967295 start=12345\n").unwrap();
        // same form, but the owner file is not ours
        let foreign = tmp.path().join(format!(".dst{tag}4294967294-1"));
        std::fs::create_dir(&foreign).unwrap();
        std::fs::write(foreign.join("data"), "keep").unwrap();
        // killed while writing the owner file: nothing else inside
        let torn = tmp.path().join(format!(".dst{tag}4294967293-7"));
        std::fs::create_dir(&torn).unwrap();
        std::fs::write(torn.join(owner), "").unwrap();
        let found = leftovers(tmp.path(), ".dst", Tag::Merge);
        assert_eq!(found.len(), 4);
        let get = |p: &Path| found.iter().find(|l| l.path == p).unwrap();
        assert!(get(&torn).removable());
        assert_eq!(get(&mine).state, State::Running);
        assert!(!get(&mine).removable());
        assert!(get(&dead).removable());
        assert_eq!(get(&foreign).state, State::Unknown);
        assert!(leftovers(tmp.path(), ".other", Tag::Merge).is_empty());
        assert!(leftovers(tmp.path(), ".dst", Tag::Export).is_empty());
    }

    #[test]
    fn a_fifo_named_like_an_owner_file_is_not_read() {
        let tmp = tempfile::tempdir().unwrap();
        let tag = Tag::Merge.name();
        let dir = tmp.path().join(format!("{tag}4294967295-12345"));
        std::fs::create_dir(&dir).unwrap();
        let fifo = dir.join(PLACING);
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(made.unwrap().success());
        let m = merges_into(tmp.path());
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].placing, None);
    }
}
