//! The file operations of a merge: listing what a run's folders hold, copying them byte for
//! byte (`std::fs::copy`, i.e. `copy_file_range` on Linux), and comparing two copies.
//! Sources are only ever opened for reading.

use std::ffi::OsStr;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// What an entry of a listed folder is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    File,
    Dir,
    Symlink,
}

/// One entry of a folder listing, relative to the listed folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Entry {
    pub(crate) rel: PathBuf,
    pub(crate) kind: Kind,
    pub(crate) size: u64,
}

/// A listed folder: its entries (depth first, sorted by name) and their total size.
#[derive(Clone, Debug, Default)]
pub(crate) struct Listing {
    pub(crate) entries: Vec<Entry>,
    pub(crate) bytes: u64,
}

/// An I/O error on a named path.
#[derive(Debug)]
pub(crate) struct FsError {
    pub(crate) path: PathBuf,
    pub(crate) source: io::Error,
}

impl FsError {
    fn at(path: &Path) -> impl FnOnce(io::Error) -> FsError + '_ {
        move |source| FsError {
            path: path.to_path_buf(),
            source,
        }
    }
    /// True when the failing file vanished (a live writer renamed or deleted it).
    pub(crate) fn vanished(&self) -> bool {
        self.source.kind() == io::ErrorKind::NotFound
    }
}

/// RocksDB files that are not data and must not be copied: the `LOCK` file (a lock of the
/// process that has the DB open) and the info logs `LOG`, `LOG.old.*` (diagnostics). WAL
/// files (`*.log`) are data and are kept.
pub(crate) fn skip_in_chunk(name: &OsStr) -> bool {
    name == "LOCK" || name.as_encoded_bytes().starts_with(b"LOG")
}

