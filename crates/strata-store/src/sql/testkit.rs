//! The test hooks of the conformance suite ([`crate::conformance::ConformanceHooks`]), built
//! only with the `testkit` feature.

/// The test hooks for one backend (see [`crate::sql`]).
macro_rules! testkit {
    ($store:ty) => {
        /// Test hooks (`crate::sql::testkit`).
        mod testkit {
            use async_trait::async_trait;
            use strata_core::{error::msg, partname, CatalogError, Result};

            use $crate::{
                api::Store,
                conformance::ConformanceHooks,
                dialect::Dialect,
                errors::{db, internal, violates, PARTITIONS_TABLE_ID_PART_NAME_KEY},
                rows::shape_hash,
            };

            type D = $store;

            #[async_trait]
            impl ConformanceHooks for D {
                async fn storage_descriptor_count(&self) -> Result<i64> {
                    sqlx::query_scalar("SELECT count(*) FROM storage_descriptors")
                        .fetch_one(self.pool())
                        .await
                        .map_err(db("count descriptors"))
                }

                async fn insert_function(&self, db_name: &str, name: &str) -> Result<()> {
                    sqlx::query(
                        "INSERT INTO functions (db_id, name, class_name) SELECT id, $2, 'org.example.Udf' \
                         FROM databases WHERE name = $1",
                    )
                    .bind(db_name)
                    .bind(name)
                    .execute(self.pool())
                    .await
                    .map_err(db("insert function"))?;
                    Ok(())
                }

                async fn function_count(&self) -> Result<i64> {
                    sqlx::query_scalar("SELECT count(*) FROM functions")
                        .fetch_one(self.pool())
                        .await
                        .map_err(db("count functions"))
                }

                async fn insert_partition(
                    &self,
                    db_name: &str,
                    table: &str,
                    values: &[String],
                    location: &str,
                ) -> Result<()> {
                    let t = self
                        .get_table(db_name, table)
                        .await?
                        .ok_or_else(|| CatalogError::NoSuchObject(msg::table_not_found(db_name, table)))?;
                    let keys: Vec<String> = t.partition_keys.iter().map(|k| k.name.clone()).collect();
                    let part_name = partname::make_part_name(&keys, values)?;
                    let sd = strata_core::model::StorageDescriptor {
                        location: Some(location.to_string()),
                        ..t.sd.clone()
                    };
                    let shape_json = sd.shape_json();
                    let mut tx = self.begin_write().await?;
                    let sd_id =
                        super::tables::intern_descriptor(&mut tx, &shape_hash(&shape_json), &shape_json).await?;
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO partitions (table_id, part_name, part_values, sd_id, location, parameters) \
                         VALUES ($1, $2, $3, $4, $5, '{}') RETURNING id",
                    )
                    .bind(t.id)
                    .bind(&part_name)
                    .bind(D::values(values)?)
                    .bind(sd_id)
                    .bind(location)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(|e| {
                        if violates(&e, PARTITIONS_TABLE_ID_PART_NAME_KEY) {
                            CatalogError::AlreadyExists(format!("Partition already exists: {part_name}"))
                        } else {
                            internal("insert partition", e)
                        }
                    })?;
                    D::insert_key_values(&mut tx, t.id, &[(id, values)]).await?;
                    tx.commit().await.map_err(db("insert partition: commit"))
                }

                async fn partition_locations(
                    &self,
                    db_name: &str,
                    table: &str,
                ) -> Result<Vec<(String, Option<String>)>> {
                    sqlx::query_as(
                        "SELECT p.part_name, p.location FROM partitions p JOIN tables t ON t.id = p.table_id \
                         JOIN databases d ON d.id = t.db_id WHERE d.name = $1 AND t.name = $2 ORDER BY p.part_name",
                    )
                    .bind(db_name)
                    .bind(table)
                    .fetch_all(self.pool())
                    .await
                    .map_err(db("partition locations"))
                }

                async fn partition_row_count(&self) -> Result<(i64, i64)> {
                    sqlx::query_as(
                        "SELECT (SELECT count(*) FROM partitions), (SELECT count(*) FROM partition_key_values)",
                    )
                    .fetch_one(self.pool())
                    .await
                    .map_err(db("count partitions"))
                }

                async fn try_rewrite_history(&self) -> (bool, bool) {
                    // Neither the history nor (PostgreSQL) the changes under its view can be
                    // rewritten.
                    let mut refused = (true, true);
                    for table in D::HISTORY_TABLES {
                        let update =
                            sqlx::query(&format!("UPDATE {table} SET actor = 'mallory'")).execute(self.pool()).await;
                        let delete = sqlx::query(&format!("DELETE FROM {table}")).execute(self.pool()).await;
                        refused = (refused.0 && update.is_err(), refused.1 && delete.is_err());
                    }
                    refused
                }
            }
        }
    };
}
pub(crate) use testkit;
