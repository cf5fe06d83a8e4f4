//! Widget reach, counted in memory per site and day and added to the database about once a
//! minute, so the public list's hot path never writes: a count per site and day, nothing about
//! who asked.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::storage::{ReachCount, DAY_MS};

/// What was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    /// A first page of the JSON list.
    List,
    /// A first page of a server-rendered mode.
    Fragment,
    /// Asked for by a page of this server itself (the Embed page's preview): not a showing.
    OwnPage,
}

/// Counts since the last [`ReachCounter::take`].
#[derive(Default)]
pub struct ReachCounter {
    counts: Mutex<HashMap<(i64, i64), ReachCount>>,
    storing: tokio::sync::Mutex<()>,
}

impl ReachCounter {
    pub fn count(&self, site_id: i64, seen: Seen, now: i64) {
        if seen == Seen::OwnPage {
            return;
        }
        let day = now.div_euclid(DAY_MS);
        let mut counts = self.counts.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let entry =
            counts.entry((site_id, day)).or_insert(ReachCount { site_id, day, ..ReachCount::default() });
        match seen {
            Seen::List => entry.list += 1,
            Seen::Fragment => entry.fragment += 1,
            Seen::OwnPage => {}
        }
    }

    /// Held while counts are on their way to the database.
    pub async fn storing(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.storing.lock().await
    }

    /// Everything counted so far, leaving nothing behind.
    pub fn take(&self) -> Vec<ReachCount> {
        let mut counts = self.counts.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        counts.drain().map(|(_, count)| count).collect()
    }

    /// Counts that could not be stored, kept for the next try.
    pub fn give_back(&self, taken: Vec<ReachCount>) {
        let mut counts = self.counts.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        for back in taken {
            let entry =
                counts.entry((back.site_id, back.day)).or_insert(ReachCount { list: 0, fragment: 0, ..back });
            entry.list += back.list;
            entry.fragment += back.fragment;
        }
    }

    /// One site's counts not stored yet, by day.
    pub fn pending(&self, site_id: i64) -> Vec<ReachCount> {
        let counts = self.counts.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        counts.values().filter(|count| count.site_id == site_id).copied().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_by_site_and_day_and_survive_a_failed_store() {
        let counter = ReachCounter::default();
        let monday = 20_000 * DAY_MS;
        counter.count(1, Seen::List, monday);
        counter.count(1, Seen::List, monday + DAY_MS - 1);
        counter.count(1, Seen::Fragment, monday + DAY_MS);
        counter.count(2, Seen::List, monday);
        counter.count(1, Seen::OwnPage, monday);
        let mut pending = counter.pending(1);
        pending.sort_by_key(|count| count.day);
        assert_eq!(
            pending,
            [
                ReachCount { site_id: 1, day: 20_000, list: 2, fragment: 0 },
                ReachCount { site_id: 1, day: 20_001, list: 0, fragment: 1 },
            ]
        );
        let taken = counter.take();
        assert_eq!(taken.len(), 3);
        assert!(counter.pending(1).is_empty());
        counter.count(1, Seen::List, monday);
        counter.give_back(taken);
        let today = counter.pending(1).into_iter().find(|count| count.day == 20_000);
        assert_eq!(today.map(|count| count.list), Some(3));
    }
}
