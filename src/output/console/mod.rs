//! What the commands print on stdout: the original's tables and the other stdout formats.

pub mod ls;
pub mod properties;
pub mod report;
pub mod report_table;
pub mod richtable;
