//! A whole SST file: footer, metaindex, properties, index, range-deletion
//! block and every data block through the database iterator. Each input is
//! read twice: as is (block checksums verified, as on disk) and, for a
//! versioned footer, with the footer's checksum type set to "none" so that
//! mutated blocks get past the crc32c check and reach the block decoders.
//! Each read is done twice, the range-deletion block held in memory and
//! streamed, which must agree.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rocks_reader::Db;

const BLOCK_BASED_MAGIC: u64 = 0x88e2_41b7_85f4_cff7;
const NEW_FOOTER_LEN: usize = 53;

/// Reads `data` with its range-deletion block held in memory and streamed from the
/// "file": both must succeed with the same number of live pairs, or both fail.
fn held_and_streamed(data: &[u8]) {
    let held = rocks_reader::bytes::sst(data);
    let streamed = rocks_reader::bytes::sst_with(data, Db::options().tombstone_hold_limit(0));
    match (&held, &streamed) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "held and streamed tombstones disagree"),
        (Err(_), Err(_)) => {}
        _ => panic!("held: {held:?}, streamed: {streamed:?}"),
    }
}

fuzz_target!(|data: &[u8]| {
    held_and_streamed(data);
    let n = data.len();
    if n >= NEW_FOOTER_LEN && data[n - 8..] == BLOCK_BASED_MAGIC.to_le_bytes() {
        let mut unchecked = data.to_vec();
        unchecked[n - NEW_FOOTER_LEN] = 0;
        held_and_streamed(&unchecked);
    }
});
