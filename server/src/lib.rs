//! The Fanfare server: HTTP API, storage and command line, as one library so that `main` stays
//! thin and tests reach everything.

pub mod actions;
pub mod admin;
pub mod assets;
pub mod cache;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod config;
pub mod copy;
pub mod data_rights;
pub mod demo;
pub mod domain;
pub mod error;
pub mod extract;
pub mod limits;
pub mod metrics;
pub mod notify;
pub mod photos;
pub mod pow;
pub mod referrals;
pub mod routes;
pub mod secrets;
pub mod startup;
pub mod state;
pub mod storage;
pub mod testing;
pub mod texts;
