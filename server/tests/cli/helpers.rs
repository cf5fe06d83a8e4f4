//! The binary and its databases as the tests drive them.

use std::io::Write;
use std::process::{Child, Command, Output, Stdio};

use fanfare_server::storage::{self, Backend, Site};
use fanfare_server::testing::{backend_from_env, TestDatabase};

pub struct Cli {
    pub dir: tempfile::TempDir,
    /// SQLite or PostgreSQL, as `FANFARE_TEST_BACKEND` says.
    pub database: TestDatabase,
}

impl Cli {
    pub fn new() -> Self {
        // Tests here are sync or async; a thread of its own may block on the setup either way.
        let database = std::thread::spawn(|| {
            let runtime =
                tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
            runtime.block_on(TestDatabase::create()).expect("a fresh database")
        })
        .join()
        .expect("the database setup finished");
        Self { dir: tempfile::tempdir().expect("a temporary directory"), database }
    }

    pub fn database(&self) -> String {
        self.database.url.clone()
    }

    /// The site as stored now, read beside the CLI.
    pub fn site(&self, slug: &str) -> Site {
        let (url, slug) = (self.database(), slug.to_owned());
        std::thread::spawn(move || {
            let runtime =
                tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
            runtime.block_on(async {
                let storage = storage::connect(&url).await.expect("the database opens");
                storage.site_by_slug(&slug).await.expect("the site is read").expect("the site exists")
            })
        })
        .join()
        .expect("the site was read")
    }

    /// The service over this database and its media, as `fanfare` opens it.
    pub async fn service(&self) -> fanfare_server::service::Service {
        let storage = storage::connect(&self.database()).await.expect("the database opens");
        let settings = fanfare_server::service::ServiceSettings {
            public_url: "http://127.0.0.1:9".into(),
            mail: None,
            rate_limits: false,
            allow_private_network_webhooks: false,
            secret_key: self.database.secret_key.clone(),
            media: self.database.media(),
        };
        fanfare_server::service::Service::open(storage, &settings).await.expect("the service opens")
    }

    /// [`everything_at_rest`] in this database, from sync tests too.
    pub fn at_rest(&self) -> String {
        let url = self.database();
        std::thread::spawn(move || {
            let runtime =
                tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
            runtime.block_on(everything_at_rest(&url))
        })
        .join()
        .expect("the tables were read")
    }

    pub fn command(&self) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_fanfare"));
        command
            .current_dir(self.dir.path())
            .env_remove("FANFARE_DATABASE_URL")
            .env_remove("FANFARE_ALLOW_PRIVATE_NETWORK_WEBHOOKS")
            .env_remove("FANFARE_SECRET_KEY")
            .env_remove("FANFARE_SECRET_KEY_FILE")
            .env_remove("FANFARE_MEDIA_URL")
            .env("FANFARE_LOG", "warn");
        // SQLite finds its key and media beside the database (the test database wrote the key
        // there, as the first start would); PostgreSQL has no such place and is given both.
        if backend_from_env() == Backend::Postgres {
            for (name, value) in [self.database.secret_key_env(), self.database.media_env()] {
                command.env(name, value);
            }
        }
        command
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command().arg("--database").arg(self.database()).args(args).output().expect("fanfare runs")
    }

    pub fn ok(&self, args: &[&str]) -> String {
        let output = self.run(args);
        assert!(
            output.status.success(),
            "fanfare {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).expect("utf-8 output")
    }

    pub fn fails(&self, args: &[&str]) -> String {
        let output = self.run(args);
        assert!(!output.status.success(), "fanfare {args:?} should fail");
        String::from_utf8(output.stderr).expect("utf-8 output")
    }

    /// `fanfare site add SLUG --name … --origin ORIGIN`, which must succeed.
    pub fn add_site(&self, slug: &str, origin: &str) {
        self.ok(&["site", "add", slug, "--name", &format!("{slug} shop"), "--origin", origin]);
    }

    /// `fanfare user add … --password-stdin` with `password` typed on standard input.
    pub fn add_user_with_password(&self, email: &str, site: &str, password: &str) -> Output {
        let mut child = self
            .command()
            .args(["user", "add", email, "--site", site, "--password-stdin", "--database", &self.database()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("fanfare runs");
        child
            .stdin
            .take()
            .expect("a stdin pipe")
            .write_all(format!("{password}\n").as_bytes())
            .expect("typing");
        child.wait_with_output().expect("fanfare finishes")
    }

    pub fn serve(&self) -> Server {
        self.serve_with(&[])
    }

    /// `fanfare serve` on a free loopback port, with `extra` flags.
    pub fn serve_with(&self, extra: &[&str]) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free loopback port")
            .port();
        let child = self
            .command()
            .args(["serve", "--addr", &format!("127.0.0.1:{port}"), "--database", &self.database()])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the server starts");
        Server { child, url: format!("http://127.0.0.1:{port}") }
    }
}

pub struct Server {
    pub child: Child,
    pub url: String,
}

impl Server {
    pub async fn ready(&self) {
        for _ in 0..200 {
            if reqwest::get(format!("{}/healthz", self.url)).await.is_ok_and(|r| r.status().is_success()) {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("the server at {} never became ready", self.url);
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Every value of every table, one line per row, as the database holds them.
pub async fn everything_at_rest(database: &str) -> String {
    fanfare_server::testing::everything_at_rest(database).await.expect("every table reads")
}
