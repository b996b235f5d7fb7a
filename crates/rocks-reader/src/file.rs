//! The one way this workspace opens a file found in a repository: only regular files are
//! read, and never more bytes than the file held when it was opened.
//!
//! A repository is untrusted input. A FIFO in place of `CURRENT` would block `open(2)`
//! until some writer appeared (forever), and `CURRENT`, a MANIFEST or a WAL linked to
//! `/dev/zero` would be read until memory ran out. So files are opened with `O_NONBLOCK`
//! (opening a FIFO returns at once; the flag changes nothing for regular files), checked
//! with `fstat` on the open descriptor (no window between check and open), and refused
//! unless they are regular files; reads are bounded by the size `fstat` gave.

use std::fs::File;
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;

/// What a non-regular file is, for messages.
fn kind_text(ft: std::fs::FileType) -> &'static str {
    if ft.is_dir() {
        "a folder"
    } else if ft.is_fifo() {
        "a FIFO"
    } else if ft.is_char_device() {
        "a character device"
    } else if ft.is_block_device() {
        "a block device"
    } else if ft.is_socket() {
        "a socket"
    } else {
        "not a regular file"
    }
}

/// Opens `path` (following symlinks) for reading if it is a regular file, with its size at
/// open. Anything else is an error of kind `InvalidData` saying what it is; a missing file
/// keeps its `NotFound` error. Never blocks on a FIFO.
pub fn open_regular(path: &Path) -> std::io::Result<(File, u64)> {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)?;
    let md = file.metadata()?;
    if !md.is_file() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "{} where a regular file is expected; not read",
                kind_text(md.file_type())
            ),
        ));
    }
    Ok((file, md.len()))
}

/// Reads a regular file whole, up to `max` bytes: never more than its size at open (a file
/// growing meanwhile is read as it was), nor more than `max`.
pub fn read_regular(path: &Path, max: u64) -> std::io::Result<Vec<u8>> {
    let (file, len) = open_regular(path)?;
    let want = len.min(max);
    let mut buf = Vec::with_capacity(usize::try_from(want).unwrap_or(0));
    file.take(want).read_to_end(&mut buf)?;
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_regular_files_are_read_and_never_past_their_size() {
        let tmp = tempfile::tempdir().unwrap();
        let f = tmp.path().join("f");
        std::fs::write(&f, b"0123456789").unwrap();
        assert_eq!(read_regular(&f, 4).unwrap(), b"0123");
        assert_eq!(read_regular(&f, u64::MAX).unwrap(), b"0123456789");
        let fifo = tmp.path().join("fifo");
        let st = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(st.success());
        let e = read_regular(&fifo, u64::MAX).unwrap_err();
        assert!(e.to_string().starts_with("a FIFO"), "{e}");
        let zero = tmp.path().join("zero");
        std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
        let e = read_regular(&zero, u64::MAX).unwrap_err();
        assert!(e.to_string().starts_with("a character device"), "{e}");
        let e = read_regular(tmp.path(), u64::MAX).unwrap_err();
        assert!(e.to_string().starts_with("a folder"), "{e}");
        let e = read_regular(&tmp.path().join("missing"), 1).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::NotFound);
    }
}
