//! The public testimonial lists, kept in memory: the hottest request answered without touching
//! the database. An entry is used only while its site has not changed (every moderation
//! decision, submission, author edit or erasure through this instance bumps the site's
//! generation) and for about [`FRESH_FOR`], which bounds how stale another instance (or a CLI
//! change) can make it when the announcement of a change cannot reach this one (see
//! `service::instances`): after that, one request loads a fresh copy while the others are still
//! served the aged one.

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
    /// Since when one request has been loading a fresh copy of this aged entry.
    refreshing_since: Option<Instant>,
}

/// What the cache has for a query.
#[derive(Debug)]
pub enum Lookup {
    /// Current: serve it.
    Hit(Cached),
    /// Nothing current: the caller loads it (and `put`s it).
    Load,
}

#[derive(Default)]
pub struct PublicCache {
    entries: Mutex<HashMap<(i64, String), Entry>>,
    generations: Mutex<Generations>,
}

/// A site's generation is `every_site + its own`: both only grow, so any change makes every
/// entry stored before it stale, even one whose loading was under way.
#[derive(Default)]
struct Generations {
    every_site: u64,
    by_site: HashMap<i64, u64>,
}

impl PublicCache {
    /// The site's current generation; read it before loading what will be cached.
    pub fn generation(&self, site_id: i64) -> u64 {
        let generations = self.generations.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        generations.every_site + generations.by_site.get(&site_id).copied().unwrap_or(0)
    }

    /// Anything may have changed: nothing cached so far is used again.
    pub fn clear(&self) {
        self.generations.lock().unwrap_or_else(std::sync::PoisonError::into_inner).every_site += 1;
        self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clear();
    }

    /// Something public changed on the site: every cached list of it is out of date.
    pub fn invalidate(&self, site_id: i64) {
        *self
            .generations
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .by_site
            .entry(site_id)
            .or_insert(0) += 1;
    }

    /// The entry for the query, if current. Aged past [`FRESH_FOR`] while its site did not
    /// change, the first caller is told to load a fresh one and the others are served the aged
    /// copy meanwhile: busy lists are refreshed once, not by every request that arrives during
    /// the refresh. A change to the site always makes the caller load.
    pub fn get(&self, site_id: i64, query: &str) -> Lookup {
        self.get_at(site_id, query, Instant::now())
    }

    fn get_at(&self, site_id: i64, query: &str, now: Instant) -> Lookup {
        let generation = self.generation(site_id);
        let mut entries = self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let Some(entry) = entries.get_mut(&(site_id, query.to_owned())) else { return Lookup::Load };
        if entry.generation != generation {
            return Lookup::Load;
        }
        if now.saturating_duration_since(entry.stored_at) < FRESH_FOR {
            return Lookup::Hit(entry.cached.clone());
        }
        // A refresh that has not landed within FRESH_FOR (its load failed) is taken over.
        match entry.refreshing_since {
            Some(since) if now.saturating_duration_since(since) < FRESH_FOR => {
                Lookup::Hit(entry.cached.clone())
            }
            _ => {
                entry.refreshing_since = Some(now);
                Lookup::Load
            }
        }
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
            Entry { cached: cached.clone(), generation, stored_at: Instant::now(), refreshing_since: None },
        );
        cached
    }
}

/// Sites by slug for the public API, which looks one up on every request (twice: CORS, then
/// the handler). Only found sites are kept, for about [`FRESH_FOR`], so a site added or changed
/// with the CLI is served within a second, without a restart; as with the lists, one request
/// reloads an aged site while the others go on with it.
#[derive(Default)]
pub struct SiteCache {
    sites: Mutex<HashMap<String, KeptSite>>,
}

#[derive(Clone)]
struct KeptSite {
    site: Arc<Site>,
    stored_at: Instant,
    refreshing_since: Option<Instant>,
}

