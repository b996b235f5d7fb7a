//! A database opened read-only: which files are live (the MANIFEST), the memtable rebuilt
//! from the WAL, and the consistent snapshot taken against a live writer ([`Stamp`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::{io_err, Error};
use crate::file;
use crate::format::internal_key::Kind;
use crate::format::log::{read_records, read_records_whole};
use crate::format::version_edit::{decode_version_edit, NewFile};
use crate::format::write_batch::{decode_batch, Op};
use crate::iter::DbIter;
use crate::options::OpenOptions;
use crate::range_del::Tombstones;
use crate::table::Table;

/// One version of one key, from the memtable or an SST.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub(crate) key: Vec<u8>,
    pub(crate) seq: u64,
    pub(crate) kind: Kind,
    pub(crate) value: Vec<u8>,
}

/// A RocksDB directory opened read-only.
#[derive(Debug)]
pub struct Db {
    pub(crate) path: PathBuf,
    /// WAL contents (the memtable RocksDB would rebuild), sorted by
    /// (key ascending, seq descending).
    pub(crate) mem: Vec<Entry>,
    /// Live tables, newest first (L0 by largest seqno, then L1, L2, ...).
    pub(crate) tables: Vec<Table>,
    pub(crate) tombstones: Tombstones,
}

/// A MANIFEST or WAL whole, as large as it was when opened (see [`file::read_regular`]).
fn read_whole(path: &Path) -> Result<Vec<u8>, Error> {
    file::read_regular(path, u64::MAX).map_err(|e| io_err(path, e))
}

/// The bytes of `CURRENT` (a MANIFEST name and a newline; more is not read).
fn read_current(path: &Path) -> std::io::Result<Vec<u8>> {
    file::read_regular(path, 4096)
}

/// Parse `NNNNNN.ext` into NNNNNN.
fn file_number(name: &str, ext: &str) -> Option<u64> {
    let stem = name.strip_suffix(ext)?;
    if stem.is_empty() || !stem.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    stem.parse().ok()
}

/// How many times [`Db::open`] reads a database that changes under it before giving up.
pub(crate) const OPEN_ATTEMPTS: u32 = 20;

/// What a read of the database was based on: CURRENT's contents and how many bytes of the
/// MANIFEST it names were read. A live writer changes one or the other whenever the set of
/// live files changes (a flush or compaction appends an edit, a new MANIFEST is named by a
/// CURRENT replaced by rename) and only then deletes the files it made obsolete.
#[derive(Debug)]
struct Stamp {
    current: Vec<u8>,
    manifest: PathBuf,
    manifest_len: u64,
}

impl Stamp {
    /// True when CURRENT and the MANIFEST are still what was read.
    fn unchanged(&self, dir: &Path) -> bool {
        let current_same = read_current(&dir.join("CURRENT")).is_ok_and(|now| now == self.current);
        current_same
            && std::fs::metadata(&self.manifest).is_ok_and(|m| m.len() == self.manifest_len)
    }
}

/// A file of the database vanished between listing and opening it.
fn is_vanished(e: &Error) -> bool {
    matches!(e, Error::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound)
}

/// What the MANIFEST says about the live state of the `default` column family.
pub(crate) struct Manifest {
    log_number: u64,
    prev_log_number: u64,
    /// Live table files, unordered.
    pub(crate) live: Vec<NewFile>,
}

/// Reads every version edit of a MANIFEST (`path` only for messages) and
/// applies them in order.
pub(crate) fn apply_manifest(manifest: &[u8], manifest_path: &Path) -> Result<Manifest, Error> {
    let records = read_records_whole(manifest).map_err(|b| b.at(manifest_path))?;
    let mut log_number = 0u64;
    let mut prev_log_number = 0u64;
    let mut files: BTreeMap<u32, BTreeMap<u64, NewFile>> = BTreeMap::new();
    for rec in &records {
        let edit = decode_version_edit(rec).map_err(|b| b.at(manifest_path))?;
        if let Some(c) = &edit.comparator {
            if c.as_slice() != b"leveldb.BytewiseComparator" {
                return Err(Error::Unsupported {
                    path: manifest_path.to_path_buf(),
                    reason: format!("comparator {:?}", String::from_utf8_lossy(c)),
                });
            }
        }
        let cf = edit.column_family;
        if cf == 0 {
            if let Some(n) = edit.log_number {
                log_number = n;
            }
        }
        if let Some(n) = edit.prev_log_number {
            prev_log_number = n;
        }
        let cf_files = files.entry(cf).or_default();
        if edit.column_family_drop {
            cf_files.clear();
        }
        for (_, number) in &edit.deleted_files {
            cf_files.remove(number);
        }
        for f in edit.new_files {
            cf_files.insert(f.number, f);
        }
    }
    if records.is_empty() {
        return Err(Error::Corruption {
            path: manifest_path.to_path_buf(),
            reason: "MANIFEST holds no version edits".into(),
        });
    }
    if let Some((cf, _)) = files.iter().find(|(cf, f)| **cf != 0 && !f.is_empty()) {
        return Err(Error::Unsupported {
            path: manifest_path.to_path_buf(),
            reason: format!("column family {cf} (not default) holds table files"),
        });
    }
    let live: Vec<NewFile> = files.remove(&0).unwrap_or_default().into_values().collect();
    if live.iter().any(|f| f.oldest_blob_file != 0) {
        return Err(Error::Unsupported {
            path: manifest_path.to_path_buf(),
            reason: "table files reference blob files (BlobDB)".into(),
        });
    }
    Ok(Manifest {
        log_number,
        prev_log_number,
        live,
    })
}

