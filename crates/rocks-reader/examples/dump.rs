//! Dump a RocksDB directory, one `<key hex>\t<value hex>` line per live
//! pair in iteration order:
//!
//! ```text
//! cargo run -p rocks-reader --example dump -- DIR [PREFIX_HEX]
//! ```
//!
//! The output format is identical to `tests/aimrocks_dump.py`, which makes
//! the two a differential test against the real RocksDB.

use std::io::{BufWriter, Write};
use std::process::ExitCode;

fn push_hex(out: &mut Vec<u8>, b: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for &x in b {
        out.push(DIGITS[usize::from(x >> 4)]);
        out.push(DIGITS[usize::from(x & 15)]);
    }
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if s.len() & 1 == 1 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| s.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect()
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(dir) = args.first() else {
        eprintln!("usage: dump DIR [PREFIX_HEX]");
        return ExitCode::from(2);
    };
    let prefix = match args.get(1).map(|p| unhex(p)) {
        None => Vec::new(),
        Some(Some(p)) => p,
        Some(None) => {
            eprintln!("PREFIX_HEX must be an even number of hex digits");
            return ExitCode::from(2);
        }
    };
    let db = match rocks_reader::Db::open(dir) {
        Ok(db) => db,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let mut line = Vec::new();
    for item in db.prefix_iter(&prefix) {
        match item {
            Ok((k, v)) => {
                line.clear();
                push_hex(&mut line, &k);
                line.push(b'\t');
                push_hex(&mut line, &v);
                line.push(b'\n');
                if out.write_all(&line).is_err() {
                    return ExitCode::FAILURE;
                }
            }
            Err(e) => {
                let _ = out.flush();
                eprintln!("error: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    if out.flush().is_err() {
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
