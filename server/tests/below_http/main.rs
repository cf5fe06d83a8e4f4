//! Tests below HTTP: the storage contract every backend must keep, and the service's
//! operations with their side effects. One binary for both (one link on 2 cores); run on the
//! backend `FANFARE_TEST_BACKEND` names, so `cargo xtask test` runs it on SQLite and PostgreSQL.

// A panic is how a test reports; helpers unwrap like test bodies do.
#![allow(clippy::unwrap_used)]

mod export;
mod leaderboard;
mod media;
mod rewards;
mod search;
mod service;
mod storage;
mod summary;
mod world;
