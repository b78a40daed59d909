//! Object storage behind one small trait. The catalog only ever creates directories, asks whether
//! something exists, and moves a directory somewhere else: Strata never deletes data.
//!
//! # Layout
//! - [`Storage`]: the trait.
//! - [`LocalStorage`]: `file:` locations on the local file system.
//! - [`s3::S3Storage`]: `s3:`/`s3a:` locations on S3 or an S3-compatible store.
//! - [`Storages`]: picks the implementation by a location's scheme.

pub mod s3;

use std::{path::PathBuf, sync::Arc};

use async_trait::async_trait;
use strata_core::{CatalogError, Result};

/// What the catalog needs from a file or object store.
#[async_trait]
pub trait Storage: Send + Sync + std::fmt::Debug {
    /// Whether anything exists at the location.
    async fn exists(&self, location: &str) -> Result<bool>;
    /// Create the directory and its parents (no error if it exists).
    async fn mkdirs(&self, location: &str) -> Result<()>;
    /// Move `from` to `to` (whose parents are created). Fails if `to` already exists.
    /// Returns `false`, moving nothing, when `from` does not exist.
    async fn rename(&self, from: &str, to: &str) -> Result<bool>;
    /// Whether the location is a directory (or prefix) holding at least one entry.
    async fn has_data(&self, location: &str) -> Result<bool>;
    /// Delete a directory and everything under it; `false` if there was nothing. Only
    /// `strata gc --apply` calls this: it is the one place Strata deletes data.
    async fn delete_dir(&self, location: &str) -> Result<bool>;
    /// HMS's "fast stats" of a directory: the files under it, at any depth, and their total
    /// size, skipping hidden names (`.x`, `_x`, as Hadoop's listing for statistics does).
    /// `None` when the location does not exist, or holds more than [`QUICK_STATS_MAX_ENTRIES`]
    /// entries (then the answer would cost more than the call it serves).
    async fn quick_stats(&self, location: &str) -> Result<Option<QuickStats>>;
}

/// The number of files and bytes under a location (`numFiles`, `totalSize`).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct QuickStats {
    /// Files (not directories).
    pub num_files: u64,
    /// Their total size in bytes.
    pub total_size: u64,
}

/// The most entries [`Storage::quick_stats`] visits under one location.
pub const QUICK_STATS_MAX_ENTRIES: usize = 100_000;

/// Whether a file or directory name is hidden from statistics (Hadoop: `_SUCCESS`, `.crc`...).
#[must_use]
pub fn is_hidden_name(name: &str) -> bool {
    name.starts_with('.') || name.starts_with('_')
}

/// [`Storage::quick_stats`] of many `file:` locations in one blocking task (one thread hop
/// for a whole `add_partitions`, not one per partition); a location that is not `file:` or not
/// local answers `None`.
pub async fn local_quick_stats_many(locations: Vec<String>) -> Result<Vec<Result<Option<QuickStats>>>> {
    tokio::task::spawn_blocking(move || {
        locations
            .iter()
            .map(|loc| match local_path(loc) {
                Some(path) => local_quick_stats(&path).map_err(|e| io_err("list", loc, &e)),
                None => Ok(None),
            })
            .collect()
    })
    .await
    .map_err(|e| CatalogError::Meta(format!("Unable to list files: {e}")))
}

/// Walk a local directory tree for [`Storage::quick_stats`] (blocking: run it off the runtime).
fn local_quick_stats(root: &std::path::Path) -> std::io::Result<Option<QuickStats>> {
    let mut stats = QuickStats::default();
    let mut pending = vec![root.to_path_buf()];
    let mut visited = 0usize;
    let mut first = true;
    while let Some(dir) = pending.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if first && matches!(e.kind(), std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory) => {
                return Ok(None)
            }
            // Gone (or replaced by a file) while we walked: nothing to count there.
            Err(e) if matches!(e.kind(), std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory) => continue,
            Err(e) => return Err(e),
        };
        first = false;
        for entry in entries {
            let entry = entry?;
            visited += 1;
            if visited > QUICK_STATS_MAX_ENTRIES {
                return Ok(None);
            }
            if entry.file_name().to_str().is_none_or(is_hidden_name) {
                continue;
            }
            let meta = match entry.metadata() {
                Ok(meta) => meta,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            };
            if meta.is_dir() {
                pending.push(entry.path());
            } else {
                stats.num_files += 1;
                stats.total_size += meta.len();
            }
        }
    }
    Ok(Some(stats))
}

