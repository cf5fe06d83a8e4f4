//! Changes to what the public sees, told between server instances that share one database, so
//! each can drop its in-memory copies at once instead of waiting for them to age out.

use async_trait::async_trait;
use tokio::sync::mpsc;

use super::StorageError;

/// What another instance changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// The public lists of this site (a decision, a submission published at once, an edit,
    /// an erasure).
    Published { site_id: i64 },
    /// The site's own settings.
    Settings { site_id: i64 },
    /// Announcements may have been missed (the connection that hears them was lost and is
    /// back): anything may have changed.
    Unknown,
}

impl Change {
    /// The text sent over the database, prefixed with the sender so an instance can skip its own.
    pub(crate) fn encode(self, sender: &str) -> String {
        match self {
            Change::Published { site_id } => format!("{sender} published {site_id}"),
            Change::Settings { site_id } => format!("{sender} settings {site_id}"),
            Change::Unknown => format!("{sender} unknown"),
        }
    }

    /// The change and who sent it, or `None` for a message this version does not know.
    pub(crate) fn decode(text: &str) -> Option<(&str, Change)> {
        let mut words = text.split(' ');
        let sender = words.next()?;
        let change = match (words.next()?, words.next()) {
            ("published", Some(id)) => Change::Published { site_id: id.parse().ok()? },
            ("settings", Some(id)) => Change::Settings { site_id: id.parse().ok()? },
            ("unknown", None) => Change::Unknown,
            _ => return None,
        };
        words.next().is_none().then_some((sender, change))
    }
}

#[async_trait]
pub trait ChangeStore: Send + Sync {
    /// Tells every other instance on this database about `change` (on SQLite, which serves one
    /// instance, nobody to tell). `sender` names this instance.
    async fn announce(&self, sender: &str, change: Change) -> Result<(), StorageError>;

    /// Changes other instances announce, as they arrive, until the receiver is dropped; `None`
    /// on a backend with no one to hear from. The sender's own announcements are skipped.
    async fn follow_changes(&self, me: &str) -> Result<Option<mpsc::Receiver<Change>>, StorageError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_reads_back_as_sent() {
        for change in [Change::Published { site_id: 7 }, Change::Settings { site_id: 12 }, Change::Unknown] {
            let text = change.encode("a1b2");
            assert_eq!(Change::decode(&text), Some(("a1b2", change)), "{text}");
        }
    }

    #[test]
    fn unknown_or_malformed_messages_are_ignored() {
        for text in [
            "",
            "a1b2",
            "a1b2 published",
            "a1b2 published x",
            "a1b2 renamed 3",
            "a1b2 unknown 3",
            "a published 1 2",
        ] {
            assert_eq!(Change::decode(text), None, "{text:?}");
        }
    }
}
