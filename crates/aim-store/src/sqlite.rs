//! The structured half of a run: `run_metadata.sqlite`, opened read-only (docs/aim-format.md §1, §3).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};

use crate::error::{RepoError, SqliteError};

/// What SQLite knows about one run.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct RunProps {
    /// Run hash.
    pub hash: String,
    /// `run.name`.
    pub name: Option<String>,
    /// `run.description`.
    pub description: Option<String>,
    /// `run.is_archived`.
    pub archived: bool,
    /// `run.created_at` as UNIX seconds (naive UTC in the file).
    pub creation_time: Option<f64>,
    /// `run.finalized_at` as UNIX seconds.
    pub finalized_at: Option<f64>,
    /// `experiment.name` through `run.experiment_id`.
    pub experiment: Option<String>,
    /// Names of the run's tags that are not archived, in insertion order.
    pub tags: Vec<String>,
}

/// Checks that a SQLite database and the companions SQLite opens along with it (`-journal`,
/// `-wal`, `-shm`, when present) are regular files: a FIFO there would block SQLite's open
/// forever, a device be read endlessly.
pub(crate) fn regular_files(path: &Path) -> Result<(), SqliteError> {
    match rocks_reader::file::open_regular(path) {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(SqliteError::Missing),
        Err(e) => return Err(SqliteError::File(e)),
    }
    for ext in ["-journal", "-wal", "-shm"] {
        let mut name = path.as_os_str().to_owned();
        name.push(ext);
        let side = PathBuf::from(name);
        if let Err(error) = rocks_reader::file::open_regular(&side) {
            if error.kind() != std::io::ErrorKind::NotFound {
                return Err(SqliteError::Companion { path: side, error });
            }
        }
    }
    Ok(())
}

/// Reads every run row of the repository's SQLite file.
pub fn read_runs(path: &Path) -> Result<HashMap<String, RunProps>, RepoError> {
    let err = |e: rusqlite::Error| RepoError::Sqlite {
        path: path.to_path_buf(),
        cause: SqliteError::Sqlite(e),
    };
    if let Err(cause) = regular_files(path) {
        return Err(RepoError::Sqlite {
            path: path.to_path_buf(),
            cause,
        });
    }
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(err)?;
    let mut runs = HashMap::new();
    {
        let mut stmt = conn
            .prepare(
                "SELECT r.hash, r.name, r.description, r.is_archived, r.created_at, \
                 r.finalized_at, e.name FROM run r LEFT JOIN experiment e ON e.id = r.experiment_id",
            )
            .map_err(err)?;
        let rows = stmt
            .query_map([], |row| {
                Ok(RunProps {
                    hash: row.get(0)?,
                    name: row.get(1)?,
                    description: row.get(2)?,
                    archived: row.get::<_, Option<i64>>(3)?.unwrap_or(0) != 0,
                    creation_time: row
                        .get::<_, Option<String>>(4)?
                        .as_deref()
                        .and_then(parse_datetime),
                    finalized_at: row
                        .get::<_, Option<String>>(5)?
                        .as_deref()
                        .and_then(parse_datetime),
                    experiment: row.get(6)?,
                    tags: Vec::new(),
                })
            })
            .map_err(err)?;
        for r in rows {
            let r = r.map_err(err)?;
            runs.insert(r.hash.clone(), r);
        }
    }
    let mut stmt = conn
        .prepare(
            "SELECT r.hash, t.name FROM run_tag rt JOIN run r ON r.id = rt.run_id \
             JOIN tag t ON t.id = rt.tag_id WHERE t.is_archived IS NOT 1 ORDER BY rt.rowid",
        )
        .map_err(err)?;
    let rows = stmt
        .query_map([], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
        })
        .map_err(err)?;
    for r in rows {
        let (hash, tag) = r.map_err(err)?;
        if let Some(run) = runs.get_mut(&hash) {
            run.tags.push(tag);
        }
    }
    Ok(runs)
}

/// Parses SQLite's `YYYY-MM-DD HH:MM:SS[.ffffff]` (naive UTC) into UNIX seconds, the way
/// Python's `datetime.replace(tzinfo=utc).timestamp()` does (exact microseconds / 1e6).
pub fn parse_datetime(text: &str) -> Option<f64> {
    let text = text.trim();
    let (date, time) = text.split_once([' ', 'T'])?;
    let mut d = date.splitn(3, '-');
    let year: i64 = d.next()?.parse().ok()?;
    let month: u32 = d.next()?.parse().ok()?;
    let day: u32 = d.next()?.parse().ok()?;
    let (hms, frac) = match time.split_once('.') {
        Some((a, b)) => (a, b),
        None => (time, ""),
    };
    let mut t = hms.splitn(3, ':');
    let h: i64 = t.next()?.parse().ok()?;
    let m: i64 = t.next()?.parse().ok()?;
    let s: i64 = t.next()?.parse().ok()?;
    let frac = frac.trim_end_matches(|c: char| !c.is_ascii_digit());
    let mut micros: i64 = 0;
    for (i, c) in frac.chars().take(6).enumerate() {
        micros += i64::from(c.to_digit(10)?) * 10i64.pow(5 - i as u32);
    }
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let total = ((days * 86400 + h * 3600 + m * 60 + s) as i128) * 1_000_000 + micros as i128;
    Some(total as f64 / 1e6)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

/// The path of the SQLite file inside an `.aim` folder.
pub fn sqlite_path(aim_dir: &Path) -> PathBuf {
    aim_dir.join("run_metadata.sqlite")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_aim_datetimes_like_python() {
        // datetime(2023,8,31,20,0,39,103155,tzinfo=utc).timestamp() == 1693512039.103155
        assert_eq!(
            parse_datetime("2023-08-31 20:00:39.103155"),
            Some(1693512039.103155)
        );
        assert_eq!(parse_datetime("1970-01-01 00:00:00"), Some(0.0));
        assert_eq!(parse_datetime("2026-11-26 05:40:47.5"), Some(1795671647.5));
        assert_eq!(parse_datetime("garbage"), None);
        assert_eq!(parse_datetime("2023-13-01 00:00:00"), None);
    }
}