/// The local file system, for `file:` locations (`file:///a/b` and Hadoop's `file:/a/b`).
#[derive(Debug, Default, Clone, Copy)]
pub struct LocalStorage;

/// The local path of a `file:` location, if it is one.
#[must_use]
pub fn local_path(location: &str) -> Option<PathBuf> {
    let rest = location.strip_prefix("file:")?;
    // file:///a, file://localhost/a, file:/a
    let path = if let Some(after) = rest.strip_prefix("//") {
        let slash = after.find('/')?;
        &after[slash..]
    } else {
        rest
    };
    path.starts_with('/').then(|| PathBuf::from(path))
}

fn io_err(op: &str, location: &str, e: &std::io::Error) -> CatalogError {
    CatalogError::Meta(format!("Unable to {op} {location}: {e}"))
}

fn not_local(location: &str) -> CatalogError {
    CatalogError::Meta(format!("Not a local file location: {location}"))
}

#[async_trait]
impl Storage for LocalStorage {
    async fn exists(&self, location: &str) -> Result<bool> {
        let path = local_path(location).ok_or_else(|| not_local(location))?;
        tokio::fs::try_exists(&path).await.map_err(|e| io_err("probe", location, &e))
    }

    async fn mkdirs(&self, location: &str) -> Result<()> {
        let path = local_path(location).ok_or_else(|| not_local(location))?;
        tokio::fs::create_dir_all(&path).await.map_err(|e| io_err("create directory", location, &e))
    }

    async fn rename(&self, from: &str, to: &str) -> Result<bool> {
        let src = local_path(from).ok_or_else(|| not_local(from))?;
        let dst = local_path(to).ok_or_else(|| not_local(to))?;
        if !tokio::fs::try_exists(&src).await.map_err(|e| io_err("probe", from, &e))? {
            return Ok(false);
        }
        if tokio::fs::try_exists(&dst).await.map_err(|e| io_err("probe", to, &e))? {
            return Err(CatalogError::Meta(format!("Unable to move {from}: {to} already exists")));
        }
        if src.parent().is_none() || dst.starts_with(&src) {
            return Err(CatalogError::Meta(format!("Unable to move {from} to {to}: refused")));
        }
        if let Some(parent) = dst.parent() {
            tokio::fs::create_dir_all(parent).await.map_err(|e| io_err("create directory", to, &e))?;
        }
        match tokio::fs::rename(&src, &dst).await {
            Ok(()) => {}
            // Moved (or dropped) by someone else between the probe and the move.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(io_err("move", from, &e)),
        }
        tracing::info!(from, to, "moved directory");
        Ok(true)
    }

    async fn has_data(&self, location: &str) -> Result<bool> {
        let path = local_path(location).ok_or_else(|| not_local(location))?;
        match tokio::fs::read_dir(&path).await {
            Ok(mut entries) => Ok(entries.next_entry().await.map_err(|e| io_err("list", location, &e))?.is_some()),
            Err(e) if matches!(e.kind(), std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory) => Ok(false),
            Err(e) => Err(io_err("list", location, &e)),
        }
    }

