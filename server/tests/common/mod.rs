//! Running the real `fanfare` binary from tests: one-off commands, and servers that are
//! stopped (and reaped) however the test ends.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fanfare_server::testing::TestDatabase;

/// The `fanfare` binary on the database at `url`, sealing under `key_of`'s key: SQLite finds it
/// beside the file (the test database wrote it there); PostgreSQL has no such place and is
/// given it in the environment.
pub fn command(url: &str, key_of: &TestDatabase) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_fanfare"));
    command
        .env("FANFARE_LOG", "warn")
        .env_remove("FANFARE_SECRET_KEY")
        .env_remove("FANFARE_SECRET_KEY_FILE")
        .env_remove("FANFARE_MEDIA_URL");
    // SQLite finds its key and media beside the file; PostgreSQL gets them from the environment.
    if url.starts_with("postgres") {
        for (name, value) in [key_of.secret_key_env(), key_of.media_env()] {
            command.env(name, value);
        }
    }
    command.arg("--database").arg(url);
    command
}

/// `fanfare --database DATABASE ARGS…`, which must succeed; its standard output.
pub fn ok(database: &TestDatabase, args: &[&str]) -> String {
    succeeded(command(&database.url, database).args(args))
}

/// Runs `command`, which must succeed; its standard output.
pub fn succeeded(command: &mut Command) -> String {
    let output = command.output().expect("fanfare runs");
    assert!(output.status.success(), "{command:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).expect("utf-8")
}

pub struct Server {
    pub child: Child,
    pub url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("a free port").local_addr().expect("its address").port()
}

/// `fanfare serve` on `port` with extra environment, once it answers `/healthz`.
pub async fn serve(database: &TestDatabase, port: u16, env: &[(&str, &str)]) -> Server {
    let child = command(&database.url, database)
        .envs(env.iter().copied())
        .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("fanfare serve starts");
    // Owned at once, so the process is reaped however this ends.
    let server = Server { child, url: format!("http://127.0.0.1:{port}") };
    for _ in 0..200 {
        if reqwest::get(format!("{}/healthz", server.url)).await.is_ok_and(|r| r.status().is_success()) {
            return server;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("fanfare serve on {} did not come up", server.url);
}
