//! The SQLite half of a merge: every source row a run needs (run, experiment, tags, notes),
//! read read-only; a new `run_metadata.sqlite` made from Aim's DDL; rows written in one
//! transaction, with experiments and tags matched by name (docs/aim-format.md §7 step 3).

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::path::Path;

use rusqlite::types::Value;
use rusqlite::{params, Connection, OpenFlags, OptionalExtension};

use crate::error::SqliteError;

/// The schema Aim 3.29.1 creates, identical in Aim 3.17.4 (both at alembic head
/// `46b89d830ad8`; docs/aim-format.md Appendix C, checked on repositories written by both).
pub(crate) const AIM_DDL: &str = "
CREATE TABLE alembic_version ( version_num VARCHAR(32) NOT NULL, CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num) );
CREATE TABLE experiment ( id INTEGER NOT NULL, uuid TEXT, name TEXT NOT NULL, created_at DATETIME, updated_at DATETIME, is_archived BOOLEAN, description TEXT, PRIMARY KEY (id), UNIQUE (name), UNIQUE (name) );
CREATE UNIQUE INDEX ix_experiment_uuid ON experiment (uuid);
CREATE TABLE tag ( id INTEGER NOT NULL, uuid TEXT, name TEXT NOT NULL, color TEXT, created_at DATETIME, updated_at DATETIME, is_archived BOOLEAN, description TEXT, PRIMARY KEY (id), UNIQUE (name), UNIQUE (name) );
CREATE UNIQUE INDEX ix_tag_uuid ON tag (uuid);
CREATE TABLE run ( id INTEGER NOT NULL, hash TEXT NOT NULL, name TEXT, description TEXT, is_archived BOOLEAN, created_at DATETIME, updated_at DATETIME, experiment_id INTEGER, finalized_at DATETIME, PRIMARY KEY (id), FOREIGN KEY(experiment_id) REFERENCES experiment (id) );
CREATE UNIQUE INDEX ix_run_hash ON run (hash);
CREATE TABLE run_tag ( run_id INTEGER NOT NULL, tag_id INTEGER NOT NULL, PRIMARY KEY (run_id, tag_id), FOREIGN KEY(run_id) REFERENCES run (id), FOREIGN KEY(tag_id) REFERENCES tag (id) );
CREATE TABLE note_audit_log ( id INTEGER NOT NULL, note_id INTEGER NOT NULL, datetime DATETIME, action TEXT, before_edit TEXT, after_edit TEXT, PRIMARY KEY (id), FOREIGN KEY(note_id) REFERENCES note (id) ON DELETE CASCADE );
CREATE TABLE \"note\" ( id INTEGER NOT NULL, content TEXT NOT NULL, run_id INTEGER, created_at DATETIME, updated_at DATETIME, experiment_id INTEGER, PRIMARY KEY (id), CONSTRAINT fk_experiment_note FOREIGN KEY(experiment_id) REFERENCES experiment (id), FOREIGN KEY(run_id) REFERENCES run (id) );
CREATE TABLE run_info ( id INTEGER NOT NULL, run_id INTEGER, created_at DATETIME, updated_at DATETIME, last_notification_index INTEGER, PRIMARY KEY (id), FOREIGN KEY(run_id) REFERENCES run (id) );
INSERT INTO alembic_version VALUES ('46b89d830ad8');
";

/// An experiment or a tag: unique by name.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Named {
    pub(crate) name: String,
    pub(crate) uuid: Option<String>,
    pub(crate) created_at: Value,
    pub(crate) updated_at: Value,
    pub(crate) is_archived: bool,
    pub(crate) description: Value,
    /// Tags only.
    pub(crate) color: Value,
}

/// A note attached to a run.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Note {
    pub(crate) content: String,
    pub(crate) created_at: Value,
    pub(crate) updated_at: Value,
}

/// Everything SQLite holds about one run, values as stored.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct RunRow {
    pub(crate) hash: String,
    pub(crate) name: Value,
    pub(crate) description: Value,
    pub(crate) is_archived: bool,
    pub(crate) created_at: Value,
    pub(crate) updated_at: Value,
    pub(crate) finalized_at: Value,
    pub(crate) experiment: Option<Named>,
    pub(crate) tags: Vec<Named>,
    pub(crate) notes: Vec<Note>,
}

impl RunRow {
    /// The name as Aim shows it: `Run: <hash>` when none is stored.
    pub(crate) fn effective_name(&self) -> Value {
        match &self.name {
            Value::Null => Value::Text(format!("Run: {}", self.hash)),
            v => v.clone(),
        }
    }