impl SiteCache {
    pub async fn site(&self, storage: &DynStorage, slug: &str) -> Result<Option<Arc<Site>>, StorageError> {
        if let Some(site) = self.current(slug, Instant::now()) {
            return Ok(Some(site));
        }
        let Some(site) = storage.site_by_slug(slug).await? else {
            self.sites.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(slug);
            return Ok(None);
        };
        let site = Arc::new(site);
        let mut sites = self.sites.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if sites.len() >= MAX_ENTRIES {
            sites.clear();
        }
        let kept = KeptSite { site: site.clone(), stored_at: Instant::now(), refreshing_since: None };
        sites.insert(slug.to_owned(), kept);
        Ok(Some(site))
    }

    /// The kept site, unless the caller is the one to load it (none kept, or aged and nobody
    /// else reloading it).
    fn current(&self, slug: &str, now: Instant) -> Option<Arc<Site>> {
        let mut sites = self.sites.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let kept = sites.get_mut(slug)?;
        if now.saturating_duration_since(kept.stored_at) < FRESH_FOR {
            return Some(kept.site.clone());
        }
        match kept.refreshing_since {
            Some(since) if now.saturating_duration_since(since) < FRESH_FOR => Some(kept.site.clone()),
            _ => {
                kept.refreshing_since = Some(now);
                None
            }
        }
    }

    /// The site's settings changed through this instance.
    pub fn forget(&self, slug: &str) {
        self.sites.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(slug);
    }

    /// The site's settings changed through another instance, which names it by id.
    pub fn forget_id(&self, site_id: i64) {
        self.sites
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .retain(|_, kept| kept.site.id != site_id);
    }

    pub fn clear(&self) {
        self.sites.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clear();
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
        assert!(matches!(cache.get(1, "q"), Lookup::Hit(hit) if hit.etag == put.etag));
        assert!(matches!(cache.get(1, "other"), Lookup::Load) && matches!(cache.get(2, "q"), Lookup::Load));
        cache.invalidate(2);
        assert!(matches!(cache.get(1, "q"), Lookup::Hit(_)), "another site's change leaves it");
        cache.invalidate(1);
        assert!(matches!(cache.get(1, "q"), Lookup::Load));
    }

    #[test]
    fn an_aged_entry_is_loaded_again_by_one_request_while_the_others_are_served() {
        let cache = PublicCache::default();
        cache.put(1, "q".into(), Bytes::from_static(b"[1]"), cache.generation(1));
        let aged = Instant::now() + FRESH_FOR;
        assert!(matches!(cache.get_at(1, "q", aged), Lookup::Load), "the first to find it aged loads");
        for _ in 0..3 {
            assert!(matches!(cache.get_at(1, "q", aged), Lookup::Hit(_)), "the others are served meanwhile");
        }
        // A load that never landed (the database failed) is taken over after FRESH_FOR.
        assert!(matches!(cache.get_at(1, "q", aged + FRESH_FOR), Lookup::Load));
        // Aged or not, a change to the site is never served.
        cache.invalidate(1);
        assert!(matches!(cache.get_at(1, "q", aged), Lookup::Load));
    }

    #[test]
    fn an_aged_site_is_reloaded_by_one_request_while_the_others_keep_it() {
        let cache = SiteCache::default();
        let kept =
            KeptSite { site: Arc::new(Site::example()), stored_at: Instant::now(), refreshing_since: None };
        cache.sites.lock().unwrap().insert("acme".into(), kept);
        assert!(cache.current("acme", Instant::now()).is_some());
        let aged = Instant::now() + FRESH_FOR;
        assert!(cache.current("acme", aged).is_none(), "the first to find it aged reloads");
        assert!(cache.current("acme", aged).is_some(), "the others keep it meanwhile");
        assert!(
            cache.current("acme", aged + FRESH_FOR).is_none(),
            "a reload that never landed is taken over"
        );
        assert!(cache.current("globex", aged).is_none());
    }

    #[test]
    fn a_change_during_the_load_spoils_the_entry() {
        let cache = PublicCache::default();
        let generation = cache.generation(1);
        cache.invalidate(1); // a moderation decision lands while the list is being read
        cache.put(1, "q".into(), Bytes::from_static(b"old"), generation);
        assert!(matches!(cache.get(1, "q"), Lookup::Load));
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
