//! The secrets the server must use again (its email-link key, webhook signing secrets) are
//! sealed at rest under the operator's key; this is where they are sealed and opened, and where
//! a database from before sealing is brought up to date.

use anyhow::Context;

use crate::secrets::{self, SecretKey};
use crate::storage::{DynStorage, StoredSecret, DEMO_SEEDED, MEDIA_OWNER, SECRET_KEY_CHECK};

/// The refusal when the key is not the one the database was sealed with.
#[derive(Debug, thiserror::Error)]
#[error(
    "this database was sealed with a different secret key: give the key it was first started with \
     (--secret-key-file, FANFARE_SECRET_KEY_FILE, FANFARE_SECRET_KEY or secret_key_file in \
     fanfare.toml); nothing was changed"
)]
pub struct AnotherKey;

/// The `server_keys` row of the key that signs email links and proof-of-work challenges.
const LINK_KEY: &str = "email-links";
/// What a webhook secret is sealed for, so a sealed value cannot be moved to another use.
const WEBHOOK_SECRET: &str = "webhook secret";
/// What a site's Stripe signing secret is sealed for.
const STRIPE_SECRET: &str = "stripe signing secret";

fn server_key_purpose(name: &str) -> String {
    format!("server key {name}")
}

/// Checks that `key` is the key this database was sealed with (the first start records it),
/// seals what an older version left in plain text, and returns the email-link key, opened.
/// With another key it refuses before changing anything.
pub(super) async fn prepare(storage: &DynStorage, key: &SecretKey) -> anyhow::Result<Vec<u8>> {
    let check = key.check_value();
    let recorded =
        storage.server_key(SECRET_KEY_CHECK, &check).await.context("reading the secret key's check value")?;
    if !secrets::same_secret(&recorded, &check) {
        return Err(AnotherKey.into());
    }
    let sealed = storage
        .seal_in_place(&|stored| match stored {
            StoredSecret::ServerKey { name, .. }
                if name == SECRET_KEY_CHECK || name == MEDIA_OWNER || name == DEMO_SEEDED =>
            {
                None
            }
            StoredSecret::ServerKey { value, .. } | StoredSecret::Webhook { secret: value, .. }
                if SecretKey::is_sealed(value) =>
            {
                None
            }
            StoredSecret::ServerKey { name, value } => Some(key.seal(&server_key_purpose(name), value)),
            StoredSecret::Webhook { secret, .. } => Some(seal_webhook_secret(key, secret)),
        })
        .await
        .context("sealing the secrets stored in plain text by an earlier version")?;
    if sealed > 0 {
        tracing::info!(rows = sealed, "sealed secrets an earlier version stored in plain text");
    }
    let purpose = server_key_purpose(LINK_KEY);
    let stored = storage
        .server_key(LINK_KEY, &key.seal(&purpose, &secrets::random_key()))
        .await
        .context("reading the key that signs email links")?;
    let link_key = key
        .open(&purpose, &stored)
        .context("the stored key that signs email links does not open under the secret key")?;
    Ok(link_key.into_bytes())
}

/// A webhook's signing secret as it is stored.
pub(super) fn seal_webhook_secret(key: &SecretKey, secret: &str) -> String {
    key.seal(WEBHOOK_SECRET, secret)
}

/// A stored webhook secret, opened; `None` if it was not sealed under `key`.
pub(super) fn open_webhook_secret(key: &SecretKey, sealed: &str) -> Option<String> {
    key.open(WEBHOOK_SECRET, sealed)
}

/// A site's Stripe signing secret as it is stored.
pub(super) fn seal_stripe_secret(key: &SecretKey, secret: &str) -> String {
    key.seal(STRIPE_SECRET, secret)
}

/// A stored Stripe signing secret, opened; `None` if it was not sealed under `key`.
pub(super) fn open_stripe_secret(key: &SecretKey, sealed: &str) -> Option<String> {
    key.open(STRIPE_SECRET, sealed)
}