/// Replays one WAL file (number `num`, `path` only for messages) into the
/// memtable entries `mem` (unsorted) and `tombstones`.
pub(crate) fn replay_wal(
    data: &[u8],
    num: u64,
    path: &Path,
    mem: &mut Vec<Entry>,
    tombstones: &mut Tombstones,
) -> Result<(), Error> {
    for rec in read_records(data, Some(num)).map_err(|b| b.at(path))? {
        let batch = decode_batch(&rec).map_err(|b| b.at(path))?;
        for (i, (cf, op)) in batch.ops.into_iter().enumerate() {
            let seq = batch.sequence.saturating_add(i as u64);
            if cf != 0 {
                return Err(Error::Unsupported {
                    path: path.to_path_buf(),
                    reason: format!("write to column family {cf} (not default)"),
                });
            }
            let (key, kind, value) = match op {
                Op::Put(k, v) => (k, Kind::Value, v),
                Op::Delete(k) => (k, Kind::Deletion, &[][..]),
                Op::SingleDelete(k) => (k, Kind::SingleDeletion, &[][..]),
                Op::Merge(k, v) => (k, Kind::Merge, v),
                Op::BlobIndex(k, v) => (k, Kind::BlobIndex, v),
                Op::DeleteRange(b, e) => {
                    tombstones.new_source();
                    tombstones.push(b, e, seq);
                    continue;
                }
            };
            mem.push(Entry {
                key: key.to_vec(),
                seq,
                kind,
                value: value.to_vec(),
            });
        }
    }
    Ok(())
}

impl Db {
    /// How many range-deletion blocks this database reads from their files as it goes
    /// instead of holding them (see [`OpenOptions::tombstone_hold_limit`]). For tests.
    #[doc(hidden)]
    pub fn streamed_tombstone_blocks(&self) -> usize {
        self.tombstones.streamed()
    }

    /// Open read-only. Never creates, locks, renames or writes anything
    /// (files are opened for reading only, through [`file::open_regular`]).
    ///
    /// Safe against a live writer (RocksDB flushing, compacting, switching WAL or MANIFEST
    /// while we read): the state read is a consistent snapshot. After reading, CURRENT and the
    /// MANIFEST length are checked again; if either changed (the live file set may have
    /// changed, and a WAL we did not read may already be deleted), or a file named by the
    /// MANIFEST or listed as a WAL vanished before we opened it, the whole read starts over —
    /// at most 20 times, sleeping 1 ms more before each new attempt (under 0.2 s in all).
    /// A database still changing after that is an I/O error.
    ///
    /// Opens with the default [`OpenOptions`]; [`Db::options`] sets others.
    pub fn open(dir: impl AsRef<Path>) -> Result<Db, Error> {
        OpenOptions::new().open(dir)
    }

    /// Options to open a database with: `Db::options().tombstone_hold_limit(0).open(dir)`.
    pub fn options() -> OpenOptions {
        OpenOptions::new()
    }

    /// [`Db::open`] with `options`, calling `hook` once per attempt after the MANIFEST is
    /// read (tests use it to change the directory at that point, as a live writer would).
    pub(crate) fn open_observed(
        dir: &Path,
        options: &OpenOptions,
        hook: &mut dyn FnMut(&Path),
    ) -> Result<Db, Error> {
        let mut attempt = 1;
        loop {
            let mut stamp = None;
            let res = Db::open_once(dir, options, &mut stamp, hook);
            let changed = stamp.as_ref().is_some_and(|s| !s.unchanged(dir));
            let again = match &res {
                Ok(_) => changed,
                Err(e) => changed || is_vanished(e),
            };
            if !again {
                return res;
            }
            if attempt == OPEN_ATTEMPTS {
                return match res {
                    Err(e) => Err(e),
                    Ok(_) => Err(io_err(
                        dir,
                        std::io::Error::other(format!(
                            "the database kept changing while being read ({OPEN_ATTEMPTS} attempts)"
                        )),
                    )),
                };
            }
            std::thread::sleep(std::time::Duration::from_millis(u64::from(attempt)));
            attempt += 1;
        }
    }

