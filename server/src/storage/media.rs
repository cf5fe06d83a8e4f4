//! The media store: the bytes of photos and videos (and of videos still arriving in parts) as
//! objects, in a directory by default or in S3-compatible object storage, which several
//! instances can share. What is known about each object (whose, what kind, how long) is a row in
//! the database (`media`); the bytes never are.
//!
//! Both kinds sit behind `object_store`'s one trait, so every operation here is written once.

use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::stream::BoxStream;
use futures_util::{StreamExt, TryStreamExt};
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::prefix::PrefixStore;
use object_store::{GetOptions, GetRange, ObjectStore, ObjectStoreExt, PutPayload};

use super::StorageError;

/// An object's bytes as they arrive.
pub type ByteStream = BoxStream<'static, Result<Bytes, StorageError>>;

/// Where media live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaLocation {
    /// A directory on this machine (created when missing).
    Directory(PathBuf),
    /// `s3://BUCKET/PREFIX`. Credentials, region and endpoint come from the usual `AWS_*`
    /// variables (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`, `AWS_ENDPOINT_URL`,
    /// `AWS_ALLOW_HTTP`), then from `settings` (object_store's names, e.g. `aws_endpoint`).
    S3 { url: String, settings: Vec<(String, String)> },
}

impl MediaLocation {
    /// `s3://bucket/prefix`, `file:///dir` or a plain directory path.
    pub fn parse(value: &str) -> Result<Self, String> {
        let value = value.trim();
        if value.is_empty() {
            return Err("the media location is empty: give a directory or s3://bucket/prefix".into());
        }
        if let Some(rest) = value.strip_prefix("s3://") {
            if rest.split('/').next().is_none_or(str::is_empty) {
                return Err(format!("{value} names no bucket: use s3://bucket/prefix"));
            }
            return Ok(Self::S3 { url: value.to_owned(), settings: Vec::new() });
        }
        if let Some(path) = value.strip_prefix("file://") {
            return Ok(Self::Directory(PathBuf::from(path)));
        }
        if value.contains("://") {
            return Err(format!("{value}: media go in a directory or in s3://bucket/prefix"));
        }
        Ok(Self::Directory(PathBuf::from(value)))
    }
}

impl std::fmt::Display for MediaLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Directory(path) => write!(f, "{}", path.display()),
            Self::S3 { url, .. } => f.write_str(url),
        }
    }
}

/// The open store. Cheap to clone.
#[derive(Clone)]
pub struct MediaStore {
    objects: Arc<dyn ObjectStore>,
    location: Arc<MediaLocation>,
}

impl std::fmt::Debug for MediaStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MediaStore({})", self.location)
    }
}

impl MediaStore {
    /// Opens the store; a directory is created when missing. Nothing is contacted: a bucket
    /// that cannot be reached fails at the first read or write.
    pub fn open(location: &MediaLocation) -> Result<Self, StorageError> {
        let objects: Arc<dyn ObjectStore> = match location {
            MediaLocation::Directory(dir) => {
                std::fs::create_dir_all(dir).map_err(|error| {
                    StorageError::Media(format!("creating the media directory {}: {error}", dir.display()))
                })?;
                Arc::new(LocalFileSystem::new_with_prefix(dir).map_err(media_error)?)
            }
            MediaLocation::S3 { url, settings } => {
                let mut builder = AmazonS3Builder::from_env().with_url(url.as_str());
                for (key, value) in settings {
                    let key: AmazonS3ConfigKey = key.parse().map_err(media_error)?;
                    builder = builder.with_config(key, value);
                }
                let bucket = builder.build().map_err(media_error)?;
                let prefix = url.trim_start_matches("s3://").split_once('/').map_or("", |(_, prefix)| prefix);
                let prefix = prefix.trim_matches('/');
                if prefix.is_empty() {
                    Arc::new(bucket)
                } else {
                    Arc::new(PrefixStore::new(bucket, prefix))
                }
            }
        };
        Ok(Self { objects, location: Arc::new(location.clone()) })
    }

    pub fn location(&self) -> &MediaLocation {
        &self.location
    }

    pub async fn put(&self, key: &str, bytes: Bytes) -> Result<(), StorageError> {
        self.objects.put(&ObjectPath::from(key), PutPayload::from_bytes(bytes)).await.map_err(media_error)?;
        Ok(())
    }

