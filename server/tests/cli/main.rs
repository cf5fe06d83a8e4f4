//! The `fanfare` binary as an operator uses it: fresh databases, a server running beside the CLI.

// A panic is how a test reports; helpers unwrap like test bodies do.
#![allow(clippy::unwrap_used)]

mod data;
mod helpers;
mod invitations;
mod long_commands;
mod media;
mod rewards;
mod secret_key;
mod sites_and_settings;
mod webhooks;
