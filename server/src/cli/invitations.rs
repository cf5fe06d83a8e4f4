//! `fanfare key …` and `fanfare invite`: what a business's own systems and a CSV of last week's
//! buyers need.

use std::path::Path;

use anyhow::{bail, Context};

use super::{find_site, Bar, KeyCommand};
use crate::clock::rfc3339;
use crate::service::invitations::{csv, InviteReport};
use crate::service::{Actor, Service, ServiceError};
use crate::storage::Invitation;

pub(super) async fn key(service: &Service, command: KeyCommand) -> anyhow::Result<()> {
    match command {
        KeyCommand::Create { site, label } => {
            let site = find_site(service, &site).await?;
            let created = service.create_site_key(&site, Actor::CommandLine, &label).await.map_err(
                |error| match error {
                    ServiceError::Invalid(fields) => anyhow::anyhow!(
                        "--label {}",
                        fields.get("label").map_or("is not valid", String::as_str)
                    ),
                    other => anyhow::Error::new(other),
                },
            )?;
            println!(
                "site key {} ({}) for {}: it can invite customers and record conversions, nothing else.",
                created.key.id, created.key.label, site.slug
            );
            println!("Shown once; send it as `Authorization: Bearer <key>`:");
            println!("{}", created.secret);
            Ok(())
        }
        KeyCommand::List { site } => {
            let site = find_site(service, &site).await?;
            for key in service.site_keys(&site).await? {
                let state = match key.revoked_at {
                    Some(at) => format!("revoked {}", rfc3339(at)),
                    None => key
                        .last_used_at
                        .map_or("never used".to_owned(), |at| format!("last used {}", rfc3339(at))),
                };
                println!("{}\t…{}\t{}\t{}", key.id, key.hint, key.label, state);
            }
            Ok(())
        }
        KeyCommand::Revoke { site, id } => {
            let site = find_site(service, &site).await?;
            service.revoke_site_key(&site, Actor::CommandLine, id).await.map_err(|error| match error {
                ServiceError::NotFound(_) => anyhow::anyhow!(
                    "site {} has no active key {id}; see `fanfare key list --site {}`",
                    site.slug,
                    site.slug
                ),
                other => anyhow::Error::new(other),
            })?;
            println!("revoked site key {id} of {}: it is refused from now on", site.slug);
            Ok(())
        }
    }
}

pub(super) async fn invite(service: &Service, site: &str, path: &Path, dry_run: bool) -> anyhow::Result<()> {
    let site = find_site(service, site).await?;
    let text = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let text = match String::from_utf8(text) {
        Ok(text) => text,
        Err(error) => {
            let bytes = error.as_bytes();
            let line =
                1 + bytes[..error.utf8_error().valid_up_to()].iter().filter(|byte| **byte == b'\n').count();
            bail!(
                "{}: line {line} is not UTF-8 text; save the file as \"CSV UTF-8\" (nothing was queued)",
                path.display()
            );
        }
    };
    let checked = match csv::read(&text) {
        Ok(checked) => checked,
        Err(errors) => {
            for error in &errors {
                eprintln!("{}: {error}", path.display());
            }
            bail!("{} has {} error(s); nothing was queued", path.display(), errors.len());
        }
    };
    let report =
        service.invite_checked(&site, Actor::CommandLine, checked, dry_run, &Bar::on_stderr()).await?;
    print_report(&report, dry_run);
    Ok(())
}

fn print_report(report: &InviteReport, dry_run: bool) {
    let line = |what: &str, invitation: &Invitation| {
        let name = invitation.name.as_deref().unwrap_or("");
        println!("{what}\t{}\t{name}\t{}", invitation.email, invitation.tags.join(" "));
    };
    for invitation in &report.queued {
        line(if dry_run { "would invite" } else { "queued" }, invitation);
    }
    for invitation in &report.already_invited {
        line("already invited", invitation);
    }
    for invitation in &report.unsubscribed {
        line("unsubscribed", invitation);
    }
    let (queued, again, off) = (report.queued.len(), report.already_invited.len(), report.unsubscribed.len());
    if dry_run {
        println!(
            "dry run, nothing stored or sent: {queued} would be invited, {again} were invited within 30 days, \
             {off} unsubscribed from this site"
        );
    } else {
        println!(
            "{queued} invitation(s) queued (the running server sends them within a minute), {again} already \
             invited within 30 days (left as they are), {off} unsubscribed from this site (never emailed)"
        );
    }
}
