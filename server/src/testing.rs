//! Throwaway databases for tests, on either backend. The test suites pick the backend from
//! `FANFARE_TEST_BACKEND` (`sqlite`, the default, or `postgres`), so one suite runs on both;
//! `cargo xtask test` runs it once per backend.

use std::path::PathBuf;

use anyhow::Context;
use sqlx::any::AnyPoolOptions;
use sqlx::Executor;

use crate::secrets::{self, SecretKey};
use crate::storage::media::MediaLocation;
use crate::storage::Backend;

/// The PostgreSQL server tests use: `FANFARE_TEST_POSTGRES_URL`, else the local one.
pub fn postgres_admin_url() -> String {
    std::env::var("FANFARE_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// An HTTP client for talking to a server with `timeouts`: it lets go of an idle connection
/// before the server does. hyper closes a keep-alive connection that brings no new request
/// within the header timeout, and a client that picks the connection up just then sends its
/// request into a closing socket (`IncompleteMessage`): a test that idled about that long
/// between two requests (slow inserts on a loaded machine) failed that way.
pub fn http_client(timeouts: &crate::config::Timeouts) -> reqwest::ClientBuilder {
    reqwest::Client::builder().pool_idle_timeout(timeouts.header_read / 2)
}

/// A new testimonial of `site` as tests store it below the service (which builds records for
/// the product): the one literal of a record the test suites write; change a field with
/// `..new_testimonial(…)`.
pub fn new_testimonial(
    site: &crate::storage::Site,
    status: fanfare_protocol::api::Status,
    rating: u8,
    created_at: i64,
) -> crate::storage::NewTestimonialRecord {
    crate::storage::NewTestimonialRecord {
        id: secrets::testimonial_id(),
        site_id: site.id,
        name: "Ada Lovelace".into(),
        email: "ada@example.com".into(),
        role: None,
        company: None,
        rating,
        text: "The beans arrive fresh.".into(),
        consent: true,
        consent_text: Some(site.consent_text.clone()),
        consent_version: Some(site.consent_version),
        photo_id: None,
        video_id: None,
        captions: None,
        referral_code: None,
        page_url: None,
        ip_prefix: None,
        follow_up: false,
        contact_me: false,
        status,
        manage_token_hash: secrets::hash_token(&secrets::bearer_token("ffm")),
        verified: false,
        tags: Vec::new(),
        created_at,
        moderated_at: None,
    }
}

/// The backend the suite runs on this time.
pub fn backend_from_env() -> Backend {
    match std::env::var("FANFARE_TEST_BACKEND").as_deref() {
        Ok("postgres") => Backend::Postgres,
        _ => Backend::Sqlite,
    }
}

/// A fresh, empty database that disappears with this value.
pub struct TestDatabase {
    pub url: String,
    /// The key its secrets are sealed under. For SQLite it is also written where `fanfare` looks
    /// when given none (`PATH.key`), so the binary and in-process servers agree with no setup;
    /// PostgreSQL has no such place, so commands get it as `FANFARE_SECRET_KEY` (see
    /// [`Self::secret_key_env`]).
    pub secret_key: SecretKey,
    /// Its media directory, gone with it too. Beside a SQLite file it is where `fanfare` looks
    /// when given none (`PATH.media`); commands on PostgreSQL get it as `FANFARE_MEDIA_URL`.
    pub media_dir: PathBuf,
    cleanup: Cleanup,
}

enum Cleanup {
    File(PathBuf),
    Postgres { admin_url: String, name: String },
}

impl TestDatabase {
    /// A new database on the backend chosen by the environment.
    pub async fn create() -> anyhow::Result<Self> {
        Self::create_on(backend_from_env()).await
    }

    pub async fn create_on(backend: Backend) -> anyhow::Result<Self> {
        let name = format!("fanfare_test_{}", secrets::testimonial_id());
        let media_dir = std::env::temp_dir().join(format!("{name}.db.media"));
        match backend {
            Backend::Sqlite => {
                let path = std::env::temp_dir().join(format!("{name}.db"));
                let secret_key = SecretKey::generate();
                std::fs::write(format!("{}.key", path.display()), secret_key.to_file_text())
                    .context("writing the test database's key file")?;
                Ok(Self {
                    url: format!("sqlite://{}", path.display()),
                    secret_key,
                    media_dir,
                    cleanup: Cleanup::File(path),
                })
            }
            Backend::Postgres => {
                let admin_url = postgres_admin_url();
                sqlx::any::install_default_drivers();
                let admin = AnyPoolOptions::new().max_connections(1).connect(&admin_url).await.with_context(|| {
                    format!("connecting to the test PostgreSQL server {admin_url} (set FANFARE_TEST_POSTGRES_URL)")
                })?;
                admin
                    .execute(format!("CREATE DATABASE {name}").as_str())
                    .await
                    .context("creating a test database")?;
                admin.close().await;
                Ok(Self {
                    url: with_database(&admin_url, &name),
                    secret_key: SecretKey::generate(),
                    media_dir,
                    cleanup: Cleanup::Postgres { admin_url, name },
                })
            }
        }
    }
}

impl TestDatabase {
    /// `FANFARE_SECRET_KEY` and its value, for a `fanfare` command on this database.
    pub fn secret_key_env(&self) -> (&'static str, String) {
        ("FANFARE_SECRET_KEY", self.secret_key.to_file_text().trim_end().to_owned())
    }

    /// Where this database's media are kept, for a server or service on it.
    pub fn media(&self) -> MediaLocation {
        MediaLocation::Directory(self.media_dir.clone())
    }

    /// `FANFARE_MEDIA_URL` and its value, for a `fanfare` command on this database.
    pub fn media_env(&self) -> (&'static str, String) {
        ("FANFARE_MEDIA_URL", self.media_dir.display().to_string())
    }
}

/// `postgres://user@host:port/other?x` with the database name replaced.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(base, query)| (base, Some(query)));
    let server = base.rsplit_once('/').map_or(base, |(server, _)| server);
    match query {
        Some(query) => format!("{server}/{name}?{query}"),
        None => format!("{server}/{name}"),
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.media_dir);
        match &self.cleanup {
            Cleanup::File(path) => {
                for suffix in ["", "-wal", "-shm", ".key"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Cleanup::Postgres { admin_url, name } => {
                // Drop cannot await, and may run inside a runtime: a short-lived thread with its
                // own runtime does the work. FORCE ends the connections a test left open.
                let (admin_url, database) = (admin_url.clone(), name.clone());
                let dropped = std::thread::spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
                    runtime.block_on(async {
                        let admin =
                            AnyPoolOptions::new().max_connections(1).connect(&admin_url).await.ok()?;
                        admin
                            .execute(format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)").as_str())
                            .await
                            .ok()
                    })
                })
                .join();
                if !matches!(dropped, Ok(Some(_))) {
                    eprintln!("could not drop the test database {name}; drop it by hand");
                }
            }
        }
    }
}

/// Every row of every table of the database at `url`, one line a row (`table: cell | cell`),
/// for tests that look for what must not be at rest (a secret, an erased address).
pub async fn everything_at_rest(url: &str) -> anyhow::Result<String> {
    use crate::storage::copy::{dump_table, TABLES};
    let storage = crate::storage::open(url).await.context("opening the test database")?;
    let mut text = String::new();
    for (table, _) in TABLES {
        for row in dump_table(&storage, table).await.with_context(|| format!("reading {table}"))? {
            let cells: Vec<String> = row.into_iter().map(Option::unwrap_or_default).collect();
            text.push_str(&format!("{table}: {}\n", cells.join(" | ")));
        }
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_names_are_swapped_in_urls() {
        assert_eq!(with_database("postgres://u@h:5432/postgres", "t1"), "postgres://u@h:5432/t1");
        assert_eq!(
            with_database("postgres://u@h/postgres?sslmode=disable", "t1"),
            "postgres://u@h/t1?sslmode=disable"
        );
    }
}
