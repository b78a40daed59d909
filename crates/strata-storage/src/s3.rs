//! `s3://` and `s3a://` locations on Amazon S3 or any S3-compatible store, through
//! `aws-sdk-s3` with the default credential chain (environment, profile, SSO, instance role).
//!
//! S3 has no directories: a location is a key prefix (`bucket/a/b` means every key under
//! `a/b/`). A move is copy-then-delete, object by object: every object is copied first, the
//! sources are deleted only when all copies succeeded, and a move that stopped halfway can be run
//! again (copies are overwritten with the same bytes, the remaining sources copied and deleted).
//! Moves are logged before and after.

use async_trait::async_trait;
use aws_sdk_s3::Client;
use strata_core::{CatalogError, Result};

use crate::Storage;

/// Where and how to reach S3.
#[derive(Debug, Clone, Default)]
pub struct S3Config {
    /// An endpoint other than AWS's (MinIO, Ceph, moto, ...).
    pub endpoint: Option<String>,
    /// Address buckets as `endpoint/bucket` instead of `bucket.endpoint` (most S3-compatible
    /// stores need it).
    pub force_path_style: bool,
    /// The region, when the credential chain does not give one.
    pub region: Option<String>,
}

/// An S3 client, connected on first use (so a server that never touches S3 never probes the
/// credential chain, which may wait for an instance-metadata timeout).
#[derive(Debug, Clone)]
pub struct S3Storage {
    config: S3Config,
    client: std::sync::Arc<tokio::sync::OnceCell<Client>>,
}

/// `(bucket, key prefix without trailing slash)` of an `s3://`/`s3a://` location.
#[must_use]
pub fn split_location(location: &str) -> Option<(&str, &str)> {
    let rest = location.strip_prefix("s3://").or_else(|| location.strip_prefix("s3a://"))?;
    let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
    (!bucket.is_empty()).then(|| (bucket, key.trim_end_matches('/')))
}

fn not_s3(location: &str) -> CatalogError {
    CatalogError::Meta(format!("Not an s3:// location: {location}"))
}

fn s3_err(op: &str, location: &str, e: &impl std::fmt::Display) -> CatalogError {
    CatalogError::Meta(format!("Unable to {op} {location}: {e}"))
}

/// The prefix of everything "inside" a location.
fn dir_prefix(key: &str) -> String {
    if key.is_empty() {
        String::new()
    } else {
        format!("{key}/")
    }
}

impl S3Storage {
    /// Storage for `config`; nothing is contacted until the first call.
    #[must_use]
    pub fn new(config: S3Config) -> Self {
        Self { config, client: std::sync::Arc::default() }
    }

    async fn client(&self) -> &Client {
        self.client.get_or_init(|| Self::connect(&self.config)).await
    }

    /// A client from the default credential chain and `config`.
    async fn connect(config: &S3Config) -> Client {
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
        if let Some(region) = &config.region {
            loader = loader.region(aws_config::Region::new(region.clone()));
        }
        let shared = loader.load().await;
        let mut builder = aws_sdk_s3::config::Builder::from(&shared).force_path_style(config.force_path_style);
        if let Some(endpoint) = &config.endpoint {
            builder = builder.endpoint_url(endpoint);
        }
        if shared.region().is_none() && config.region.is_none() {
            builder = builder.region(aws_config::Region::new("us-east-1"));
        }
        Client::from_conf(builder.build())
    }

    /// Every key under a prefix.
    async fn keys(&self, bucket: &str, prefix: &str, location: &str) -> Result<Vec<String>> {
        let mut keys = Vec::new();
        let mut pages = self.client().await.list_objects_v2().bucket(bucket).prefix(prefix).into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| s3_err("list", location, &aws_sdk_s3::error::DisplayErrorContext(e)))?;
            keys.extend(page.contents().iter().filter_map(|o| o.key().map(str::to_string)));
        }
        Ok(keys)
    }

    /// Delete these keys, 1,000 per request (S3's limit); `location` names them in errors.
    async fn delete_keys(&self, bucket: &str, keys: &[String], location: &str) -> Result<()> {
        for chunk in keys.chunks(1000) {
            let objects = chunk
                .iter()
                .map(|k| aws_sdk_s3::types::ObjectIdentifier::builder().key(k).build())
                .collect::<std::result::Result<Vec<_>, _>>()
                .map_err(|e| s3_err("delete", location, &e))?;
            let delete = aws_sdk_s3::types::Delete::builder()
                .set_objects(Some(objects))
                .build()
                .map_err(|e| s3_err("delete", location, &e))?;
            self.client()
                .await
                .delete_objects()
                .bucket(bucket)
                .delete(delete)
                .send()
                .await
                .map_err(|e| s3_err("delete", location, &aws_sdk_s3::error::DisplayErrorContext(e)))?;
        }
        Ok(())
    }

    async fn any_key(&self, bucket: &str, prefix: &str, location: &str) -> Result<bool> {
        let page = self
            .client()
            .await
            .list_objects_v2()
            .bucket(bucket)
            .prefix(prefix)
            .max_keys(1)
            .send()
            .await
            .map_err(|e| s3_err("list", location, &aws_sdk_s3::error::DisplayErrorContext(e)))?;
        Ok(!page.contents().is_empty())
    }
}

