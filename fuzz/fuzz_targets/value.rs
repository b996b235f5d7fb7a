//! Aim typed values (aim-store `value.rs`, `aim_store::fuzz::value`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = aim_store::fuzz::value(data);
});
