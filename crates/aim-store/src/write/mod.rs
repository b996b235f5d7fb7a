//! The writing side of the crate: everything that creates, changes or removes a file, or
//! opens SQLite read-write, is under this module, and nothing outside it does (a unit test
//! below checks the sources for it).
//!
//! It exists so that the read side ([`crate::Repo`], [`crate::Seqs`], [`crate::health`],
//! [`crate::staging`], …) can promise what the crate promises: reading an Aim repository
//! never writes into it. Writing only happens into a destination tcbench creates:
//! [`merge`] assembles a new repository, or appends runs to one, by byte copy; [`staging`]
//! makes the hidden folders `merge` and `export` assemble their output in, and locks a
//! destination.

pub mod merge;
pub mod staging;

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::path::{Path, PathBuf};

    /// Calls that create, change or remove files, or open SQLite for writing.
    const WRITES: &[&str] = &[
        "fs::write",
        "create_dir",
        "fs::rename",
        "remove_file",
        "remove_dir",
        "File::create",
        "OpenOptions",
        "set_permissions",
        "hard_link",
        "::symlink(",
        "SQLITE_OPEN_READ_WRITE",
        "SQLITE_OPEN_CREATE",
        "Connection::open(",
        "flock",
    ];

    fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                sources(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }

    /// The read side never writes: no write call in a source file outside `src/write/`
    /// (tests excepted: they build their fixtures).
    #[test]
    fn only_the_write_module_writes() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        sources(&src, &mut files);
        assert!(files.len() > 10);
        let mut found = Vec::new();
        for f in files.iter().filter(|f| !f.starts_with(src.join("write"))) {
            let text = std::fs::read_to_string(f).unwrap();
            let code = text.split("#[cfg(test)]").next().unwrap_or_default();
            for (i, line) in code.lines().enumerate() {
                let line = line.split("//").next().unwrap_or_default();
                for w in WRITES.iter().filter(|w| line.contains(*w)) {
                    found.push(format!("{}:{}: {w}", f.display(), i + 1));
                }
            }
        }
        assert!(found.is_empty(), "writes outside src/write/: {found:#?}");
    }
}