    /// What makes two rows of the same run the same: name, description, archived flag,
    /// creation time, experiment name and tag names (ids, `updated_at` and `finalized_at`
    /// are bookkeeping that differs between copies).
    pub(crate) fn same_as(&self, other: &RunRow) -> bool {
        let tags = |r: &RunRow| {
            let mut t: Vec<String> = r.tags.iter().map(|t| t.name.clone()).collect();
            t.sort();
            t
        };
        self.effective_name() == other.effective_name()
            && self.description == other.description
            && self.is_archived == other.is_archived
            && self.created_at == other.created_at
            && self.experiment.as_ref().map(|e| &e.name)
                == other.experiment.as_ref().map(|e| &e.name)
            && tags(self) == tags(other)
    }

    /// The field that differs from `other`, for messages.
    pub(crate) fn difference(&self, other: &RunRow) -> &'static str {
        if self.effective_name() != other.effective_name() {
            "name"
        } else if self.description != other.description {
            "description"
        } else if self.is_archived != other.is_archived {
            "archived flag"
        } else if self.created_at != other.created_at {
            "creation time"
        } else if self.experiment.as_ref().map(|e| &e.name)
            != other.experiment.as_ref().map(|e| &e.name)
        {
            "experiment"
        } else {
            "tags"
        }
    }
}

fn truthy(v: &Value) -> bool {
    match v {
        Value::Integer(i) => *i != 0,
        Value::Real(f) => *f != 0.0,
        Value::Text(t) => !matches!(t.trim(), "" | "0" | "false" | "False"),
        Value::Null | Value::Blob(_) => false,
    }
}

fn text(v: Value) -> Option<String> {
    match v {
        Value::Text(t) => Some(t),
        _ => None,
    }
}

/// Reads every run row of an existing `run_metadata.sqlite`, opened read-only (after
/// [`crate::sqlite::regular_files`]).
pub(crate) fn read_rows(path: &Path) -> Result<HashMap<String, RunRow>, SqliteError> {
    crate::sqlite::regular_files(path)?;
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    Ok(read_rows_from(&conn)?)
}

/// An experiment or tag from columns 1..=7: uuid, name, created_at, updated_at, is_archived,
/// description, color (NULL for experiments).
fn named(r: &rusqlite::Row<'_>) -> Result<Named, rusqlite::Error> {
    Ok(Named {
        uuid: text(r.get(1)?),
        name: r.get(2)?,
        created_at: r.get(3)?,
        updated_at: r.get(4)?,
        is_archived: truthy(&r.get(5)?),
        description: r.get(6)?,
        color: r.get(7)?,
    })
}

fn read_rows_from(conn: &Connection) -> Result<HashMap<String, RunRow>, rusqlite::Error> {
    let mut experiments: HashMap<i64, Named> = HashMap::new();
    {
        let mut stmt = conn.prepare(
            "SELECT id, uuid, name, created_at, updated_at, is_archived, description, NULL \
             FROM experiment",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, named(r)?)))?;
        for row in rows {
            let (id, e) = row?;
            experiments.insert(id, e);
        }
    }
    let mut by_id: HashMap<i64, RunRow> = HashMap::new();
    {
        let mut stmt = conn.prepare(
            "SELECT id, hash, name, description, is_archived, created_at, updated_at, \
             finalized_at, experiment_id FROM run",
        )?;
        let rows = stmt.query_map([], |r| {
            let exp: Option<i64> = r.get(8)?;
            Ok((
                r.get::<_, i64>(0)?,
                RunRow {
                    hash: r.get(1)?,
                    name: r.get(2)?,
                    description: r.get(3)?,
                    is_archived: truthy(&r.get(4)?),
                    created_at: r.get(5)?,
                    updated_at: r.get(6)?,
                    finalized_at: r.get(7)?,
                    experiment: exp.and_then(|id| experiments.get(&id).cloned()),
                    tags: Vec::new(),
                    notes: Vec::new(),
                },
            ))
        })?;
        for row in rows {
            let (id, run) = row?;
            by_id.insert(id, run);
        }
    }
    {
        let mut stmt = conn.prepare(
            "SELECT rt.run_id, t.uuid, t.name, t.created_at, t.updated_at, t.is_archived, \
             t.description, t.color FROM run_tag rt JOIN tag t ON t.id = rt.tag_id ORDER BY rt.rowid",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, named(r)?)))?;
        for row in rows {
            let (run_id, tag) = row?;
            if let Some(run) = by_id.get_mut(&run_id) {
                run.tags.push(tag);
            }
        }
    }
    {
        let mut stmt = conn.prepare(
            "SELECT run_id, content, created_at, updated_at FROM note \
             WHERE run_id IS NOT NULL ORDER BY id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                Note {
                    content: r.get(1)?,
                    created_at: r.get(2)?,
                    updated_at: r.get(3)?,
                },
            ))
        })?;
        for row in rows {
            let (run_id, note) = row?;
            if let Some(run) = by_id.get_mut(&run_id) {
                run.notes.push(note);
            }
        }
    }
    Ok(by_id.into_values().map(|r| (r.hash.clone(), r)).collect())
}

