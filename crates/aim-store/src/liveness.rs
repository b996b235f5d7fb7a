//! Is the process writing a run still alive? Answered without writing anything and
//! without taking a lock (taking RocksDB's or Aim's lock would create or change files).
//!
//! Two read-only signals, both Linux `/proc`:
//! * RocksDB's `LOCK` file of the run's meta or seqs chunk appears in `/proc/locks` while a
//!   writer has the chunk open (fcntl lock): alive, and which pid;
//! * Aim's softlock `locks/<H>.softlock` holds `<uuid.getnode()>-<pid>-<time>`. Aim's own
//!   stale-lock test (`LockManager.is_stalled_lock`): same machine (`uuid.getnode()` is the
//!   MAC address of one of its interfaces, `/sys/class/net/*/address`) and the pid not
//!   running. We also count a pid whose process started after the lock was written as
//!   gone (the pid was reused).

use std::collections::HashMap;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use crate::health::Writer;

/// Whether a process runs, read from `/proc/<pid>/stat`.
enum Process {
    /// No such process (or no `/proc`).
    NotRunning,
    /// It runs; `since` is its start time in UNIX seconds, when `/proc` tells.
    Running { since: Option<f64> },
}

/// What the doctor knows of this machine, read once.
#[derive(Debug, Default)]
pub struct Host {
    /// MAC addresses as `uuid.getnode()` integers.
    nodes: Vec<u64>,
    /// `/proc/locks`: (major, minor, inode) → pid.
    locks: HashMap<(u64, u64, u64), u32>,
    /// Boot time, UNIX seconds (`/proc/stat` btime); None without `/proc`.
    boot: Option<f64>,
}

fn parse_mac(s: &str) -> Option<u64> {
    let parts: Vec<&str> = s.trim().split(':').collect();
    if parts.len() != 6 {
        return None;
    }
    let mut n = 0u64;
    for p in parts {
        n = (n << 8) | u64::from(u8::from_str_radix(p, 16).ok()?);
    }
    (n != 0).then_some(n)
}

/// Linux `dev_t` → (major, minor), as glibc's `major()`/`minor()`.
fn split_dev(dev: u64) -> (u64, u64) {
    let major = ((dev >> 8) & 0xfff) | ((dev >> 32) & !0xfff);
    let minor = (dev & 0xff) | ((dev >> 12) & !0xff);
    (major, minor)
}

fn parse_locks(text: &str) -> HashMap<(u64, u64, u64), u32> {
    let mut out = HashMap::new();
    for line in text.lines() {
        // "1: POSIX  ADVISORY  WRITE 1234 08:01:123456 0 EOF" (blocked waiters: "1: -> …")
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.get(1) == Some(&"->") {
            continue;
        }
        let (Some(pid), Some(id)) = (f.get(4), f.get(5)) else {
            continue;
        };
        let ids: Vec<&str> = id.split(':').collect();
        let (Some(ma), Some(mi), Some(ino)) = (ids.first(), ids.get(1), ids.get(2)) else {
            continue;
        };
        if let (Ok(ma), Ok(mi), Ok(ino), Ok(pid)) = (
            u64::from_str_radix(ma, 16),
            u64::from_str_radix(mi, 16),
            ino.parse::<u64>(),
            pid.parse::<u32>(),
        ) {
            out.insert((ma, mi, ino), pid);
        }
    }
    out
}

/// The pid holding a lock on `path` itself (a `flock` of a folder, say), from `/proc/locks`.
pub(crate) fn lock_holder_of(path: &Path) -> Option<u32> {
    let md = std::fs::metadata(path).ok()?;
    let locks = parse_locks(&std::fs::read_to_string("/proc/locks").ok()?);
    let (ma, mi) = split_dev(md.dev());
    locks.get(&(ma, mi, md.ino())).copied()
}