    /// One read of the directory; `stamp` is set as soon as the MANIFEST is read.
    fn open_once(
        dir: &Path,
        options: &OpenOptions,
        stamp: &mut Option<Stamp>,
        hook: &mut dyn FnMut(&Path),
    ) -> Result<Db, Error> {
        let dir = dir.to_path_buf();
        let current_path = dir.join("CURRENT");
        let current = match read_current(&current_path) {
            Ok(s) => s,
            // a missing folder or CURRENT; anything else (a symlink loop, no permission) is
            // named as what it is
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::NotADatabase { path: dir });
            }
            Err(e) => return Err(io_err(&current_path, e)),
        };
        let manifest_name = current
            .strip_suffix(b"\n")
            .and_then(|n| std::str::from_utf8(n).ok())
            .filter(|n| file_number(n.strip_prefix("MANIFEST-").unwrap_or(""), "").is_some())
            .ok_or_else(|| Error::Corruption {
                path: current_path.clone(),
                reason: "CURRENT does not name a MANIFEST file".into(),
            })?;
        let manifest_path = dir.join(manifest_name);
        let manifest = read_whole(&manifest_path)?;
        *stamp = Some(Stamp {
            current: current.clone(),
            manifest: manifest_path.clone(),
            manifest_len: manifest.len() as u64,
        });
        hook(&dir);
        let Manifest {
            log_number,
            prev_log_number,
            mut live,
        } = apply_manifest(&manifest, &manifest_path)?;
        // Newest first: L0 by largest seqno then file number (descending), then levels.
        live.sort_by(|a, b| {
            a.level.cmp(&b.level).then_with(|| {
                if a.level == 0 {
                    (b.largest_seqno, b.number).cmp(&(a.largest_seqno, a.number))
                } else {
                    a.number.cmp(&b.number)
                }
            })
        });
        let mut tables = Vec::with_capacity(live.len());
        let mut tombstones = Tombstones::default();
        for f in &live {
            let sst = dir.join(format!("{:06}.sst", f.number));
            let table = match Table::open(sst) {
                // LevelDB's name for the same file
                Err(Error::Io { path, source })
                    if source.kind() == std::io::ErrorKind::NotFound =>
                {
                    let ldb = dir.join(format!("{:06}.ldb", f.number));
                    if !ldb.exists() {
                        return Err(Error::Io { path, source });
                    }
                    Table::open(ldb)?
                }
                other => other?,
            };
            tables.push(table);
        }
        Table::load_all_range_dels(&tables, options.hold_limit(), &mut tombstones)?;

        // WAL replay.
        let mut logs: Vec<(u64, PathBuf)> = Vec::new();
        let rd = std::fs::read_dir(&dir).map_err(|e| io_err(&dir, e))?;
        for ent in rd {
            let ent = ent.map_err(|e| io_err(&dir, e))?;
            let name = ent.file_name();
            let Some(num) = name.to_str().and_then(|n| file_number(n, ".log")) else {
                continue;
            };
            if num >= log_number || (prev_log_number != 0 && num == prev_log_number) {
                logs.push((num, ent.path()));
            }
        }
        logs.sort();
        let mut mem: Vec<Entry> = Vec::new();
        for (num, path) in &logs {
            let data = read_whole(path)?;
            replay_wal(&data, *num, path, &mut mem, &mut tombstones)?;
        }
        mem.sort_by(|a, b| a.key.cmp(&b.key).then(b.seq.cmp(&a.seq)));
        tombstones.finish();
        Ok(Db {
            path: dir,
            mem,
            tables,
            tombstones,
        })
    }

    /// All live (non-deleted) key/value pairs in bytewise key order,
    /// streamed from the WAL contents and SST blocks read on demand.
    pub fn iter(&self) -> DbIter<'_> {
        DbIter::new(self, Vec::new())
    }

    /// Live pairs whose key starts with `prefix`, in key order.
    pub fn prefix_iter(&self, prefix: &[u8]) -> DbIter<'_> {
        DbIter::new(self, prefix.to_vec())
    }

    /// Point lookup.
    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, Error> {
        let mut it = self.prefix_iter(key);
        Ok(match it.advance()? {
            true if it.key() == key => Some(it.value().to_vec()),
            _ => None,
        })
    }

    /// The database directory.
    pub fn path(&self) -> &Path {
        &self.path
    }
}