/// Creates a new `run_metadata.sqlite` holding Aim's schema and alembic revision.
pub(crate) fn create(path: &Path) -> Result<(), rusqlite::Error> {
    let conn = Connection::open(path)?;
    conn.execute_batch(&format!("BEGIN;{AIM_DDL}COMMIT;"))?;
    conn.close().map_err(|(_, e)| e)
}

/// Inserts the rows (runs whose hash the database already has are left alone) in one
/// transaction.
pub(crate) fn insert(path: &Path, rows: &[&RunRow]) -> Result<(), SqliteError> {
    crate::sqlite::regular_files(path)?;
    Ok(insert_rows(path, rows)?)
}

fn insert_rows(path: &Path, rows: &[&RunRow]) -> Result<(), rusqlite::Error> {
    let mut conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(std::time::Duration::from_secs(30))?;
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let now = Value::Text(now_text());
    let mut experiments: HashMap<String, i64> = HashMap::new();
    let mut tags: HashMap<String, i64> = HashMap::new();
    for row in rows {
        let exists: Option<i64> = tx
            .query_row("SELECT id FROM run WHERE hash = ?1", [&row.hash], |r| {
                r.get(0)
            })
            .optional()?;
        if exists.is_some() {
            continue;
        }
        let default_exp = Named {
            name: "default".into(),
            uuid: None,
            created_at: now.clone(),
            updated_at: now.clone(),
            is_archived: false,
            description: Value::Null,
            color: Value::Null,
        };
        let exp = row.experiment.as_ref().unwrap_or(&default_exp);
        let exp_id = named_id(&tx, "experiment", exp, &mut experiments, &now)?;
        let name = row.effective_name();
        let or_now = |v: &Value| match v {
            Value::Null => now.clone(),
            v => v.clone(),
        };
        tx.execute(
            "INSERT INTO run (hash, name, description, is_archived, created_at, updated_at, \
             experiment_id, finalized_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                row.hash,
                name,
                row.description,
                i64::from(row.is_archived),
                or_now(&row.created_at),
                or_now(&row.updated_at),
                exp_id,
                row.finalized_at
            ],
        )?;
        let run_id = tx.last_insert_rowid();
        for tag in &row.tags {
            let tag_id = named_id(&tx, "tag", tag, &mut tags, &now)?;
            tx.execute(
                "INSERT OR IGNORE INTO run_tag (run_id, tag_id) VALUES (?1, ?2)",
                params![run_id, tag_id],
            )?;
        }
        for note in &row.notes {
            tx.execute(
                "INSERT INTO note (content, run_id, created_at, updated_at) VALUES (?1, ?2, ?3, ?4)",
                params![note.content, run_id, note.created_at, note.updated_at],
            )?;
        }
    }
    tx.commit()
}

/// The id of the experiment or tag named `n` in the destination, inserting it when missing
/// (keeping the source's uuid unless the destination already uses it).
fn named_id(
    tx: &rusqlite::Transaction<'_>,
    table: &str,
    n: &Named,
    cache: &mut HashMap<String, i64>,
    now: &Value,
) -> Result<i64, rusqlite::Error> {
    if let Some(id) = cache.get(&n.name) {
        return Ok(*id);
    }
    let found: Option<i64> = tx
        .query_row(
            &format!("SELECT id FROM {table} WHERE name = ?1"),
            [&n.name],
            |r| r.get(0),
        )
        .optional()?;
    let id = match found {
        Some(id) => id,
        None => {
            let uuid_taken = match &n.uuid {
                Some(u) => tx
                    .query_row(
                        &format!("SELECT 1 FROM {table} WHERE uuid = ?1"),
                        [u],
                        |_| Ok(()),
                    )
                    .optional()?
                    .is_some(),
                None => true,
            };
            let uuid = match (&n.uuid, uuid_taken) {
                (Some(u), false) => u.clone(),
                _ => uuid4(),
            };
            let or_now = |v: &Value| match v {
                Value::Null => now.clone(),
                v => v.clone(),
            };
            if table == "tag" {
                tx.execute(
                    "INSERT INTO tag (uuid, name, color, created_at, updated_at, is_archived, \
                     description) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    params![
                        uuid,
                        n.name,
                        n.color,
                        or_now(&n.created_at),
                        or_now(&n.updated_at),
                        i64::from(n.is_archived),
                        n.description
                    ],
                )?;
            } else {
                tx.execute(
                    "INSERT INTO experiment (uuid, name, created_at, updated_at, is_archived, \
                     description) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![
                        uuid,
                        n.name,
                        or_now(&n.created_at),
                        or_now(&n.updated_at),
                        i64::from(n.is_archived),
                        n.description
                    ],
                )?;
            }
            tx.last_insert_rowid()
        }
    };
    cache.insert(n.name.clone(), id);
    Ok(id)
}

