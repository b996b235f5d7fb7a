//! A WAL file: log framing (incl. recyclable records), write batches,
//! replayed into a memtable with its range tombstones and iterated. The
//! input is also decoded as one write batch on its own, because mutated log
//! records rarely keep a valid crc32c.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = rocks_reader::bytes::wal(data, 5);
    let _ = rocks_reader::bytes::write_batch(data);
});
