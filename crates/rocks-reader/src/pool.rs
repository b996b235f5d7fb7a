//! A small per-thread pool of byte buffers. Reading a run's chunk needs a
//! few buffers of 100–300 KB (range-deletion blocks, data blocks, the
//! tombstone arena); allocating and freeing them per database made the
//! allocator map and unmap pages for every run. Recycling them per thread
//! keeps the pages.

use std::cell::RefCell;

/// Buffers kept per thread.
const KEEP: usize = 8;
/// Buffers larger than this are not kept.
const MAX_KEPT_CAPACITY: usize = 16 << 20;

thread_local! {
    static POOL: RefCell<Vec<Vec<u8>>> = const { RefCell::new(Vec::new()) };
}

/// An empty buffer, with capacity left from earlier use when available.
pub(crate) fn take() -> Vec<u8> {
    let mut buf = take_dirty();
    buf.clear();
    buf
}

/// A buffer as it was given back: its length and bytes are an earlier user's. The one
/// holding the fewest bytes, so that the long ones stay for [`take_len`], which would
/// otherwise zero what it grows them by.
fn take_dirty() -> Vec<u8> {
    POOL.with(|p| {
        let mut p = p.borrow_mut();
        let shortest = p
            .iter()
            .enumerate()
            .min_by_key(|(_, b)| b.len())
            .map(|(i, _)| i);
        shortest.map(|i| p.swap_remove(i))
    })
    .unwrap_or_default()
}

/// A buffer of exactly `len` bytes, to be overwritten by the caller (a file read): its
/// contents are whatever an earlier user left, zero only where it had to grow. Saves
/// zero-filling a few hundred KB per block read.
pub(crate) fn take_len(len: usize) -> Vec<u8> {
    // the kept buffer with the fewest bytes at or above `len` already in it (so nothing is
    // zeroed, and the longer buffers stay long for the large reads: a range-deletion block
    // of 300 KB and the 4 KB data blocks of the same table alternate), else the longest
    // one: the bytes it must grow by are zeroed
    let mut buf = POOL
        .with(|p| {
            let mut p = p.borrow_mut();
            let best = p
                .iter()
                .enumerate()
                .filter(|(_, b)| b.len() >= len)
                .min_by_key(|(_, b)| b.len())
                .or_else(|| p.iter().enumerate().max_by_key(|(_, b)| b.len()))
                .map(|(i, _)| i);
            best.map(|i| p.swap_remove(i))
        })
        .unwrap_or_default();
    buf.truncate(len);
    buf.resize(len, 0);
    buf
}

/// Returns a buffer for reuse on this thread. Its contents are kept (see [`take_len`]);
/// [`take`] clears it.
pub(crate) fn give(buf: Vec<u8>) {
    if buf.capacity() == 0 || buf.capacity() > MAX_KEPT_CAPACITY {
        return;
    }
    POOL.with(|p| {
        let mut p = p.borrow_mut();
        if p.len() < KEEP {
            p.push(buf);
        }
    });
}
