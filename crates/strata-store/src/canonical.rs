//! The data migration of schema version 11: every stored location rewritten to its canonical
//! form ([`strata_core::location::canonical`]), which SQL cannot compute (`..`, `//` and `/./`
//! inside a path). It runs right after the SQL migrations, in one transaction, once: migration
//! 0011 records it as `pending` in `strata_meta`, and the transaction that rewrites the rows
//! marks it `done`. Servers starting together serialise on that row (the first takes its lock,
//! the others find it `done`). Linear in the rows: each location column is read once into a
//! scratch table of distinct locations, whose canonical forms are computed page by page, and
//! rewritten in one pass through a scratch map of the spellings that change.
//!
//! Rewritten: databases (location, managed location), tables, partitions, the undrop copies
//! (`dropped_tables`, `dropped_partitions`), the move journal (so a move still open matches its
//! history row) and the location history (PostgreSQL: the arrays of `history_changes` and their
//! location keys; SQLite: `location_history`). The history is append-only; its triggers are
//! lifted for this transaction only.

use sqlx::{PgConnection, Row, SqliteConnection};
use strata_core::{location::canonical_or_raw, Result};

use crate::errors::db;

/// The `strata_meta` key of this data migration.
const KEY: &str = "canonical_locations";
/// Locations read per statement.
const CHUNK: i64 = 5_000;

/// `(table, column)` of every stored location (not the history).
const COLUMNS: &[(&str, &str)] = &[
    ("databases", "location"),
    ("databases", "managed_location"),
    ("tables", "location"),
    ("partitions", "location"),
    ("dropped_tables", "location"),
    ("dropped_partitions", "location"),
    ("storage_moves", "from_location"),
    ("storage_moves", "to_location"),
];

/// The canonical form of a stored location, when it differs.
fn rewritten(loc: &str) -> Option<String> {
    let c = canonical_or_raw(loc);
    (c != loc).then_some(c)
}

/// Canonical forms of an array of locations, when any differs.
fn rewritten_all(locs: &[Option<String>]) -> Option<Vec<Option<String>>> {
    let out: Vec<Option<String>> = locs.iter().map(|l| l.as_deref().map(canonical_or_raw)).collect();
    (out.as_slice() != locs).then_some(out)
}

/// Claim the pending rewrite: `true` when this transaction is to run it. The row's lock is
/// held until the transaction ends, so a second server waits and then finds it done.
macro_rules! claim {
    ($conn:expr, $running:literal) => {{
        let claimed = sqlx::query(concat!(
            "UPDATE strata_meta SET value = 'running' WHERE key = ",
            $running,
            " AND value = 'pending'"
        ))
        .bind(KEY)
        .execute(&mut *$conn)
        .await
        .map_err(db("canonical locations: claim"))?;
        claimed.rows_affected() == 1
    }};
}

/// Statements of one backend for the shared steps below.
struct Steps {
    /// Scratch tables: every distinct stored location, and the ones to rewrite.
    scratch: &'static [&'static str],
    /// Copy the distinct values of `{column}` of `{table}` into `strata_all_locations`.
    collect: &'static str,
    /// The next `$2` values of `strata_all_locations` after `$1`.
    page: &'static str,
    /// Record one rewrite (`$1` → `$2`).
    map: &'static str,
    /// Rewrite `{column}` of `{table}` through `strata_location_map`, in one pass.
    apply: &'static str,
    /// Drop the scratch tables.
    drop: &'static [&'static str],
}

const PG: Steps = Steps {
    scratch: &[
        "CREATE TEMP TABLE strata_all_locations (loc text PRIMARY KEY) ON COMMIT DROP",
        "CREATE TEMP TABLE strata_location_map (old_loc text PRIMARY KEY, new_loc text NOT NULL) ON COMMIT DROP",
    ],
    collect: "INSERT INTO strata_all_locations SELECT DISTINCT {column} FROM {table} WHERE {column} IS NOT NULL \
              ON CONFLICT DO NOTHING",
    page: "SELECT loc FROM strata_all_locations WHERE loc > $1 ORDER BY loc LIMIT $2",
    map: "INSERT INTO strata_location_map (old_loc, new_loc) VALUES ($1, $2)",
    apply: "UPDATE {table} t SET {column} = m.new_loc FROM strata_location_map m WHERE t.{column} = m.old_loc",
    drop: &[],
};

