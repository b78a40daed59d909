//! Never delete: where Apache HMS would delete a directory, Strata moves it to the retained area
//! under the warehouse (a `.`-prefixed directory engines skip) and records where it went.

use strata_core::{location, time, Result};

use crate::Catalog;

/// A unique stamp for a retained directory: UTC time plus a short random suffix.
fn stamp() -> String {
    let secs = time::now_millis() / 1000;
    let suffix = uuid::Uuid::new_v4().simple().to_string();
    format!("{}-{}", time::compact_utc(secs), &suffix[..8])
}

/// A directory that was moved to the retained area (so the move can be undone if the metadata
/// change that needed it fails).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retained {
    /// Where the data was.
    pub from: String,
    /// Where it is now.
    pub to: String,
}

impl Catalog {
    /// Move a table's (or partition's) directory to the retained area. `None` when there was
    /// nothing to move.
    pub(crate) async fn retain_table_dir(
        &self,
        dir: &str,
        db: &str,
        table: &str,
        partition: Option<&str>,
    ) -> Result<Option<Retained>> {
        let to = location::retained_location(self.warehouse(), db, table, partition, &stamp());
        self.move_dir(dir, to).await
    }

    /// Move a database's own directory to the retained area.
    pub(crate) async fn retain_database_dir(&self, dir: &str, db: &str) -> Result<Option<Retained>> {
        let to = location::retained_database_location(self.warehouse(), db, &stamp());
        self.move_dir(dir, to).await
    }

    async fn move_dir(&self, from: &str, to: String) -> Result<Option<Retained>> {
        if location::trim_trailing_slash(from) == self.warehouse() {
            // Never move the warehouse root itself.
            return Ok(None);
        }
        if self.storage.rename(from, &to).await? {
            Ok(Some(Retained { from: from.to_string(), to }))
        } else {
            Ok(None)
        }
    }

    /// Put moved directories back (the metadata change they belonged to failed).
    pub(crate) async fn restore(&self, moved: &[Retained]) {
        for m in moved.iter().rev() {
            if let Err(e) = self.storage.rename(&m.to, &m.from).await {
                tracing::error!(error = %e, from = %m.to, to = %m.from, "could not move retained data back");
            }
        }
    }
}
