//! Running the real `fanfare` binary from tests: one-off commands, and servers that are
//! stopped (and reaped) however the test ends.

use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

/// `fanfare --database DATABASE ARGS…`, run to completion.
pub fn fanfare(database: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fanfare"))
        .env("FANFARE_LOG", "warn")
        .arg("--database")
        .arg(database)
        .args(args)
        .output()
        .expect("fanfare runs")
}

/// [`fanfare`] that must succeed; its standard output.
pub fn ok(database: &str, args: &[&str]) -> String {
    let output = fanfare(database, args);
    assert!(output.status.success(), "fanfare {args:?}: {}", String::from_utf8_lossy(&output.stderr));
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
pub async fn serve(database: &str, port: u16, env: &[(&str, &str)]) -> Server {
    let child = Command::new(env!("CARGO_BIN_EXE_fanfare"))
        .env("FANFARE_LOG", "warn")
        .envs(env.iter().copied())
        .args(["--database", database, "serve", "--addr", &format!("127.0.0.1:{port}")])
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