const SQLITE: Steps = Steps {
    scratch: &[
        "CREATE TEMP TABLE strata_all_locations (loc TEXT PRIMARY KEY)",
        "CREATE TEMP TABLE strata_location_map (old_loc TEXT PRIMARY KEY, new_loc TEXT NOT NULL)",
    ],
    collect: "INSERT OR IGNORE INTO strata_all_locations SELECT DISTINCT {column} FROM {table} \
              WHERE {column} IS NOT NULL",
    page: "SELECT loc FROM strata_all_locations WHERE loc > ?1 ORDER BY loc LIMIT ?2",
    map: "INSERT INTO strata_location_map (old_loc, new_loc) VALUES (?1, ?2)",
    apply: "UPDATE {table} SET {column} = (SELECT new_loc FROM strata_location_map WHERE old_loc = {table}.{column}) \
            WHERE {column} IN (SELECT old_loc FROM strata_location_map)",
    drop: &["DROP TABLE strata_all_locations", "DROP TABLE strata_location_map"],
};

fn sql(template: &str, table: &str, column: &str) -> String {
    template.replace("{table}", table).replace("{column}", column)
}

/// The shared steps: every distinct location of `columns` once, its canonical form computed
/// page by page, then each column rewritten in one pass. Linear in the rows, memory bounded by
/// a page. Returns how many rows changed.
macro_rules! rewrite_columns {
    ($tx:expr, $steps:expr, $columns:expr) => {{
        let d: &Steps = $steps;
        let columns: Vec<(&str, &str)> = $columns.into_iter().collect();
        for st in d.scratch {
            sqlx::query(st).execute(&mut *$tx).await.map_err(db("canonical locations: scratch"))?;
        }
        for (table, column) in &columns {
            sqlx::query(&sql(d.collect, table, column))
                .execute(&mut *$tx)
                .await
                .map_err(db("canonical locations: read"))?;
        }
        let mut after = String::new();
        loop {
            let page: Vec<String> = sqlx::query_scalar(d.page)
                .bind(&after)
                .bind(CHUNK)
                .fetch_all(&mut *$tx)
                .await
                .map_err(db("canonical locations: page"))?;
            let Some(last) = page.last() else { break };
            after.clone_from(last);
            for old in &page {
                if let Some(new) = rewritten(old) {
                    sqlx::query(d.map)
                        .bind(old)
                        .bind(&new)
                        .execute(&mut *$tx)
                        .await
                        .map_err(db("canonical locations: map"))?;
                }
            }
        }
        let mut changed = 0_u64;
        for (table, column) in &columns {
            changed += sqlx::query(&sql(d.apply, table, column))
                .execute(&mut *$tx)
                .await
                .map_err(db("canonical locations: rewrite"))?
                .rows_affected();
        }
        for st in d.drop {
            sqlx::query(st).execute(&mut *$tx).await.map_err(db("canonical locations: scratch"))?;
        }
        changed
    }};
}