    async fn delete_dir(&self, location: &str) -> Result<bool> {
        let path = local_path(location).ok_or_else(|| not_local(location))?;
        if path.parent().is_none() {
            return Err(CatalogError::Meta(format!("Unable to delete {location}: refused")));
        }
        match tokio::fs::remove_dir_all(&path).await {
            Ok(()) => {
                tracing::info!(location, "deleted directory (gc)");
                Ok(true)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(io_err("delete", location, &e)),
        }
    }

    async fn quick_stats(&self, location: &str) -> Result<Option<QuickStats>> {
        let path = local_path(location).ok_or_else(|| not_local(location))?;
        tokio::task::spawn_blocking(move || local_quick_stats(&path))
            .await
            .map_err(|e| CatalogError::Meta(format!("Unable to list {location}: {e}")))?
            .map_err(|e| io_err("list", location, &e))
    }
}

/// Storage for schemes Strata cannot reach (`hdfs://`, or `s3://` when S3 is not configured). It never touches data: moves are skipped with a warning, so the data simply
/// stays where it is, which is still "never delete".
#[derive(Debug, Default, Clone, Copy)]
pub struct UnreachableStorage;

#[async_trait]
impl Storage for UnreachableStorage {
    async fn exists(&self, _location: &str) -> Result<bool> {
        Ok(true)
    }

    async fn mkdirs(&self, _location: &str) -> Result<()> {
        Ok(())
    }

    async fn rename(&self, from: &str, to: &str) -> Result<bool> {
        tracing::warn!(from, to, "storage for this scheme is not configured; data left in place");
        Ok(false)
    }

    async fn has_data(&self, _location: &str) -> Result<bool> {
        Ok(true)
    }

    async fn delete_dir(&self, location: &str) -> Result<bool> {
        tracing::warn!(location, "storage for this scheme is not configured; nothing deleted");
        Ok(false)
    }

    async fn quick_stats(&self, _location: &str) -> Result<Option<QuickStats>> {
        Ok(None)
    }
}

/// Routes each location to the storage of its scheme.
#[derive(Debug, Clone)]
pub struct Storages {
    local: Arc<dyn Storage>,
    s3: Arc<dyn Storage>,
    other: Arc<dyn Storage>,
}

impl Default for Storages {
    fn default() -> Self {
        Self { local: Arc::new(LocalStorage), s3: Arc::new(UnreachableStorage), other: Arc::new(UnreachableStorage) }
    }
}

/// The storage family of a location (`s3a:` and `s3:` are one).
fn family(location: &str) -> &str {
    match location.split(':').next().unwrap_or_default() {
        "s3a" => "s3",
        other => other,
    }
}

impl Storages {
    /// Local files plus S3 (`s3://`, `s3a://`) through `s3`.
    #[must_use]
    pub fn with_s3(s3: s3::S3Storage) -> Self {
        Self { s3: Arc::new(s3), ..Self::default() }
    }

    /// The storage that serves a location.
    #[must_use]
    pub fn for_location(&self, location: &str) -> &dyn Storage {
        match family(location) {
            "file" => self.local.as_ref(),
            "s3" => self.s3.as_ref(),
            _ => self.other.as_ref(),
        }
    }

    /// Move a directory between two locations of the same storage. Across schemes nothing moves.
    pub async fn rename(&self, from: &str, to: &str) -> Result<bool> {
        if family(from) != family(to) {
            tracing::warn!(from, to, "cannot move data across storage schemes; left in place");
            return Ok(false);
        }
        self.for_location(from).rename(from, to).await
    }

    /// Create a directory.
    pub async fn mkdirs(&self, location: &str) -> Result<()> {
        self.for_location(location).mkdirs(location).await
    }

    /// Whether a location exists.
    pub async fn exists(&self, location: &str) -> Result<bool> {
        self.for_location(location).exists(location).await
    }

    /// Whether a location holds data (a directory with at least one entry).
    pub async fn has_data(&self, location: &str) -> Result<bool> {
        self.for_location(location).has_data(location).await
    }

    /// The files and bytes under a location ([`Storage::quick_stats`]).
    pub async fn quick_stats(&self, location: &str) -> Result<Option<QuickStats>> {
        self.for_location(location).quick_stats(location).await
    }

