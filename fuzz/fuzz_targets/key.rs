//! Aim key paths (aim-store `key.rs`): whole-key and segment-by-segment
//! decoding; a key that decodes must encode back to the same bytes
//! (`aim_store::fuzz::key`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = aim_store::fuzz::key(data);
});
