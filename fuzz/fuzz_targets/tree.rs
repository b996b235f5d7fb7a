//! Trees (aim-store `tree.rs`) built from key/value pairs: one generic tree
//! of every pair, and the pairs folded as a run's meta subtree (attrs,
//! contexts, traces; `run::meta_from_pairs`). Input: pairs framed as
//! `u16le key_len, key, u16le value_len, value`, sorted and deduplicated by
//! key as the database delivers them (`aim_store::fuzz::tree`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = aim_store::fuzz::tree(data);
});
