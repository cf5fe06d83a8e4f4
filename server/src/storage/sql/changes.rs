//! Announcements between instances: PostgreSQL's `NOTIFY`, heard on one `LISTEN` connection per
//! instance. A notification is delivered when the announcing transaction commits, to every
//! connection listening at that moment; one sent while a listener was away is lost, so a
//! listener that had to reconnect reports [`Change::Unknown`].

use std::time::Duration;

use async_trait::async_trait;
use sqlx::postgres::PgListener;
use tokio::sync::mpsc;

use super::{Backend, SqlStorage};
use crate::storage::{Change, ChangeStore, StorageError};

const CHANNEL: &str = "fanfare_changes";
/// Between attempts to get the listening connection back.
const RECONNECT_AFTER: Duration = Duration::from_secs(1);

#[async_trait]
impl ChangeStore for SqlStorage {
    async fn announce(&self, sender: &str, change: Change) -> Result<(), StorageError> {
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(CHANNEL)
                .bind(change.encode(sender))
                .execute(&self.pool)
                .await?;
        }
        Ok(())
    }

    async fn follow_changes(&self, me: &str) -> Result<Option<mpsc::Receiver<Change>>, StorageError> {
        if self.backend != Backend::Postgres {
            return Ok(None);
        }
        // Listening before this returns: whatever is announced from now on is heard.
        let listener = listen(&self.url).await?;
        let (changes, heard) = mpsc::channel(256);
        tokio::spawn(relay(listener, self.url.clone(), me.to_owned(), changes));
        Ok(Some(heard))
    }
}

async fn listen(url: &str) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect(url).await?;
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

/// Passes on what other instances announce until nobody follows any more. Whenever the
/// connection was lost it is listening again before [`Change::Unknown`] is passed on, so nothing
/// announced after that report can be missed.
async fn relay(mut listener: PgListener, url: String, me: String, changes: mpsc::Sender<Change>) {
    loop {
        let heard = match listener.try_recv().await {
            Ok(Some(notification)) => match Change::decode(notification.payload()) {
                Some((sender, _)) if sender == me => continue,
                Some((_, change)) => change,
                None => {
                    tracing::debug!(
                        payload = notification.payload(),
                        "an announcement this version does not know"
                    );
                    continue;
                }
            },
            // Lost, and already listening again on a new connection (sqlx reconnects eagerly).
            Ok(None) => {
                tracing::warn!("the connection that hears other instances' changes was lost and is back");
                Change::Unknown
            }
            Err(error) => {
                tracing::warn!(%error, "the connection that hears other instances' changes failed; reconnecting");
                listener = loop {
                    if changes.is_closed() {
                        return;
                    }
                    tokio::time::sleep(RECONNECT_AFTER).await;
                    match listen(&url).await {
                        Ok(listener) => break listener,
                        Err(error) => {
                            tracing::warn!(%error, "cannot listen for other instances' changes yet")
                        }
                    }
                };
                Change::Unknown
            }
        };
        if changes.send(heard).await.is_err() {
            return;
        }
    }
}
