//! Where commands write, decided in one place: the one rule for file names built from
//! repository data (campaign ids, hparam values), the check that keeps every output path
//! inside its intended folder, the refusal of any destination inside a `.aim` folder, and the
//! checks run on every destination before anything is read or written.

use std::path::{Component, Path, PathBuf};

use anyhow::{bail, Context};

/// Longest file name (bytes) built from repository data, before a disambiguating suffix.
const MAX_NAME_BYTES: usize = 200;

/// The file name that stands for `text` (a campaign id, an hparam value): `/`, `\` and
/// control characters become `_`, a name made of dots only (`.`, `..`) has each dot replaced
/// by `_`, an empty name is `_`, and a name longer than 200 bytes is cut there. The result
/// is always one plain path component.
pub fn safe_file_name(text: &str) -> String {
    let mut out: String = text
        .chars()
        .map(|c| {
            if c == '/' || c == '\\' || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    if out.len() > MAX_NAME_BYTES {
        let mut cut = MAX_NAME_BYTES;
        while !out.is_char_boundary(cut) {
            cut -= 1;
        }
        out.truncate(cut);
    }
    if out.chars().all(|c| c == '.') {
        out = "_".repeat(out.len().max(1));
    }
    out
}

/// [`safe_file_name`] of each text, made distinct: a text that is already a safe name keeps
/// it; a text whose safe name is taken gets `~2`, `~3`, … (the first free one, in the order
/// given), so two ids that sanitise alike never overwrite each other's files.
pub fn unique_file_names(texts: &[String]) -> Vec<String> {
    let mut names: Vec<Option<String>> = vec![None; texts.len()];
    let mut taken: std::collections::HashSet<String> = std::collections::HashSet::new();
    // names that need no change first: they are what a user expects to find
    for (i, t) in texts.iter().enumerate() {
        if safe_file_name(t) == *t && taken.insert(t.clone()) {
            names[i] = Some(t.clone());
        }
    }
    for (i, t) in texts.iter().enumerate() {
        if names[i].is_some() {
            continue;
        }
        let base = safe_file_name(t);
        let mut name = base.clone();
        let mut n = 2;
        while !taken.insert(name.clone()) {
            name = format!("{base}~{n}");
            n += 1;
        }
        names[i] = Some(name);
    }
    names.into_iter().flatten().collect()
}

/// `folder/name`, checked to lie directly inside `folder` (`name` one plain component).
pub fn join_inside(folder: &Path, name: &str) -> anyhow::Result<PathBuf> {
    let mut parts = Path::new(name).components();
    match (parts.next(), parts.next()) {
        (Some(Component::Normal(n)), None) if n == name => Ok(folder.join(name)),
        _ => bail!(
            "refusing to write `{name}`: the name would leave `{}`",
            folder.display()
        ),
    }
}

/// `p` as Python's `pathlib` shows it (the original prints its paths so): `./` and `.`
/// components dropped, no trailing slash; the current folder is the empty path, so that
/// joining a name to it gives the bare name.
pub fn pathlib(p: &Path) -> PathBuf {
    p.components()
        .filter(|c| !matches!(c, Component::CurDir))
        .collect()
}

/// A path usable with the file system: the empty path is `.`.
pub fn fs_path(p: &Path) -> &Path {
    if p.as_os_str().is_empty() {
        Path::new(".")
    } else {
        p
    }
}

/// `p` absolute, with the symbolic links of its existing part resolved and the rest (which
/// does not exist yet) normalised lexically: where a write to `p` would land.
pub fn resolve(p: &Path) -> PathBuf {
    let abs = std::path::absolute(fs_path(p)).unwrap_or_else(|_| p.to_path_buf());
    let mut existing = abs.clone();
    let mut rest: Vec<std::ffi::OsString> = Vec::new();
    loop {
        if let Ok(c) = existing.canonicalize() {
            let mut out = c;
            for part in rest.iter().rev() {
                if part == ".." {
                    out.pop();
                } else if part != "." {
                    out.push(part);
                }
            }
            return out;
        }
        match (existing.file_name(), existing.parent()) {
            (Some(name), Some(parent)) => {
                rest.push(name.to_os_string());
                existing = parent.to_path_buf();
            }
            _ => {
                // `..` at the end, or the root: give up resolving, stay lexical
                return abs;
            }
        }
    }
}

/// The `.aim` folders of the repositories named by `--aim-repo` (opened, nothing read).
pub fn aim_dirs(paths: &[PathBuf]) -> Vec<PathBuf> {
    paths
        .iter()
        .filter_map(|p| aim_store::Repo::open(p).ok())
        .map(|r| resolve(r.aim_dir()))
        .collect()
}

/// tcbench never writes inside a `.aim` folder: refuses `dest` (a file or folder to write)
/// when it resolves into one of `aim_dirs` or into any folder named `.aim`.
pub fn refuse_inside_aim(dest: &Path, what: &str, aim_dirs: &[PathBuf]) -> anyhow::Result<()> {
    let r = resolve(dest);
    let in_named = r
        .components()
        .any(|c| matches!(c, Component::Normal(n) if n == ".aim"));
    if in_named || aim_dirs.iter().any(|a| r.starts_with(a)) {
        bail!(
            "{what} `{}` is inside the repository's `.aim` folder, which tcbench never writes to; choose another place",
            dest.display()
        );
    }
    Ok(())
}

/// Checks, creating nothing, that `dir` is a folder tcbench can write into, or one it can
/// create: no file in the way, and the nearest existing folder writable.
pub fn check_folder(dir: &Path, what: &str) -> anyhow::Result<()> {
    let dir = fs_path(dir);
    let mut cur = dir;
    loop {
        match std::fs::metadata(cur) {
            Ok(md) if md.is_dir() => return check_writable(cur, dir, what),
            Ok(_) => {
                if cur == dir {
                    bail!("{what} `{}` is not a folder", dir.display());
                }
                bail!(
                    "{what} `{}` cannot be created: `{}` is not a folder",
                    dir.display(),
                    cur.display()
                );
            }
            // missing, or a file further up (ENOTDIR, 20 on Linux and macOS; ErrorKind::
            // NotADirectory needs Rust 1.83): found on the way up
            Err(e) if e.kind() == std::io::ErrorKind::NotFound || e.raw_os_error() == Some(20) => {}
            Err(e) => return Err(e).with_context(|| format!("{what} `{}`", dir.display())),
        }
        cur = match cur.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
    }
}

/// Creates and removes an empty file in `folder`: the one reliable test that `dir` (inside
/// it, or itself) can be written (permissions, read-only mounts, root).
fn check_writable(folder: &Path, dir: &Path, what: &str) -> anyhow::Result<()> {
    let probe = folder.join(format!(".tcbench-probe-{}", std::process::id()));
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
    {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            Ok(())
        }
        Err(e) if folder == dir => {
            Err(e).with_context(|| format!("{what} `{}` cannot be written", dir.display()))
        }
        Err(e) => Err(e).with_context(|| {
            format!(
                "{what} `{}` cannot be created in `{}`",
                dir.display(),
                folder.display()
            )
        }),
    }
}

/// Checks that nothing but a file is in the way of writing the file `path`.
pub fn check_file(path: &Path, what: &str) -> anyhow::Result<()> {
    if std::fs::metadata(path).is_ok_and(|m| m.is_dir()) {
        bail!("{what} `{}` is a folder", path.display());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_name_rule() {
        assert_eq!(safe_file_name("1684447037"), "1684447037");
        assert_eq!(safe_file_name("../.aim/meta"), ".._.aim_meta");
        assert_eq!(safe_file_name("/tmp/x"), "_tmp_x");
        assert_eq!(safe_file_name("a\\b\n"), "a_b_");
        assert_eq!(safe_file_name(".."), "__");
        assert_eq!(safe_file_name("."), "_");
        assert_eq!(safe_file_name(""), "_");
        assert_eq!(safe_file_name(&"é".repeat(150)).len(), 200);
        for t in ["..", "../../x", "/abs", "", "a/../b"] {
            assert!(
                join_inside(Path::new("f"), &safe_file_name(t)).is_ok(),
                "{t}"
            );
        }
        assert!(join_inside(Path::new("f"), "..").is_err());
        assert!(join_inside(Path::new("f"), "a/b").is_err());
    }

    #[test]
    fn names_that_sanitise_alike_stay_distinct() {
        let t =
            |v: &[&str]| unique_file_names(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(t(&["a/b", "a\\b"]), ["a_b", "a_b~2"]);
        // an id that is its own safe name keeps it
        assert_eq!(t(&["a/b", "a_b"]), ["a_b~2", "a_b"]);
        assert_eq!(t(&["a/b", "a_b~2", "a\\b"]), ["a_b", "a_b~2", "a_b~3"]);
    }

    #[test]
    fn pathlib_forms() {
        assert_eq!(pathlib(Path::new("./small")), PathBuf::from("small"));
        assert_eq!(pathlib(Path::new("./out/")), PathBuf::from("out"));
        assert_eq!(pathlib(Path::new(".")).join("c"), PathBuf::from("c"));
        assert_eq!(pathlib(Path::new("/a/./b")), PathBuf::from("/a/b"));
    }
}
