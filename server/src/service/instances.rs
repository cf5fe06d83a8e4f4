//! Several instances on one database (PostgreSQL): each keeps public lists and sites in memory
//! (see [`super::cache`]), so a change made through one must reach the others' memory. Every
//! operation that changes what the public sees calls [`Service::published_changed`], which drops
//! this instance's copies and announces the change through the database; each instance hears the
//! others' announcements (`LISTEN`) and drops its copies too. What cannot be heard (SQLite, a
//! lost connection) is still bounded by [`super::cache::FRESH_FOR`].

use tokio::sync::mpsc;

use super::Service;
use crate::storage::{Change, Site};

impl Service {
    /// The site's public lists changed: forgotten here now, and by the other instances as soon
    /// as they hear of it.
    pub(crate) async fn published_changed(&self, site_id: i64) {
        self.public_cache.invalidate(site_id);
        self.announce(Change::Published { site_id }).await;
    }

    /// The site's settings changed (texts and theme shape its fragments too).
    pub(crate) async fn settings_changed(&self, site: &Site) {
        self.sites.forget(&site.slug);
        self.public_cache.invalidate(site.id);
        self.announce(Change::Settings { site_id: site.id }).await;
    }

    async fn announce(&self, change: Change) {
        // The change itself is stored: a lost announcement only delays the others by FRESH_FOR.
        if let Err(error) = self.storage.announce(&self.instance, change).await {
            tracing::warn!(%error, ?change, "cannot announce a change to the other instances");
        }
    }

    /// Starts hearing what other instances change, before this one serves anything; `false`
    /// when the database tells nobody (SQLite) or cannot (then copies age out as before).
    pub async fn follow_other_instances(&self) -> bool {
        match self.storage.follow_changes(&self.instance).await {
            Ok(Some(heard)) => {
                tokio::spawn(self.clone().apply_changes(heard));
                true
            }
            Ok(None) => false,
            Err(error) => {
                tracing::warn!(
                    %error,
                    "cannot listen for other instances' changes: a change made through another instance \
                     shows here within a second"
                );
                false
            }
        }
    }

    async fn apply_changes(self, mut heard: mpsc::Receiver<Change>) {
        while let Some(change) = heard.recv().await {
            match change {
                Change::Published { site_id } => self.public_cache.invalidate(site_id),
                Change::Settings { site_id } => {
                    self.sites.forget_id(site_id);
                    self.public_cache.invalidate(site_id);
                }
                Change::Unknown => {
                    self.sites.clear();
                    self.public_cache.clear();
                }
            }
        }
    }
}