    /// The whole object, or `None` when there is none.
    pub async fn get(&self, key: &str) -> Result<Option<Bytes>, StorageError> {
        match self.objects.get(&ObjectPath::from(key)).await {
            Ok(found) => Ok(Some(found.bytes().await.map_err(media_error)?)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(error) => Err(media_error(error)),
        }
    }

    /// Part of an object (`range` within its size, which the caller knows from its record).
    pub async fn get_range(&self, key: &str, range: Range<u64>) -> Result<Option<Bytes>, StorageError> {
        match self.objects.get_range(&ObjectPath::from(key), range).await {
            Ok(bytes) => Ok(Some(bytes)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(error) => Err(media_error(error)),
        }
    }

    /// An object's bytes, all or a range, as they arrive from the store (a video is not held in
    /// memory to be served).
    pub async fn read(
        &self,
        key: &str,
        range: Option<Range<u64>>,
    ) -> Result<Option<ByteStream>, StorageError> {
        let options = GetOptions { range: range.map(GetRange::Bounded), ..GetOptions::default() };
        match self.objects.get_opts(&ObjectPath::from(key), options).await {
            Ok(found) => Ok(Some(found.into_stream().map_err(media_error).boxed())),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(error) => Err(media_error(error)),
        }
    }

    /// Removes an object; one already gone is not an error.
    pub async fn delete(&self, key: &str) -> Result<(), StorageError> {
        match self.objects.delete(&ObjectPath::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(error) => Err(media_error(error)),
        }
    }

    /// The keys of every object under `prefix` (a "directory" of keys, without a trailing `/`).
    pub async fn keys_under(&self, prefix: &str) -> Result<Vec<String>, StorageError> {
        let listed: Vec<_> =
            self.objects.list(Some(&ObjectPath::from(prefix))).try_collect().await.map_err(media_error)?;
        let mut keys: Vec<String> = listed.into_iter().map(|meta| meta.location.to_string()).collect();
        keys.sort();
        Ok(keys)
    }
}

fn media_error(error: object_store::Error) -> StorageError {
    StorageError::Media(error.to_string())
}

/// Where each object lives: under its site, so that a site's media can be listed together.
pub mod keys {
    /// The id of the database whose media a store holds (see `Service::open`).
    pub const OWNER: &str = "fanfare-media-owner";

    pub fn object(site_id: i64, id: &str, extension: &str) -> String {
        format!("sites/{site_id}/{id}.{extension}")
    }

    pub fn poster(site_id: i64, id: &str) -> String {
        format!("sites/{site_id}/{id}.poster.jpg")
    }

    /// The parts of a video still arriving.
    pub fn parts(site_id: i64, id: &str) -> String {
        format!("sites/{site_id}/{id}.parts")
    }

    pub fn part(site_id: i64, id: &str, index: u32) -> String {
        format!("{}/{index:05}", parts(site_id, id))
    }

    /// The index of a part from its key.
    pub fn part_index(key: &str) -> Option<u32> {
        key.rsplit('/').next()?.parse().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_are_a_directory_or_a_bucket() {
        assert_eq!(MediaLocation::parse("media").unwrap(), MediaLocation::Directory("media".into()));
        assert_eq!(
            MediaLocation::parse("file:///var/fanfare").unwrap(),
            MediaLocation::Directory("/var/fanfare".into())
        );
        assert_eq!(
            MediaLocation::parse("s3://bucket/fanfare/media").unwrap(),
            MediaLocation::S3 { url: "s3://bucket/fanfare/media".into(), settings: vec![] }
        );
        for bad in ["", "s3://", "s3:///prefix", "https://example.com/media"] {
            assert!(MediaLocation::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn part_keys_read_back_their_index() {
        let key = keys::part(7, "abc", 12);
        assert_eq!(key, "sites/7/abc.parts/00012");
        assert_eq!(keys::part_index(&key), Some(12));
        assert_eq!(keys::part_index("sites/7/abc.parts/x"), None);
    }

    #[tokio::test]
    async fn a_directory_store_keeps_reads_ranges_lists_and_deletes() {
        let dir = tempfile::tempdir().unwrap();
        let store = MediaStore::open(&MediaLocation::Directory(dir.path().join("new"))).unwrap();
        store.put("sites/1/a.webm", Bytes::from_static(b"0123456789")).await.unwrap();
        store.put("sites/1/b.parts/00001", Bytes::from_static(b"x")).await.unwrap();
        store.put("sites/1/b.parts/00000", Bytes::from_static(b"y")).await.unwrap();
        assert_eq!(store.get("sites/1/a.webm").await.unwrap().unwrap(), &b"0123456789"[..]);
        assert_eq!(store.get_range("sites/1/a.webm", 2..5).await.unwrap().unwrap(), &b"234"[..]);
        assert_eq!(
            store.keys_under("sites/1/b.parts").await.unwrap(),
            ["sites/1/b.parts/00000", "sites/1/b.parts/00001"]
        );
        store.delete("sites/1/a.webm").await.unwrap();
        store.delete("sites/1/a.webm").await.unwrap();
        assert_eq!(store.get("sites/1/a.webm").await.unwrap(), None);
        assert_eq!(store.keys_under("sites/9").await.unwrap(), Vec::<String>::new());
    }
}