/// Lists `dir` recursively (without following symlinks), leaving out top-level names for
/// which `skip` is true. `Ok(None)` when `dir` does not exist.
pub(crate) fn list(dir: &Path, skip: fn(&OsStr) -> bool) -> Result<Option<Listing>, FsError> {
    match std::fs::symlink_metadata(dir) {
        Ok(md) if md.is_dir() => {}
        Ok(md) => {
            let what = if md.file_type().is_symlink() {
                "a symbolic link, not a folder (merge copies folders, never links)"
            } else {
                "not a folder"
            };
            return Err(FsError {
                path: dir.to_path_buf(),
                source: io::Error::other(what),
            });
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(FsError::at(dir)(e)),
    }
    let mut listing = Listing::default();
    walk(dir, Path::new(""), Some(skip), &mut listing)?;
    Ok(Some(listing))
}

fn walk(
    root: &Path,
    rel: &Path,
    skip: Option<fn(&OsStr) -> bool>,
    out: &mut Listing,
) -> Result<(), FsError> {
    let dir = root.join(rel);
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .map_err(FsError::at(&dir))?
        .map(|e| e.map(|e| e.file_name()))
        .collect::<Result<_, _>>()
        .map_err(FsError::at(&dir))?;
    names.sort();
    for name in names {
        if skip.is_some_and(|f| f(&name)) {
            continue;
        }
        let rel = rel.join(&name);
        let path = root.join(&rel);
        let md = std::fs::symlink_metadata(&path).map_err(FsError::at(&path))?;
        let ft = md.file_type();
        if ft.is_dir() {
            out.entries.push(Entry {
                rel: rel.clone(),
                kind: Kind::Dir,
                size: 0,
            });
            walk(root, &rel, None, out)?;
        } else if ft.is_symlink() {
            out.entries.push(Entry {
                rel,
                kind: Kind::Symlink,
                size: 0,
            });
        } else if !ft.is_file() {
            // a FIFO would block the copy, a device be copied endlessly: never read
            return Err(FsError {
                path,
                source: io::Error::other(
                    "a special file (FIFO, device or socket); merge copies regular files, folders and links only",
                ),
            });
        } else {
            out.bytes += md.len();
            out.entries.push(Entry {
                rel,
                kind: Kind::File,
                size: md.len(),
            });
        }
    }
    Ok(())
}

/// Copies the listed entries of `src` into the new folder `dst` (its parent must exist),
/// adding the bytes copied to `bytes` as it goes. Returns the bytes copied.
pub(crate) fn copy_listed(
    src: &Path,
    listing: &Listing,
    dst: &Path,
    bytes: &AtomicU64,
) -> Result<u64, FsError> {
    std::fs::create_dir(dst).map_err(FsError::at(dst))?;
    let mut total = 0;
    for e in &listing.entries {
        let from = src.join(&e.rel);
        let to = dst.join(&e.rel);
        match e.kind {
            Kind::Dir => std::fs::create_dir(&to).map_err(FsError::at(&to))?,
            Kind::Symlink => {
                let target = std::fs::read_link(&from).map_err(FsError::at(&from))?;
                std::os::unix::fs::symlink(target, &to).map_err(FsError::at(&to))?;
            }
            Kind::File => {
                // open the source first, so that a vanished source file is reported as such
                rocks_reader::file::open_regular(&from).map_err(FsError::at(&from))?;
                let n = std::fs::copy(&from, &to).map_err(|source| {
                    let path = if source.kind() == io::ErrorKind::NotFound {
                        from.clone()
                    } else {
                        to.clone()
                    };
                    FsError { path, source }
                })?;
                total += n;
                bytes.fetch_add(n, Ordering::Relaxed);
            }
        }
    }
    Ok(total)
}

/// True when the two listed folders hold the same names, kinds and bytes.
pub(crate) fn same_content(
    a: &Path,
    la: &Listing,
    b: &Path,
    lb: &Listing,
) -> Result<bool, FsError> {
    if la.entries != lb.entries {
        return Ok(false);
    }
    for e in &la.entries {
        let (pa, pb) = (a.join(&e.rel), b.join(&e.rel));
        let same = match e.kind {
            Kind::Dir => true,
            Kind::Symlink => {
                std::fs::read_link(&pa).map_err(FsError::at(&pa))?
                    == std::fs::read_link(&pb).map_err(FsError::at(&pb))?
            }
            Kind::File => same_file_bytes(&pa, &pb)?,
        };
        if !same {
            return Ok(false);
        }
    }
    Ok(true)
}

fn same_file_bytes(a: &Path, b: &Path) -> Result<bool, FsError> {
    let mut fa = File::open(a).map_err(FsError::at(a))?;
    let mut fb = File::open(b).map_err(FsError::at(b))?;
    let mut ba = vec![0u8; 1 << 16];
    let mut bb = vec![0u8; 1 << 16];
    loop {
        let na = read_full(&mut fa, &mut ba).map_err(FsError::at(a))?;
        let nb = read_full(&mut fb, &mut bb).map_err(FsError::at(b))?;
        if na != nb || ba.get(..na) != bb.get(..nb) {
            return Ok(false);
        }
        if na == 0 {
            return Ok(true);
        }
    }
}

fn read_full(f: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        let Some(rest) = buf.get_mut(n..) else { break };
        match f.read(rest) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Removes a folder we created, ignoring a folder that is already gone.
pub(crate) fn remove_tree(dir: &Path) -> Result<(), FsError> {
    match std::fs::remove_dir_all(dir) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(FsError::at(dir)(e)),
        _ => Ok(()),
    }
}

/// True when `dir` is a folder without any entry.
pub(crate) fn is_empty_dir(dir: &Path) -> Result<bool, FsError> {
    Ok(std::fs::read_dir(dir)
        .map_err(FsError::at(dir))?
        .next()
        .is_none())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn skips_lock_and_info_logs_but_keeps_wal() {
        for n in ["LOCK", "LOG", "LOG.old.1700000000000000"] {
            assert!(skip_in_chunk(OsStr::new(n)), "{n}");
        }
        for n in [
            "000005.log",
            "CURRENT",
            "MANIFEST-000004",
            "OPTIONS-000007",
            "000009.sst",
        ] {
            assert!(!skip_in_chunk(OsStr::new(n)), "{n}");
        }
    }

    #[test]
    fn copies_and_compares_a_tree() {
        let tmp = tempfile::tempdir().unwrap();
        let src = tmp.path().join("src");
        std::fs::create_dir_all(src.join("sub")).unwrap();
        std::fs::write(src.join("000005.log"), b"wal").unwrap();
        std::fs::write(src.join("LOCK"), b"").unwrap();
        std::fs::write(src.join("sub/x"), b"hello").unwrap();
        let l = list(&src, skip_in_chunk).unwrap().unwrap();
        assert_eq!(l.bytes, 8);
        assert!(l.entries.iter().all(|e| e.rel != Path::new("LOCK")));
        let dst = tmp.path().join("dst");
        let counter = AtomicU64::new(0);
        assert_eq!(copy_listed(&src, &l, &dst, &counter).unwrap(), 8);
        assert_eq!(counter.load(Ordering::Relaxed), 8);
        assert!(!dst.join("LOCK").exists());
        let l2 = list(&dst, skip_in_chunk).unwrap().unwrap();
        assert!(same_content(&src, &l, &dst, &l2).unwrap());
        std::fs::write(dst.join("sub/x"), b"hellO").unwrap();
        assert!(!same_content(&src, &l, &dst, &l2).unwrap());
        assert!(list(&tmp.path().join("none"), skip_in_chunk)
            .unwrap()
            .is_none());
    }
}
