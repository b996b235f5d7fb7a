//! A MANIFEST file: log framing, version edits, applied in order. The input
//! is also decoded as one version edit on its own, because mutated log
//! records rarely keep a valid crc32c.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = rocks_reader::bytes::manifest(data);
    let _ = rocks_reader::bytes::version_edit(data);
});
