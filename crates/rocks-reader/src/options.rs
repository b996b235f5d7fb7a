//! How a database is opened: [`OpenOptions`], a builder in the shape of
//! [`std::fs::OpenOptions`] (`Db::options().tombstone_hold_limit(0).open(dir)`).

use std::path::Path;

use crate::{Db, Error};

/// 512 KiB: the default of [`OpenOptions::tombstone_hold_limit`]. A finished run's chunk
/// holds ~300 KB of tombstones after its flush; only chunks with a long uncompacted history
/// (many steps in level-0 files) go past it.
pub const DEFAULT_HOLD_LIMIT: usize = 512 << 10;

/// Options for opening a database; [`Db::open`] opens with the defaults.
#[derive(Debug, Clone)]
pub struct OpenOptions {
    tombstone_hold_limit: usize,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions {
            tombstone_hold_limit: DEFAULT_HOLD_LIMIT,
        }
    }
}

impl OpenOptions {
    /// The defaults (those of [`Db::open`]).
    pub fn new() -> OpenOptions {
        OpenOptions::default()
    }

    /// Bytes of range-deletion blocks the database holds in memory (default
    /// [`DEFAULT_HOLD_LIMIT`]): when its tables' blocks together are bigger, every one of
    /// them is left in its file and streamed by each iterator instead, so that the memory a
    /// read takes does not grow with the history a database keeps. 0 streams the
    /// uncompressed range-deletion blocks of every database. The answers are the same
    /// either way.
    pub fn tombstone_hold_limit(&mut self, bytes: usize) -> &mut OpenOptions {
        self.tombstone_hold_limit = bytes;
        self
    }

    /// The limit set by [`OpenOptions::tombstone_hold_limit`].
    pub(crate) fn hold_limit(&self) -> usize {
        self.tombstone_hold_limit
    }

    /// Opens the database in `dir` read-only with these options (see [`Db::open`]).
    pub fn open(&self, dir: impl AsRef<Path>) -> Result<Db, Error> {
        Db::open_observed(dir.as_ref(), self, &mut |_| {})
    }
}
