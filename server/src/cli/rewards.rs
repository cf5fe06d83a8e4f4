//! `fanfare coupons …`: the codes referral rewards are paid in.

use std::path::Path;

use anyhow::Context;

use super::{find_site, CouponCommand};
use crate::service::{Actor, Service, ServiceError};

pub(super) async fn coupons(service: &Service, command: CouponCommand) -> anyhow::Result<()> {
    match command {
        CouponCommand::Add { site, file } => {
            let site = find_site(service, &site).await?;
            let text = read(&file)?;
            let added =
                service.add_coupons(&site, Actor::CommandLine, &text).await.map_err(|error| match error {
                    ServiceError::Invalid(fields) => anyhow::anyhow!(
                        "{}: {}",
                        file.display(),
                        fields.get("codes").map_or("is not a list of codes", String::as_str)
                    ),
                    other => anyhow::Error::new(other),
                })?;
            let counts = service.coupon_counts(&site).await?;
            println!(
                "added {} codes to {} ({} were already there); {} unused codes in the pool",
                added.added, site.slug, added.already_there, counts.unused
            );
            Ok(())
        }
        CouponCommand::List { site } => {
            let site = find_site(service, &site).await?;
            let counts = service.coupon_counts(&site).await?;
            println!("{}: {} unused codes, {} handed out", site.slug, counts.unused, counts.used);
            Ok(())
        }
    }
}

fn read(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path)
        .with_context(|| format!("reading {} (one coupon code per line, UTF-8)", path.display()))
}
