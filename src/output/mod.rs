//! Outputs: renderers that format computed data into a writer (or a file) and compute
//! nothing themselves — the console forms, the report's files, the plots — and the checks
//! of where files may be written.

pub mod console;
pub mod dest;
pub mod files;
pub mod plot;
pub mod text;
