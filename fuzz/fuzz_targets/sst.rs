//! A whole SST file: footer, metaindex, properties, index, range-deletion
//! block and every data block through the database iterator. Each input is
//! read twice: as is (block checksums verified, as on disk) and, for a
//! versioned footer, with the footer's checksum type set to "none" so that
//! mutated blocks get past the crc32c check and reach the block decoders.
#![no_main]

use libfuzzer_sys::fuzz_target;

const BLOCK_BASED_MAGIC: u64 = 0x88e2_41b7_85f4_cff7;
const NEW_FOOTER_LEN: usize = 53;

fuzz_target!(|data: &[u8]| {
    let _ = rocks_reader::bytes::sst(data);
    let n = data.len();
    if n >= NEW_FOOTER_LEN && data[n - 8..] == BLOCK_BASED_MAGIC.to_le_bytes() {
        let mut unchecked = data.to_vec();
        unchecked[n - NEW_FOOTER_LEN] = 0;
        let _ = rocks_reader::bytes::sst(&unchecked);
    }
});
