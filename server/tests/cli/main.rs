//! The `fanfare` binary as an operator uses it: fresh databases, a server running beside the CLI.

mod data;
mod helpers;
mod invitations;
mod secret_key;
mod sites_and_settings;
mod webhooks;
