//! The public testimonial lists, kept in memory: the hottest request answered without touching
//! the database. An entry is used only while its site has not changed (every moderation
//! decision, submission, author edit or erasure through this instance bumps the site's
//! generation) and for at most [`FRESH_FOR`], which bounds how stale another instance (or a CLI
//! change) can make it.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::storage::{DynStorage, Site, StorageError};

pub const FRESH_FOR: Duration = Duration::from_secs(1);
/// Beyond this many entries the cache starts over: bounded memory whatever the query mix.
const MAX_ENTRIES: usize = 4096;

#[derive(Debug, Clone)]
pub struct Cached {
    pub body: Bytes,
    pub etag: String,
}

struct Entry {
    cached: Cached,
    generation: u64,
    stored_at: Instant,
}

#[derive(Default)]
pub struct PublicCache {
    entries: Mutex<HashMap<(i64, String), Entry>>,
    generations: Mutex<HashMap<i64, u64>>,
}

impl PublicCache {
    /// The site's current generation; read it before loading what will be cached.
    pub fn generation(&self, site_id: i64) -> u64 {
        self.generations
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&site_id)
            .copied()
            .unwrap_or(0)
    }

    /// Something public changed on the site: every cached list of it is out of date.
    pub fn invalidate(&self, site_id: i64) {
        *self
            .generations
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry(site_id)
            .or_insert(0) += 1;
    }

    pub fn get(&self, site_id: i64, query: &str) -> Option<Cached> {
        let generation = self.generation(site_id);
        let entries = self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let entry = entries.get(&(site_id, query.to_owned()))?;
        (entry.generation == generation && entry.stored_at.elapsed() < FRESH_FOR)
            .then(|| entry.cached.clone())
    }

    /// Keeps `body` for the query, as of `generation` (read before the body was loaded, so a
    /// change made meanwhile makes the entry stale at once).
    pub fn put(&self, site_id: i64, query: String, body: Bytes, generation: u64) -> Cached {
        let cached = Cached { etag: etag(&body), body };
        let mut entries = self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(
            (site_id, query),
            Entry { cached: cached.clone(), generation, stored_at: Instant::now() },
        );
        cached
    }
}

/// Sites by slug for the public API, which looks one up on every request (twice: CORS, then
/// the handler). Only found sites are kept, for at most [`FRESH_FOR`], so a site added or
/// changed with the CLI is served within a second, without a restart.
#[derive(Default)]
pub struct SiteCache {
    sites: Mutex<HashMap<String, (Arc<Site>, Instant)>>,
}

impl SiteCache {
    pub async fn site(&self, storage: &DynStorage, slug: &str) -> Result<Option<Arc<Site>>, StorageError> {
        let cached = self.sites.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(slug).cloned();
        if let Some((site, stored_at)) = cached {
            if stored_at.elapsed() < FRESH_FOR {
                return Ok(Some(site));
            }
        }
        let Some(site) = storage.site_by_slug(slug).await? else { return Ok(None) };
        let site = Arc::new(site);
        let mut sites = self.sites.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if sites.len() >= MAX_ENTRIES {
            sites.clear();
        }
        sites.insert(slug.to_owned(), (site.clone(), Instant::now()));
        Ok(Some(site))
    }

    /// The site's settings changed through this instance.
    pub fn forget(&self, slug: &str) {
        self.sites.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(slug);
    }
}

/// A strong validator for the exact bytes.
pub fn etag(body: &[u8]) -> String {
    let mut hasher = DefaultHasher::new();
    body.hash(&mut hasher);
    format!("\"{:016x}{:04x}\"", hasher.finish(), body.len() % 0x10000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_serve_until_their_site_changes() {
        let cache = PublicCache::default();
        let generation = cache.generation(1);
        let put = cache.put(1, "q".into(), Bytes::from_static(b"[1]"), generation);
        assert_eq!(cache.get(1, "q").map(|c| c.etag), Some(put.etag));
        assert!(cache.get(1, "other").is_none() && cache.get(2, "q").is_none());
        cache.invalidate(2);
        assert!(cache.get(1, "q").is_some(), "another site's change leaves it");
        cache.invalidate(1);
        assert!(cache.get(1, "q").is_none());
    }

    #[test]
    fn a_change_during_the_load_spoils_the_entry() {
        let cache = PublicCache::default();
        let generation = cache.generation(1);
        cache.invalidate(1); // a moderation decision lands while the list is being read
        cache.put(1, "q".into(), Bytes::from_static(b"old"), generation);
        assert!(cache.get(1, "q").is_none());
    }

    // No exact value is pinned: std does not promise `DefaultHasher`'s output across Rust
    // releases, and a toolchain upgrade that changes it only costs clients one full response.
    // What must hold on every toolchain is checked instead: a valid strong ETag, one that
    // depends on the content only (not on where it lies in memory, nor on a per-call key), and
    // different tags for different bodies.
    #[test]
    fn etags_follow_the_bytes() {
        let tag = etag(b"[{\"id\":\"a\"}]");
        // RFC 9110's strong entity-tag: no `W/`, quoted, visible ASCII but `"` inside; at least
        // 64 bits' worth of hex so unrelated bodies do not meet by chance.
        let opaque = tag.strip_prefix('"').and_then(|rest| rest.strip_suffix('"'));
        assert!(
            opaque.is_some_and(|opaque| opaque.len() >= 16
                && opaque.bytes().all(|byte| byte.is_ascii_graphic() && byte != b'"')),
            "a strong, quoted entity-tag: {tag}"
        );

        // Two live buffers: equal bytes at different addresses.
        let here = b"[{\"id\":\"a\"}]".to_vec();
        let there: Vec<u8> = "[{\"id\":\"a\"}]".bytes().collect();
        assert_eq!(etag(&here), etag(&there));
        assert_eq!(etag(&here), tag);

        let bodies: [&[u8]; 7] = [b"", b"\0", b"abc", b"abd", b"cba", b"abc\0", b"abcabc"];
        let tags: std::collections::HashSet<String> = bodies.iter().map(|body| etag(body)).collect();
        assert_eq!(tags.len(), bodies.len(), "every body its own tag: {tags:?}");
    }
}
