//! API tests: the real server on a loopback port, a fresh SQLite file per test.
//! One binary for all of them, so they link once.

// A panic is how a test reports; helpers unwrap like test bodies do.
#![allow(clippy::unwrap_used)]

mod abuse;
mod assets;
mod collection;
mod cors;
mod dashboard;
mod dashboard_sessions;
mod data_at_rest;
mod embed;
mod exports;
mod helpers;
mod invitations;
mod keep_alive;
mod manage;
mod moderation;
mod notifications;
mod openapi;
mod overview;
mod referrals;
mod rewards;
mod testimonials;
mod uploads;
mod videos;
mod webhooks;
