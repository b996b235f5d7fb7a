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
    POOL.with(|p| p.borrow_mut().pop()).unwrap_or_default()
}

/// Returns a buffer for reuse on this thread.
pub(crate) fn give(mut buf: Vec<u8>) {
    if buf.capacity() == 0 || buf.capacity() > MAX_KEPT_CAPACITY {
        return;
    }
    buf.clear();
    POOL.with(|p| {
        let mut p = p.borrow_mut();
        if p.len() < KEEP {
            p.push(buf);
        }
    });
}
