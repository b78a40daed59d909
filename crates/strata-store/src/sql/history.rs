//! The location history: appended with the changes it records, read back in write order.

/// The history aggregate for one backend (see [`crate::sql`]).
macro_rules! history {
    ($store:ty) => {
        /// The history (`crate::sql::history`).
        mod history {
            use strata_core::{model::HistoryEntry, Result};

            use $crate::{
                dialect::Dialect,
                errors::db,
                rows::{HistoryRow, HISTORY_COLUMNS},
            };

            type D = $store;

            pub(super) async fn append_history(store: &D, entries: &[HistoryEntry]) -> Result<()> {
                if entries.is_empty() {
                    return Ok(());
                }
                let mut tx = store.begin_write().await?;
                D::insert_history(&mut tx, entries).await?;
                tx.commit().await.map_err(db("append history: commit"))
            }

            pub(super) async fn history_all(store: &D) -> Result<Vec<HistoryEntry>> {
                sqlx::query_as::<_, HistoryRow>(&format!("SELECT {HISTORY_COLUMNS} FROM location_history ORDER BY id"))
                    .fetch_all(store.pool())
                    .await
                    .map_err(db("history"))?
                    .into_iter()
                    .map(HistoryRow::into_model)
                    .collect()
            }

            pub(super) async fn history(
                store: &D,
                db_name: &str,
                table: &str,
                since_millis: Option<i64>,
            ) -> Result<Vec<HistoryEntry>> {
                sqlx::query_as::<_, HistoryRow>(&format!(
                    "SELECT {HISTORY_COLUMNS} FROM location_history WHERE db_name = $1 AND table_name = $2 \
                     AND (CAST($3 AS BIGINT) IS NULL OR at_millis >= $3) ORDER BY id"
                ))
                .bind(db_name)
                .bind(table)
                .bind(since_millis)
                .fetch_all(store.pool())
                .await
                .map_err(db("history"))?
                .into_iter()
                .map(HistoryRow::into_model)
                .collect()
            }
        }
    };
}
pub(crate) use history;