/// A random (version 4) UUID string, as Aim's `uuid4()` gives; randomness from the
/// standard library's randomly keyed hasher.
fn uuid4() -> String {
    let word = |salt: u64| {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(salt);
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0),
        );
        h.finish()
    };
    let (hi, lo) = (word(1), word(2));
    let hi = (hi & !0xF000) | 0x4000; // version 4
    let lo = (lo & !(0xC << 60)) | (0x8 << 60); // RFC 4122 variant
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        hi >> 32,
        (hi >> 16) & 0xFFFF,
        hi & 0xFFFF,
        lo >> 48,
        lo & 0xFFFF_FFFF_FFFF
    )
}

/// Now as SQLite DATETIME text, naive UTC with microseconds, as Aim stores it.
pub(crate) fn now_text() -> String {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    datetime_text(d.as_secs() as i64, d.subsec_micros())
}

fn datetime_text(secs: i64, micros: u32) -> String {
    let days = secs.div_euclid(86400);
    let rem = secs.rem_euclid(86400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}.{micros:06}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Proleptic Gregorian date of a day count since 1970-01-01 (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719468;
    let era = if z >= 0 { z } else { z - 146096 } / 146097;
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn datetimes_read_back_with_the_reader() {
        let t = datetime_text(1693512039, 103155);
        assert_eq!(t, "2023-08-31 20:00:39.103155");
        assert_eq!(crate::sqlite::parse_datetime(&t), Some(1693512039.103155));
        assert_eq!(datetime_text(0, 0), "1970-01-01 00:00:00.000000");
        assert_eq!(datetime_text(951782400, 0), "2000-02-29 00:00:00.000000");
    }

    #[test]
    fn uuids_are_version_4() {
        let u = uuid4();
        assert_eq!(u.len(), 36);
        assert_eq!(u.as_bytes()[14], b'4');
        assert!(matches!(u.as_bytes()[19], b'8' | b'9' | b'a' | b'b'), "{u}");
        assert_ne!(u, uuid4());
    }

    #[test]
    fn rows_round_trip_with_experiments_and_tags_by_name() {
        let tmp = tempfile::tempdir().unwrap();
        let db = tmp.path().join("run_metadata.sqlite");
        create(&db).unwrap();
        let exp = Named {
            name: "exp".into(),
            uuid: Some("u-1".into()),
            created_at: Value::Null,
            updated_at: Value::Null,
            is_archived: false,
            description: Value::Null,
            color: Value::Null,
        };
        let tag = Named {
            name: "t".into(),
            color: Value::Text("#fff".into()),
            ..exp.clone()
        };
        let row = |h: &str| RunRow {
            hash: h.into(),
            name: Value::Null,
            description: Value::Text("d".into()),
            is_archived: h == "b",
            created_at: Value::Text("2023-08-31 20:00:39.103155".into()),
            updated_at: Value::Null,
            finalized_at: Value::Null,
            experiment: Some(exp.clone()),
            tags: vec![tag.clone()],
            notes: vec![Note {
                content: "n".into(),
                created_at: Value::Null,
                updated_at: Value::Null,
            }],
        };
        let (a, b) = (row("a"), row("b"));
        insert(&db, &[&a, &b]).unwrap();
        insert(&db, &[&a]).unwrap(); // already there: left alone
        let back = read_rows(&db).unwrap();
        assert_eq!(back.len(), 2);
        assert!(back["a"].same_as(&a));
        assert!(back["b"].same_as(&b));
        assert_eq!(back["a"].name, Value::Text("Run: a".into()));
        assert_eq!(back["a"].notes.len(), 1);
        assert_eq!(back["b"].tags[0].color, Value::Text("#fff".into()));
        let props = crate::sqlite::read_runs(&db).unwrap();
        assert!(props["b"].archived);
        assert_eq!(props["a"].experiment.as_deref(), Some("exp"));
        assert_eq!(props["a"].tags, vec!["t".to_string()]);
    }
}
