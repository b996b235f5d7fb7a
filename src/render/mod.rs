//! Renderers: each formats computed data into a writer and computes nothing itself.

pub mod plot;
pub mod report_table;
pub mod richtable;