impl Host {
    /// Reads the machine's network addresses, `/proc/locks` and boot time.
    pub fn read() -> Host {
        let mut nodes = Vec::new();
        if let Ok(rd) = std::fs::read_dir("/sys/class/net") {
            for e in rd.flatten() {
                if let Some(n) = std::fs::read_to_string(e.path().join("address"))
                    .ok()
                    .and_then(|s| parse_mac(&s))
                {
                    nodes.push(n);
                }
            }
        }
        let locks = std::fs::read_to_string("/proc/locks")
            .map(|t| parse_locks(&t))
            .unwrap_or_default();
        let boot = std::fs::read_to_string("/proc/stat").ok().and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("btime "))
                .and_then(|b| b.trim().parse::<f64>().ok())
        });
        Host { nodes, locks, boot }
    }

    /// The pid holding RocksDB's `LOCK` in `chunk`, if any.
    fn lock_holder(&self, chunk: &Path) -> Option<u32> {
        let md = std::fs::metadata(chunk.join("LOCK")).ok()?;
        let (ma, mi) = split_dev(md.dev());
        self.locks.get(&(ma, mi, md.ino())).copied()
    }

    /// Whether process `pid` runs, and since when.
    fn process(&self, pid: u32) -> Process {
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            return Process::NotRunning;
        };
        // fields after the parenthesized command name; starttime is field 22 overall
        let Some((_, after)) = stat.rsplit_once(')') else {
            return Process::NotRunning;
        };
        let ticks = after
            .split_whitespace()
            .nth(19)
            .and_then(|t| t.parse::<f64>().ok());
        // clock ticks are 100 per second on every Linux configuration Aim runs on
        Process::Running {
            since: ticks.zip(self.boot).map(|(t, b)| b + t / 100.0),
        }
    }

    /// Whether the writer of a run is alive, from its chunk locks and softlock.
    pub fn writer(&self, softlock: Option<&Path>, meta: &Path, seqs: &Path) -> Writer {
        for chunk in [meta, seqs] {
            if let Some(pid) = self.lock_holder(chunk) {
                return Writer::Alive(format!(
                    "pid {pid} holds `{}`",
                    chunk.join("LOCK").display()
                ));
            }
        }
        let Some(lock) = softlock else {
            return Writer::Gone("no softlock and no process holds its chunks".into());
        };
        let text = rocks_reader::file::read_regular(lock, 4096)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default();
        let mut parts = text.trim().splitn(3, '-');
        let (node, pid, time) = (
            parts.next().and_then(|n| n.parse::<u64>().ok()),
            parts.next().and_then(|p| p.parse::<u32>().ok()),
            parts.next().and_then(|t| t.parse::<f64>().ok()),
        );
        let (Some(node), Some(pid)) = (node, pid) else {
            return Writer::Gone(format!(
                "softlock `{}` names no writer and no process holds its chunks",
                lock.display()
            ));
        };
        if !self.nodes.contains(&node) {
            return Writer::Elsewhere(format!(
                "softlock `{}` was written on another machine (node {node}, pid {pid}), whose processes cannot be seen from here",
                lock.display()
            ));
        }
        match self.process(pid) {
            Process::NotRunning => Writer::Gone(format!(
                "softlock `{}` names pid {pid}, which is not running",
                lock.display()
            )),
            Process::Running { since: Some(start) } if time.is_some_and(|t| start > t + 1.0) => {
                Writer::Gone(format!(
                "softlock `{}` names pid {pid}, now a process started after the lock was written",
                lock.display()
            ))
            }
            Process::Running { .. } => Writer::Alive(format!(
                "pid {pid} (softlock `{}`) is running",
                lock.display()
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn macs_parse_as_uuid_getnode() {
        // uuid.getnode() printed 3281355014145 on a machine whose eth0 is 02:fc:00:00:00:01
        assert_eq!(parse_mac("02:fc:00:00:00:01\n"), Some(3281355014145));
        assert_eq!(parse_mac("00:00:00:00:00:00"), None);
        assert_eq!(parse_mac("garbage"), None);
    }

    #[test]
    fn proc_locks_lines() {
        let t = "1: POSIX  ADVISORY  WRITE 15727 fe:00:10068097 0 EOF\n2: -> POSIX  ADVISORY  WRITE 9 fe:00:1 0 EOF\n3: FLOCK  ADVISORY  READ 12 08:01:77 0 EOF\n";
        let m = parse_locks(t);
        assert_eq!(m.get(&(0xfe, 0, 10068097)), Some(&15727));
        assert_eq!(m.get(&(8, 1, 77)), Some(&12));
        assert_eq!(m.len(), 2);
    }

    #[test]
    fn dev_split() {
        assert_eq!(split_dev(0xfe00), (0xfe, 0));
        assert_eq!(split_dev(0x0801), (8, 1));
    }
}