/// PostgreSQL: rewrite every stored location, unless done. Returns how many rows changed.
pub(crate) async fn rewrite_postgres(conn: &mut PgConnection) -> Result<u64> {
    let mut tx = sqlx::Connection::begin(&mut *conn).await.map_err(db("canonical locations: begin"))?;
    if !claim!(tx, "$1") {
        return Ok(0);
    }
    let mut changed = rewrite_columns!(tx, &PG, COLUMNS.iter().copied());
    // The history: one row per change, its locations in arrays, read page by page in id order.
    sqlx::query("ALTER TABLE history_changes DISABLE TRIGGER history_changes_no_update")
        .execute(&mut *tx)
        .await
        .map_err(db("canonical locations: lift the history trigger"))?;
    let mut after = 0_i64;
    loop {
        let rows = sqlx::query(
            "SELECT id, previous_locations, new_locations FROM history_changes WHERE id > $1 ORDER BY id LIMIT $2",
        )
        .bind(after)
        .bind(CHUNK / 10)
        .fetch_all(&mut *tx)
        .await
        .map_err(db("canonical locations: read history"))?;
        let Some(last) = rows.last() else { break };
        after = last.get(0);
        for row in &rows {
            let previous: Vec<Option<String>> = row.get(1);
            let new: Vec<Option<String>> = row.get(2);
            let (p, n) = (rewritten_all(&previous), rewritten_all(&new));
            if p.is_none() && n.is_none() {
                continue;
            }
            let previous = p.unwrap_or(previous);
            let new = n.unwrap_or(new);
            let keys = crate::partitions::location_keys(new.iter().flatten().map(String::as_str));
            sqlx::query(
                "UPDATE history_changes SET previous_locations = $2, new_locations = $3, location_keys = $4 \
                 WHERE id = $1",
            )
            .bind(row.get::<i64, _>(0))
            .bind(&previous)
            .bind(&new)
            .bind(&keys)
            .execute(&mut *tx)
            .await
            .map_err(db("canonical locations: rewrite history"))?;
            changed += 1;
        }
    }
    sqlx::query("ALTER TABLE history_changes ENABLE TRIGGER history_changes_no_update")
        .execute(&mut *tx)
        .await
        .map_err(db("canonical locations: restore the history trigger"))?;
    sqlx::query("UPDATE strata_meta SET value = 'done' WHERE key = $1")
        .bind(KEY)
        .execute(&mut *tx)
        .await
        .map_err(db("canonical locations: done"))?;
    tx.commit().await.map_err(db("canonical locations: commit"))?;
    Ok(changed)
}

/// SQLite: rewrite every stored location, unless done. Returns how many rows changed.
pub(crate) async fn rewrite_sqlite(conn: &mut SqliteConnection) -> Result<u64> {
    // The claim is the transaction's first statement, a write: it takes the database's write
    // lock, so another process migrating the same file waits for this one.
    let mut tx = sqlx::Connection::begin(&mut *conn).await.map_err(db("canonical locations: begin"))?;
    if !claim!(tx, "?1") {
        return Ok(0);
    }
    // The history's append-only trigger, lifted for this transaction and put back as it was.
    let trigger: Option<String> = sqlx::query_scalar(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'location_history_no_update'",
    )
    .fetch_optional(&mut *tx)
    .await
    .map_err(db("canonical locations: read the history trigger"))?;
    sqlx::query("DROP TRIGGER IF EXISTS location_history_no_update")
        .execute(&mut *tx)
        .await
        .map_err(db("canonical locations: lift the history trigger"))?;
    let history = [("location_history", "previous_location"), ("location_history", "new_location")];
    let changed = rewrite_columns!(tx, &SQLITE, COLUMNS.iter().copied().chain(history));
    if let Some(sql) = trigger {
        sqlx::query(&sql).execute(&mut *tx).await.map_err(db("canonical locations: restore the history trigger"))?;
    }
    sqlx::query("UPDATE strata_meta SET value = 'done' WHERE key = ?1")
        .bind(KEY)
        .execute(&mut *tx)
        .await
        .map_err(db("canonical locations: done"))?;
    tx.commit().await.map_err(db("canonical locations: commit"))?;
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_other_spellings_are_rewritten() {
        assert_eq!(rewritten("file:///w/t"), None);
        assert_eq!(rewritten("file:///w//t/./p/../q/").as_deref(), Some("file:///w/t/q"));
        assert_eq!(rewritten("file:/w/t").as_deref(), Some("file:///w/t"));
        let locs = vec![Some("file:///a".to_string()), None];
        assert_eq!(rewritten_all(&locs), None);
        let odd = vec![Some("file:///a//b".to_string()), None];
        assert_eq!(rewritten_all(&odd), Some(vec![Some("file:///a/b".to_string()), None]));
    }
}
