//! The writing half of staging ([`crate::staging`] recognises what it leaves): this
//! process's staging folder, the list of runs an append places, and the lock of a
//! destination folder.

use std::path::{Path, PathBuf};

use crate::staging::{own_suffix, owner_text, Placing, Tag, PLACING};

/// Creates this process's staging folder `<parent>/<prefix><tag><pid>-<start>` and its
/// owner file (written first, so that a leftover is always recognisable). An error is about
/// `parent` (the folder is not left behind).
pub fn create(parent: &Path, prefix: &str, tag: Tag) -> std::io::Result<PathBuf> {
    let dir = parent.join(format!("{prefix}{}", own_suffix(tag)));
    std::fs::create_dir(&dir)?;
    if let Err(e) = std::fs::write(dir.join(tag.owner()), owner_text(tag)) {
        let _ = std::fs::remove_dir_all(&dir);
        return Err(e);
    }
    Ok(dir)
}

/// Writes `placing` into the staging folder `stage` (whole or not at all; an error is about
/// `stage`).
pub(crate) fn write_placing(stage: &Path, placing: &Placing) -> std::io::Result<()> {
    let tmp = stage.join(format!("{PLACING}.tmp"));
    let text = serde_json::to_vec(placing).map_err(std::io::Error::other)?;
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, stage.join(PLACING))
}

/// An exclusive advisory lock (`flock`) on a folder, held until dropped or until the process
/// ends in any way (kill -9 included): nothing to clean up, no file created. `flock` follows
/// the folder, not its name: a staging folder locked before it is renamed into place stays
/// locked under its new name.
#[derive(Debug)]
pub struct DirLock {
    _file: std::fs::File,
}

/// Why a folder could not be locked.
#[derive(Debug)]
pub enum LockError {
    /// Another process holds the lock (its pid, when `/proc/locks` tells).
    Busy(Option<u32>),
    /// The folder cannot be opened.
    Io(std::io::Error),
}

/// Takes the exclusive lock of `dir` without waiting. `Ok(None)` when the file system does
/// not support `flock` (the merge then runs unlocked, as before).
pub fn lock_dir(dir: &Path) -> Result<Option<DirLock>, LockError> {
    use rustix::fs::{flock, FlockOperation};
    use rustix::io::Errno;
    let file = std::fs::File::open(dir).map_err(LockError::Io)?;
    match flock(&file, FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => Ok(Some(DirLock { _file: file })),
        Err(e) if e == Errno::WOULDBLOCK || e == Errno::INTR => {
            match crate::liveness::lock_holder_of(dir) {
                Some(pid) => Err(LockError::Busy(Some(pid))),
                // no holder to name: it may have just let go (a merge finishing); one more
                // try takes the lock then, or refuses without a pid
                None => match flock(&file, FlockOperation::NonBlockingLockExclusive) {
                    Ok(()) => Ok(Some(DirLock { _file: file })),
                    Err(_) => Err(LockError::Busy(None)),
                },
            }
        }
        Err(_) => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_locked_folder_is_busy_and_names_the_holder_until_released() {
        let tmp = tempfile::tempdir().unwrap();
        let held = lock_dir(tmp.path()).unwrap().unwrap();
        // flock locks belong to the open file: a second open, even in this process, conflicts
        match lock_dir(tmp.path()) {
            Err(LockError::Busy(pid)) => assert_eq!(pid, Some(std::process::id())),
            other => panic!("{other:?}"),
        }
        drop(held);
        assert!(lock_dir(tmp.path()).unwrap().is_some());
    }
}
