//! The SST footer (legacy and versioned, every magic number) on the last
//! 53 bytes of the input.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = rocks_reader::bytes::footer(data);
});
