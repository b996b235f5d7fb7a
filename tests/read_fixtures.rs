//! Our reader against the real Aim SDK: every fixture's `expected.json` was written by
//! `testdata/interop/sdk_read.py` (real Aim) right after generation; every run, param and
//! trace final value we read must equal it.

#![allow(clippy::unwrap_used)]

mod common;

#[test]
fn every_fixture_reads_as_the_aim_sdk_reads_it() {
    let mut total = 0;
    for name in common::fixture_names() {
        total += common::sdk::check_repo(&common::fixture(&name));
    }
    assert!(total > 100, "only {total} metric traces checked");
}
