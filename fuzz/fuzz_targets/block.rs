//! One SST block as stored (contents, compression type byte, checksum):
//! the trailer is read without checksum verification (so the compression
//! byte and Snappy decoding are reached), then the contents are decoded as
//! a data, meta, properties and index block (with and without delta
//! encoding). The input is also decoded directly as block contents.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = rocks_reader::bytes::block(data, 0);
    let _ = rocks_reader::bytes::block(data, 1);
    let _ = rocks_reader::bytes::block_contents(data);
});
