//! `tcbench`: the command line over the library crate. Everything but this one call lives in
//! the library ([`tcbench::commands::main`]), which the Python wheel's `tcbench-rs` command
//! runs as well.

use std::process::ExitCode;

fn main() -> ExitCode {
    ExitCode::from(tcbench::commands::main(std::env::args_os()))
}
