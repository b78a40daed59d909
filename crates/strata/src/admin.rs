//! The admin CLI over the location history: `history`, `rollback`, `undrop`, `tag`,
//! `batch new`, `batch commit`. Same configuration and database as `serve`; safe while the server runs
//! (every change is a transaction of its own, like a Thrift call's).

use clap::Subcommand;
use comfy_table::{presets::UTF8_FULL_CONDENSED, Table as TextTable};
use strata_catalog::{
    versions::{Change, Target},
    Catalog,
};
use strata_core::{model::Actor, time, CatalogError};

use crate::settings::Settings;

/// The admin commands.
#[derive(Debug, Subcommand)]
pub enum Admin {
    /// Show the location history of a table (oldest first).
    History {
        /// `DB.TABLE`.
        table: String,
        /// Only this partition: `k1=v1,k2=v2`.
        #[arg(long, value_name = "SPEC")]
        partition: Option<String>,
        /// Only changes at or after this time (ISO 8601 or YYYYMMDDHHMMSS, UTC).
        #[arg(long, value_name = "TIME")]
        since: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Roll a partition back to a batch id or time, or a whole table back to a time.
    Rollback {
        /// `DB.TABLE`.
        table: String,
        /// Only this partition: `k1=v1,k2=v2`.
        #[arg(long, value_name = "SPEC")]
        partition: Option<String>,
        /// A batch id (YYYYMMDDHHMMSS) or a time (ISO 8601).
        #[arg(long, value_name = "BATCH_ID|TIME")]
        to: String,
        /// Show what a table rollback would change, change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Restore a dropped table (definition, partitions, data) or partition from the retained area.
    Undrop {
        /// `DB.TABLE`.
        table: String,
        /// The partition: `k1=v1,k2=v2`.
        #[arg(long, value_name = "SPEC")]
        partition: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Name the state of a table (read it back as `TABLE@NAME`); without NAME, list the tags.
    Tag {
        /// `DB.TABLE`.
        table: String,
        /// The tag (lower-case letters, digits, `_`, `.`, `-`).
        name: Option<String>,
        /// The moment the tag names (ISO 8601 or YYYYMMDDHHMMSS, UTC); default now.
        #[arg(long, value_name = "TIME")]
        at: Option<String>,
        /// Delete the tag instead.
        #[arg(long)]
        delete: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List (and with --apply delete) data nothing needs any more: swapped-out batches and
    /// retained data that no live table or partition, no tag and no rollback within the window
    /// still needs. Every deletion is recorded in the history.
    Gc {
        /// The retention window: data left less than this long ago is kept (e.g. `7d`, `12h`).
        #[arg(long, value_name = "DURATION")]
        older_than: humantime::Duration,
        /// Only the data of this table (`DB.TABLE`).
        #[arg(long, value_name = "DB.TABLE")]
        table: Option<String>,
        /// Delete what is listed (without it, nothing is deleted).
        #[arg(long)]
        apply: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Write batches from outside the engines.
    #[command(subcommand)]
    Batch(BatchCommand),
    /// List moves to the retained area that did not finish (a server stopped in the middle of
    /// one; on S3 a move is copy-then-delete); with --resume, finish or undo them.
    Moves {
        /// Finish each open move whose change committed, move the others' data back.
        #[arg(long)]
        resume: bool,
        /// With --resume, only moves started at least this long ago (a running server may still
        /// be busy with newer ones).
        #[arg(long, value_name = "DURATION", default_value = "1h")]
        min_age: humantime::Duration,
        /// List every journalled move, finished ones too.
        #[arg(long, conflicts_with = "resume")]
        all: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `strata batch …`.
#[derive(Debug, Subcommand)]
pub enum BatchCommand {
    /// Print a fresh batch location for a partition (write the data there, then `commit`).
    New {
        /// `DB.TABLE`.
        table: String,
        /// The partition: `k1=v1,k2=v2`.
        #[arg(long, value_name = "SPEC")]
        partition: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Swap a written batch location into a partition (adding the partition if needed).
    Commit {
        /// `DB.TABLE`.
        table: String,
        /// The partition: `k1=v1,k2=v2`.
        #[arg(long, value_name = "SPEC")]
        partition: String,
        /// The batch location the data was written to.
        #[arg(long, value_name = "URI")]
        location: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

type AnyResult = Result<(), Box<dyn std::error::Error>>;

fn split_table(name: &str) -> Result<(&str, &str), CatalogError> {
    name.split_once('.').filter(|(d, t)| !d.is_empty() && !t.is_empty()).ok_or_else(|| {
        CatalogError::Meta(format!("'{name}' is not DB.TABLE (for example `strata history default.sold_items`)"))
    })
}

fn actor() -> Actor {
    Actor {
        user: std::env::var("USER").unwrap_or_else(|_| "strata-cli".to_string()),
        client_addr: "cli".to_string(),
        request_id: uuid::Uuid::new_v4().to_string(),
    }
}

fn utc(millis: i64) -> String {
    let c = time::compact_utc(millis.div_euclid(1000));
    format!("{}-{}-{} {}:{}:{}", &c[0..4], &c[4..6], &c[6..8], &c[8..10], &c[10..12], &c[12..14])
}

fn changes_table(changes: &[Change]) -> String {
    let mut t = TextTable::new();
    t.load_preset(UTF8_FULL_CONDENSED).set_header(["action", "partition", "from", "to"]);
    for c in changes {
        t.add_row([c.action, &c.partition, c.from.as_deref().unwrap_or(""), c.to.as_deref().unwrap_or("")]);
    }
    t.to_string()
}

fn print_changes(changes: &[Change], json: bool) -> AnyResult {
    if json {
        println!("{}", serde_json::to_string_pretty(changes)?);
    } else if changes.is_empty() {
        println!("nothing to change");
    } else {
        println!("{}", changes_table(changes));
    }
    Ok(())
}

/// Run one admin command.
pub async fn run(settings: &Settings, command: Admin) -> AnyResult {
    let catalog = settings.open_catalog(settings.catalog_config()?).await?;
    let who = actor();
    match command {
        Admin::History { table, partition, since, json } => {
            let (db, t) = split_table(&table)?;
            let since = since
                .map(|s| {
                    time::parse_instant_millis(&s)
                        .ok_or_else(|| CatalogError::Meta(format!("--since '{s}': use ISO 8601 or YYYYMMDDHHMMSS")))
                })
                .transpose()?;
            let rows = catalog.table_history(db, t, partition.as_deref(), since).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
                return Ok(());
            }
            let mut out = TextTable::new();
            out.load_preset(UTF8_FULL_CONDENSED).set_header([
                "id",
                "time (UTC)",
                "operation",
                "partition",
                "batch",
                "previous",
                "new",
                "actor",
            ]);
            for h in &rows {
                out.add_row([
                    h.id.to_string(),
                    utc(h.at_millis),
                    h.operation.to_string(),
                    h.partition_name.clone().unwrap_or_default(),
                    h.batch_id.clone().unwrap_or_default(),
                    h.previous_location.clone().unwrap_or_default(),
                    h.new_location.clone().unwrap_or_default(),
                    h.actor.clone(),
                ]);
            }
            println!("{out}");
        }
        Admin::Rollback { table, partition, to, dry_run, json } => {
            let (db, t) = split_table(&table)?;
            let target = Target::parse(&to)?;
            match partition {
                Some(spec) => {
                    if dry_run {
                        return Err("--dry-run applies to whole-table rollbacks".into());
                    }
                    let change = catalog.rollback_partition(&who, db, t, &spec, &target).await?;
                    print_changes(&[change], json)?;
                }
                None => {
                    let Target::Time(at) = target else {
                        return Err(format!(
                            "a whole table rolls back to a time, not a batch id; give --partition to use batch {to}, \
                             or a time such as {}Z",
                            utc(target.millis()).replace(' ', "T")
                        )
                        .into());
                    };
                    if dry_run {
                        print_changes(&catalog.plan_table_rollback(db, t, at).await?, json)?;
                        return Ok(());
                    }
                    let planned = catalog.plan_table_rollback(db, t, at).await?;
                    let bar = indicatif::ProgressBar::new(planned.len() as u64 + 3);
                    if json || planned.len() < 1000 {
                        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
                    }
                    let changes = catalog.rollback_table(&who, db, t, at, &|n| bar.inc(n)).await?;
                    bar.finish_and_clear();
                    print_changes(&changes, json)?;
                }
            }
        }
        Admin::Undrop { table, partition, json } => {
            let (db, t) = split_table(&table)?;
            match partition {
                Some(spec) => print_changes(&[catalog.undrop_partition(&who, db, t, &spec).await?], json)?,
                None => print_changes(&catalog.undrop_table(&who, db, t).await?, json)?,
            }
        }
        Admin::Tag { table, name, at, delete, json } => {
            let (db, t) = split_table(&table)?;
            let tags = match (name, delete) {
                (None, false) => catalog.list_tags(db, t).await?,
                (None, true) => return Err("--delete needs the tag's NAME".into()),
                (Some(name), true) => vec![catalog.delete_tag(db, t, &name).await?],
                (Some(name), false) => {
                    let at = at
                        .map(|s| {
                            time::parse_instant_millis(&s).ok_or_else(|| {
                                CatalogError::Meta(format!("--at '{s}': use ISO 8601 or YYYYMMDDHHMMSS"))
                            })
                        })
                        .transpose()?;
                    vec![catalog.create_tag(&who, db, t, &name, at).await?]
                }
            };
            if json {
                println!("{}", serde_json::to_string_pretty(&tags)?);
            } else {
                let mut out = TextTable::new();
                out.load_preset(UTF8_FULL_CONDENSED).set_header(["tag", "at (UTC)", "created by", "read it as"]);
                for tag in &tags {
                    out.add_row([
                        tag.name.clone(),
                        utc(tag.at_millis),
                        tag.created_by.clone(),
                        format!("{}.`{}@{}`", tag.db_name, tag.table_name, tag.name),
                    ]);
                }
                println!("{out}");
            }
        }
        Admin::Gc { older_than, table, apply, json } => {
            let window = i64::try_from(older_than.as_millis()).unwrap_or(i64::MAX);
            let only = table.as_deref().map(split_table).transpose()?;
            let listed =
                if apply { catalog.gc_apply(&who, window, only).await? } else { catalog.gc_plan(window, only).await? };
            if json {
                println!("{}", serde_json::to_string_pretty(&listed)?);
            } else {
                let mut out = TextTable::new();
                out.load_preset(UTF8_FULL_CONDENSED).set_header([
                    "location",
                    "kind",
                    "table",
                    "partition",
                    "since (UTC)",
                ]);
                for c in &listed {
                    out.add_row([
                        c.location.clone(),
                        c.kind.to_string(),
                        format!("{}.{}", c.db_name, c.table_name),
                        c.partition_name.clone().unwrap_or_default(),
                        utc(c.since_millis),
                    ]);
                }
                println!("{out}");
                let verb = if apply { "deleted" } else { "would delete (dry run; add --apply)" };
                println!("{verb}: {} directories", listed.len());
            }
        }
        Admin::Moves { resume, min_age, all, json } => moves(&catalog, resume, *min_age, all, json).await?,
        Admin::Batch(BatchCommand::New { table, partition, json }) => {
            let (db, t) = split_table(&table)?;
            let (loc, id) = catalog.new_batch_location(db, t, &partition).await?;
            if json {
                println!("{}", serde_json::json!({ "location": loc, "batch_id": id.as_str() }));
            } else {
                println!("{loc}");
            }
        }
        Admin::Batch(BatchCommand::Commit { table, partition, location, json }) => {
            let (db, t) = split_table(&table)?;
            let change = catalog.commit_batch(&who, db, t, &partition, &location).await?;
            print_changes(&[change], json)?;
        }
    }
    Ok(())
}

/// `strata moves`.
async fn moves(catalog: &Catalog, resume: bool, min_age: std::time::Duration, all: bool, json: bool) -> AnyResult {
    if resume {
        let outcomes = catalog.resume_moves(min_age).await?;
        let failed = outcomes.iter().filter(|o| o.error.is_some()).count();
        if json {
            println!("{}", serde_json::to_string_pretty(&outcomes)?);
        } else {
            print_moves(outcomes.into_iter().map(|o| (o.entry, o.action.to_string(), o.error)).collect());
        }
        if failed > 0 {
            return Err(format!("{failed} moves failed again and stay open; fix the cause and run again").into());
        }
        return Ok(());
    }
    let listed = catalog.moves(all).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&listed)?);
    } else {
        print_moves(
            listed
                .into_iter()
                .map(|m| {
                    let state = m.state.clone();
                    (m, state, None)
                })
                .collect(),
        );
    }
    Ok(())
}

fn print_moves(rows: Vec<(strata_store::moves::StorageMove, String, Option<String>)>) {
    if rows.is_empty() {
        println!("no moves");
        return;
    }
    let mut out = TextTable::new();
    out.load_preset(UTF8_FULL_CONDENSED).set_header(["id", "started (UTC)", "from", "to", "state", "detail"]);
    for (m, state, error) in rows {
        out.add_row([
            m.id.to_string(),
            utc(m.started_millis),
            m.from_location,
            m.to_location,
            state,
            error.unwrap_or(m.detail),
        ]);
    }
    println!("{out}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_names_need_a_database() {
        assert_eq!(split_table("db.t").unwrap(), ("db", "t"));
        assert!(split_table("t").unwrap_err().to_string().contains("DB.TABLE"));
        assert!(split_table(".t").is_err());
    }

    #[test]
    fn times_print_as_utc() {
        assert_eq!(utc(1_478_130_172_000), "2016-11-02 23:42:52");
    }
}