    /// Delete a directory tree (`strata gc --apply` only).
    pub async fn delete_dir(&self, location: &str) -> Result<bool> {
        self.for_location(location).delete_dir(location).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_locations_map_to_paths() {
        assert_eq!(local_path("file:///a/b"), Some(PathBuf::from("/a/b")));
        assert_eq!(local_path("file:/a/b"), Some(PathBuf::from("/a/b")));
        assert_eq!(local_path("file://localhost/a"), Some(PathBuf::from("/a")));
        assert_eq!(local_path("s3://bucket/a"), None);
    }

    #[tokio::test]
    async fn rename_moves_and_never_overwrites() {
        let root = std::env::temp_dir().join(format!("strata-storage-{}", uuid::Uuid::new_v4()));
        let from = format!("file://{}/t", root.display());
        let to = format!("file://{}/.retained/t/1", root.display());
        let s = Storages::default();
        s.mkdirs(&from).await.unwrap();
        tokio::fs::write(root.join("t/data.parquet"), b"x").await.unwrap();
        assert!(s.rename(&from, &to).await.unwrap());
        assert!(!s.exists(&from).await.unwrap());
        assert!(root.join(".retained/t/1/data.parquet").exists());
        // Nothing to move any more.
        assert!(!s.rename(&from, &to).await.unwrap());
        // Never overwrite an existing destination.
        s.mkdirs(&from).await.unwrap();
        assert!(s.rename(&from, &to).await.is_err());
        assert!(root.join(".retained/t/1/data.parquet").exists());
        tokio::fs::remove_dir_all(&root).await.unwrap();
    }

    #[tokio::test]
    async fn has_data_needs_an_entry() {
        let root = std::env::temp_dir().join(format!("strata-storage-{}", uuid::Uuid::new_v4()));
        let dir = format!("file://{}/p/20240101000000", root.display());
        let s = Storages::default();
        assert!(!s.has_data(&dir).await.unwrap(), "missing");
        s.mkdirs(&dir).await.unwrap();
        assert!(!s.has_data(&dir).await.unwrap(), "empty");
        tokio::fs::write(root.join("p/20240101000000/part-0"), b"x").await.unwrap();
        assert!(s.has_data(&dir).await.unwrap());
        assert!(!s.has_data(&format!("{dir}/part-0")).await.unwrap(), "a file is not a directory of data");
        tokio::fs::remove_dir_all(&root).await.unwrap();
    }

    #[tokio::test]
    async fn quick_stats_count_visible_files_at_any_depth() {
        let root = std::env::temp_dir().join(format!("strata-storage-{}", uuid::Uuid::new_v4()));
        let dir = format!("file://{}/t", root.display());
        let s = Storages::default();
        assert_eq!(s.quick_stats(&dir).await.unwrap(), None, "missing");
        s.mkdirs(&dir).await.unwrap();
        assert_eq!(s.quick_stats(&dir).await.unwrap(), Some(QuickStats::default()), "empty");
        std::fs::create_dir_all(root.join("t/ds=a/20240101000000")).unwrap();
        std::fs::create_dir_all(root.join("t/_temporary/0")).unwrap();
        std::fs::write(root.join("t/part-0"), b"12345").unwrap();
        std::fs::write(root.join("t/ds=a/20240101000000/part-1"), b"123").unwrap();
        std::fs::write(root.join("t/_SUCCESS"), b"").unwrap();
        std::fs::write(root.join("t/.part-0.crc"), b"cc").unwrap();
        std::fs::write(root.join("t/_temporary/0/part-9"), b"123456789").unwrap();
        assert_eq!(s.quick_stats(&dir).await.unwrap(), Some(QuickStats { num_files: 2, total_size: 8 }));
        assert_eq!(s.quick_stats(&format!("{dir}/part-0")).await.unwrap(), None, "a file is not a directory");
        tokio::fs::remove_dir_all(&root).await.unwrap();
    }
}
