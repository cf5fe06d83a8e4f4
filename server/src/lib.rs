//! The Fanfare server: HTTP API, dashboard, storage and command line, as one library so that
//! `main` stays thin and tests reach everything.
//!
//! Four layers, each importing only the ones below it:
//!
//! - [`cli`]: the `fanfare` commands, the demo and their wording;
//! - [`web`]: HTTP: the public and moderation APIs, dashboard pages, extractors, the one error
//!   type and its mapping to responses;
//! - [`service`]: what the product does (submit, edit, withdraw, moderate, referrals, sites,
//!   accounts, data rights); each operation owns its side effects (cache, audit, notifications,
//!   metrics), so no caller can forget one;
//! - [`storage`]: the storage traits and their SQL.
//!
//! Beneath them all: values parsed once at the edge ([`domain`]), time ([`clock`]), random
//! secrets ([`secrets`]), the widget's texts ([`texts`]) and how far long work has come
//! ([`progress`]). [`config`] and [`startup`] wire the layers into a running server.

pub mod cli;
pub mod clock;
pub mod config;
pub mod domain;
pub mod progress;
pub mod secrets;
pub mod service;
pub mod startup;
pub mod storage;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod texts;
#[cfg(any(test, feature = "testing"))]
pub mod video_samples;
pub mod web;