#[async_trait]
impl Storage for S3Storage {
    async fn exists(&self, location: &str) -> Result<bool> {
        let (bucket, key) = split_location(location).ok_or_else(|| not_s3(location))?;
        if self.any_key(bucket, &dir_prefix(key), location).await? {
            return Ok(true);
        }
        Ok(!key.is_empty() && self.client().await.head_object().bucket(bucket).key(key).send().await.is_ok())
    }

    async fn mkdirs(&self, _location: &str) -> Result<()> {
        // No directories on S3: a prefix exists once an object is written under it.
        Ok(())
    }

    async fn rename(&self, from: &str, to: &str) -> Result<bool> {
        let (src_bucket, src_key) = split_location(from).ok_or_else(|| not_s3(from))?;
        let (dst_bucket, dst_key) = split_location(to).ok_or_else(|| not_s3(to))?;
        let src_prefix = dir_prefix(src_key);
        let keys = self.keys(src_bucket, &src_prefix, from).await?;
        if keys.is_empty() {
            return Ok(false);
        }
        tracing::info!(from, to, objects = keys.len(), "moving (copy, then delete)");
        for key in &keys {
            let target = format!("{}{}", dir_prefix(dst_key), &key[src_prefix.len()..]);
            self.client()
                .await
                .copy_object()
                .copy_source(format!("{src_bucket}/{}", urlencode_key(key)))
                .bucket(dst_bucket)
                .key(&target)
                .send()
                .await
                .map_err(|e| s3_err("copy", from, &aws_sdk_s3::error::DisplayErrorContext(e)))?;
        }
        tracing::info!(from, to, objects = keys.len(), "copied; deleting the sources");
        self.delete_keys(src_bucket, &keys, from).await?;
        tracing::info!(from, to, "moved");
        Ok(true)
    }

    async fn quick_stats(&self, location: &str) -> Result<Option<crate::QuickStats>> {
        let (bucket, key) = split_location(location).ok_or_else(|| not_s3(location))?;
        let prefix = dir_prefix(key);
        let mut stats = crate::QuickStats::default();
        let mut seen = 0usize;
        let mut pages = self.client().await.list_objects_v2().bucket(bucket).prefix(&prefix).into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| s3_err("list", location, &aws_sdk_s3::error::DisplayErrorContext(e)))?;
            for object in page.contents() {
                seen += 1;
                if seen > crate::QUICK_STATS_MAX_ENTRIES {
                    return Ok(None);
                }
                let Some(rest) = object.key().and_then(|k| k.strip_prefix(prefix.as_str())) else { continue };
                // A "directory marker" (`a/b/`) or anything under a hidden name is not data.
                if rest.is_empty() || rest.ends_with('/') || rest.split('/').any(crate::is_hidden_name) {
                    continue;
                }
                stats.num_files += 1;
                stats.total_size += u64::try_from(object.size().unwrap_or(0)).unwrap_or(0);
            }
        }
        // S3 has no directories: an empty prefix and a missing one look alike (0 files).
        Ok(Some(stats))
    }

    async fn has_data(&self, location: &str) -> Result<bool> {
        let (bucket, key) = split_location(location).ok_or_else(|| not_s3(location))?;
        self.any_key(bucket, &dir_prefix(key), location).await
    }

    async fn delete_dir(&self, location: &str) -> Result<bool> {
        let (bucket, key) = split_location(location).ok_or_else(|| not_s3(location))?;
        if key.is_empty() {
            return Err(CatalogError::Meta(format!("Refusing to delete a whole bucket: {location}")));
        }
        let keys = self.keys(bucket, &dir_prefix(key), location).await?;
        self.delete_keys(bucket, &keys, location).await?;
        if !keys.is_empty() {
            tracing::info!(location, objects = keys.len(), "deleted (gc)");
        }
        Ok(!keys.is_empty())
    }
}

/// A key as `copy_source` wants it (URL-encoded, `/` kept).
fn urlencode_key(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    for b in key.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_split_into_bucket_and_prefix() {
        assert_eq!(split_location("s3://b/wh/t/ds=1/"), Some(("b", "wh/t/ds=1")));
        assert_eq!(split_location("s3a://b/wh"), Some(("b", "wh")));
        assert_eq!(split_location("s3://b"), Some(("b", "")));
        assert_eq!(split_location("s3://"), None);
        assert_eq!(split_location("file:///x"), None);
    }

    #[test]
    fn copy_sources_are_url_encoded() {
        assert_eq!(urlencode_key("wh/t/ds=a b/part-0"), "wh/t/ds%3Da%20b/part-0");
    }
}
