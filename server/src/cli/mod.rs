//! The `fanfare` command line: each command opens (and migrates) the database, then calls the
//! service operation it names. Output meant for people goes to stdout; logs go to stderr.

mod args;
pub mod demo;
mod invitations;
mod progress;
mod rewards;

use std::io::{BufRead, Write};
use std::sync::Arc;

use anyhow::{bail, Context};
use futures_util::TryStreamExt;

pub use self::args::{
    Cli, Command, CouponCommand, DemoArgs, KeyCommand, PrivateNetworks, ServeArgs, SiteCommand, SiteSettings,
    TokenCommand, UserCommand, WebhookCommand,
};
use self::progress::Bar;
use crate::config::{self, FileSettings, ServerSettings};
use crate::domain::{IpCidr, Role};
use crate::secrets::SecretKey;
use crate::service::data_rights::ExportFormat;
use crate::service::notify::email::MailSettings;
use crate::service::sites::{NewSiteInput, SettingsInput};
use crate::service::{Actor, AnotherKey, Service, ServiceError, ServiceSettings};
use crate::startup;
use crate::storage::{self, copy, DynStorage, Site};

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let mut file = FileSettings::load(cli.config.as_deref())?;
    let default_database = match cli.command {
        Command::Demo(_) => config::DEFAULT_DEMO_DATABASE_URL,
        _ => config::DEFAULT_DATABASE_URL,
    };
    let database_url = cli.database.or(file.database.clone()).unwrap_or_else(|| default_database.to_owned());
    // Resolved once, here, where the database is known; every command reads it from `file`.
    file.media_url =
        Some(config::media_location(cli.media_url.as_deref(), &file, &database_url)?.to_string());
    // Copies move the database as it is, sealed values included: they need no key.
    if let Command::Copy { to, to_media_url } = &cli.command {
        let reports = copy::copy(&database_url, to, &Bar::on_stderr()).await?;
        for report in reports {
            println!("{:<20} {:>8} rows, {:>8} newly copied", report.table, report.rows, report.copied);
        }
        let from = media_of(&file)?;
        if let Some(target) = to_media_url {
            let target = storage::media::MediaLocation::parse(target)
                .map_err(|problem| anyhow::anyhow!("--to-media-url: {problem}"))?;
            if target != from {
                let source = storage::open(&database_url).await?;
                let (from, to) =
                    (storage::media::MediaStore::open(&from)?, storage::media::MediaStore::open(&target)?);
                let objects = copy::copy_media(&source, &from, &to, &Bar::on_stderr()).await?;
                println!("copied {objects} media objects from {} to {}", from.location(), to.location());
            }
        }
        println!(
            "copied {} to {}: every table has the same number of rows",
            storage::redact_url(&database_url),
            storage::redact_url(to)
        );
        return Ok(());
    }
    // Read before the database is opened: without a key, nothing is touched. Backups copy the
    // database as it is and need none.
    let secret_key = match &cli.command {
        Command::Backup { .. } => None,
        _ => {
            let env = |name: &str| std::env::var(name).ok();
            let source =
                config::secret_key_source(cli.secret_key_file.as_deref(), env, &file, &database_url)?;
            Some(config::load_secret_key(&source)?)
        }
    };
    let storage = storage::connect(&database_url)
        .await
        .with_context(|| format!("opening database {}", storage::redact_url(&database_url)))?;
    let Some(loaded) = secret_key else {
        return match cli.command {
            Command::Backup { path } => backup(&storage, &path).await,
            _ => bail!("only `fanfare backup` runs without the secret key"),
        };
    };

    let created = loaded.created.clone();
    let outcome = command(cli.command, storage, &file, loaded.key).await;
    match (outcome, created) {
        // A key file made just now for a database sealed under another key is the wrong one:
        // it goes again, and the operator is told where the right one belongs.
        (Err(error), Some(path)) if error.chain().any(|cause| cause.is::<AnotherKey>()) => {
            let _ = std::fs::remove_file(&path);
            Err(error.context(format!(
                "no key file was beside this database, so {} was made and removed again; put the \
                 key file of the database this one came from (a backup or a copy) there",
                path.display()
            )))
        }
        (outcome, _) => outcome,
    }
}

/// Runs one command that needs the service, sealing under `secret_key`.
async fn command(
    command: Command,
    storage: DynStorage,
    file: &FileSettings,
    secret_key: SecretKey,
) -> anyhow::Result<()> {
    match command {
        Command::Serve(args) => {
            let settings = server_settings(&args, file, secret_key)?;
            let app = startup::Application::build(storage, &settings).await?;
            tracing::info!(addr = %app.addr(), public_url = app.public_url(), "fanfare is serving");
            app.run_until(startup::shutdown_signal()).await.context("serving HTTP")
        }
        Command::Demo(args) => {
            let settings = server_settings(&args.serve, file, secret_key)?;
            let site_addr =
                config::parse_addr(args.site_addr.as_deref().unwrap_or(config::DEFAULT_DEMO_SITE_ADDR))?;
            demo::run(storage, settings, site_addr).await
        }
        Command::Copy { .. } | Command::Backup { .. } => bail!("handled above"),
        Command::Site(command) => {
            site(&open_service(storage, file, &secret_key, PrivateNetworks::default()).await?, command).await
        }
        Command::User(UserCommand::Add { email, site, role, password_stdin }) => {
            let password = if password_stdin { Some(read_password()?) } else { None };
            let role: Role = role.parse().map_err(anyhow::Error::msg)?;
            let service = open_service(storage, file, &secret_key, PrivateNetworks::default()).await?;
            let site = find_site(&service, &site).await?;
            let user = service
                .add_member(&site, Actor::CommandLine, &email, role, password)
                .await
                .map_err(|error| refused(error, &email))?;
            println!("{} is now {role} of {}", user.email, site.slug);
            Ok(())
        }
        Command::Token(TokenCommand::Create { user }) => {
            let service = open_service(storage, file, &secret_key, PrivateNetworks::default()).await?;
            let token = service.create_token_for(&user).await.map_err(|error| match error {
                ServiceError::NotFound(_) => {
                    anyhow::anyhow!("no user {user:?}; add one with `fanfare user add`")
                }
                other => refused(other, &user),
            })?;
            println!("API token for {user} (shown once; store it now):");
            println!("{token}");
            Ok(())
        }
        Command::Webhook(command) => webhook(storage, file, &secret_key, command).await,
        Command::Coupons(command) => {
            let service = open_service(storage, file, &secret_key, PrivateNetworks::default()).await?;
            rewards::coupons(&service, command).await
        }
        Command::Key(command) => {
            let service = open_service(storage, file, &secret_key, PrivateNetworks::default()).await?;
            invitations::key(&service, command).await
        }
        Command::Invite { site, file: path, dry_run } => {
            let service = open_service(storage, file, &secret_key, PrivateNetworks::default()).await?;
            invitations::invite(&service, &site, &path, dry_run).await
        }
        Command::Export { site, format, output } => {
            let service = open_service(storage, file, &secret_key, PrivateNetworks::default()).await?;
            let site = find_site(&service, &site).await?;
            let format = match format.as_str() {
                "csv" => ExportFormat::Csv,
                // clap admits only json and csv.
                _ => ExportFormat::Json,
            };
            let Some(path) = output else {
                // A page at a time, each written as it comes: constant memory for any site.
                let mut pieces = service.export(&site, format, Arc::new(Bar::beside_stdout()));
                let mut stdout = std::io::stdout().lock();
                while let Some(piece) = pieces.try_next().await? {
                    stdout.write_all(&piece).context("writing to standard output")?;
                }
                return stdout.flush().context("writing to standard output");
            };
            // The bar is gone before the summary is printed.
            let summary = service.export_to(&site, format, &path, &Bar::on_stderr()).await?;
            // JSON to a file carries the photos and videos too, as files beside it; a CSV file
            // is the table alone, written without a word.
            if format == ExportFormat::Json {
                match &summary.media_dir {
                    Some(dir) => println!(
                        "wrote {} testimonials to {} and {} photo and video files to {}",
                        summary.testimonials,
                        path.display(),
                        summary.media_files,
                        dir.display()
                    ),
                    None => println!("wrote {} testimonials to {}", summary.testimonials, path.display()),
                }
            }
            Ok(())
        }
        Command::Import { site, file: path } => {
            let service = open_service(storage, file, &secret_key, PrivateNetworks::default()).await?;
            let site = find_site(&service, &site).await?;
            let content =
                std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
            // Photos and videos are files beside the export, named relative to its folder.
            let base =
                path.parent()
                    .map(|dir| if dir.as_os_str().is_empty() { std::path::Path::new(".") } else { dir });
            let report = service.import(&site, &content, base, &Bar::on_stderr()).await?;
            if report.with_new_ids == 0 {
                println!(
                    "imported {} testimonials into {} ({} already present, left unchanged)",
                    report.imported, site.slug, report.skipped
                );
            } else {
                println!(
                    "imported {} testimonials into {}, {} of them as new items with new ids (their ids \
                     belong to another site); {} already present, left unchanged",
                    report.imported, site.slug, report.with_new_ids, report.skipped
                );
            }
            Ok(())
        }
        Command::Erase { site, email } => {
            let service = open_service(storage, file, &secret_key, PrivateNetworks::default()).await?;
            let site = find_site(&service, &site).await?;
            let removed = service
                .erase(&site, Actor::CommandLine, &email)
                .await
                .map_err(|error| refused(error, &email))?;
            println!("erased {removed} testimonials from {email} on {}", site.slug);
            Ok(())
        }
    }
}

/// `fanfare backup PATH`: the database as it is, sealed values included.
async fn backup(storage: &DynStorage, path: &std::path::Path) -> anyhow::Result<()> {
    if path.exists() {
        bail!("{} already exists; choose a new file name", path.display());
    }
    storage.backup(path).await.with_context(|| format!("writing the backup to {}", path.display()))?;
    println!("backup written to {}", path.display());
    Ok(())
}

/// The service for a command that works on the data (no mail, no rate limits: whoever runs the
/// command already holds the database). `private_networks`: the command's own flag (none given
/// for commands without one), then `fanfare.toml`.
async fn open_service(
    storage: DynStorage,
    file: &FileSettings,
    secret_key: &SecretKey,
    private_networks: PrivateNetworks,
) -> anyhow::Result<Service> {
    let public_url = file.public_url.as_deref().map(config::parse_public_url).transpose()?;
    let settings = ServiceSettings {
        media: media_of(file)?,
        public_url: public_url.unwrap_or_else(|| format!("http://{}", config::DEFAULT_ADDR)),
        mail: None,
        rate_limits: false,
        allow_private_network_webhooks: private_networks.allowed(file.allow_private_network_webhooks),
        secret_key: secret_key.clone(),
    };
    Service::open(storage, &settings).await
}

/// The media location `run` resolved into `file`.
fn media_of(file: &FileSettings) -> anyhow::Result<storage::media::MediaLocation> {
    config::media_location(None, file, config::DEFAULT_DATABASE_URL)
}

/// A refusal in the command line's words: each refused field as the flag that carries it.
fn refused(error: ServiceError, value: &str) -> anyhow::Error {
    match error {
        ServiceError::Invalid(fields) => {
            let sentences: Vec<String> = fields
                .iter()
                .map(|(field, message)| {
                    let subject = match field.as_str() {
                        "email" | "slug" | "url" => format!("{field} {value:?}"),
                        "password" => "the password".to_owned(),
                        flag => format!("--{}", flag.replace('_', "-").replace("origins", "origin")),
                    };
                    // Some sentences name what they refuse themselves ("origin \"x\" must …").
                    if message.starts_with("must") || message.starts_with("is ") {
                        format!("{subject} {message}")
                    } else {
                        format!("{subject}: {message}")
                    }
                })
                .collect();
            anyhow::anyhow!(sentences.join("; "))
        }
        other => anyhow::Error::new(other),
    }
}

pub fn server_settings(
    args: &crate::cli::ServeArgs,
    file: &FileSettings,
    secret_key: SecretKey,
) -> anyhow::Result<ServerSettings> {
    let addr = args.addr.clone().or(file.addr.clone()).unwrap_or_else(|| config::DEFAULT_ADDR.to_owned());
    let public_url = args
        .public_url
        .clone()
        .or(file.public_url.clone())
        .map(|url| config::parse_public_url(&url))
        .transpose()?;
    let smtp_url = args.smtp_url.clone().or(file.smtp_url.clone());
    let mail_from = args.mail_from.clone().or(file.mail_from.clone());
    let mail = match (smtp_url, mail_from) {
        (Some(smtp_url), Some(from)) => Some(MailSettings { smtp_url, from }),
        (None, None) => None,
        (Some(_), None) => bail!("--smtp-url needs --mail-from (FANFARE_MAIL_FROM), the sender address"),
        (None, Some(_)) => {
            bail!("--mail-from needs --smtp-url (FANFARE_SMTP_URL), the server to send through")
        }
    };
    Ok(ServerSettings {
        public_url,
        widget_dir: args
            .widget_dir
            .clone()
            .or(file.widget_dir.clone())
            .unwrap_or_else(config::default_widget_dir),
        mail,
        rate_limits: match args.rate_limits.clone().or(file.rate_limits.clone()).as_deref() {
            None | Some("on") => true,
            Some("off") => false,
            Some(other) => bail!("--rate-limits (FANFARE_RATE_LIMITS) must be on or off, not {other:?}"),
        },
        trusted_proxies: {
            let listed = if args.trusted_proxies.is_empty() {
                file.trusted_proxies.clone().unwrap_or_default()
            } else {
                args.trusted_proxies.clone()
            };
            listed
                .iter()
                .map(|raw| IpCidr::parse(raw).map_err(anyhow::Error::msg))
                .collect::<anyhow::Result<_>>()?
        },
        allow_private_network_webhooks: args.private_networks.allowed(file.allow_private_network_webhooks),
        ..ServerSettings::new(config::parse_addr(&addr)?, secret_key, media_of(file)?)
    })
}

async fn site(service: &Service, command: SiteCommand) -> anyhow::Result<()> {
    match command {
        SiteCommand::Add { slug, name, origins, consent_text } => {
            let input = NewSiteInput {
                slug: &slug,
                name: &name,
                origins: origins.iter().map(String::as_str).collect(),
                consent_text: consent_text.as_deref(),
            };
            let site = service.create_site(input).await.map_err(|error| refused(error, &slug))?;
            println!("added site {} ({}) for {}", site.slug, site.name, site.origins.join(", "));
            Ok(())
        }
        SiteCommand::List => {
            for site in service.sites().await? {
                println!("{}\t{}\t{}", site.slug, site.name, site.origins.join(" "));
            }
            Ok(())
        }
        SiteCommand::Set(settings) => {
            let SiteSettings {
                slug,
                name,
                origins,
                accent,
                consent_text,
                low_rating_threshold,
                referral_attribution,
                structured_data,
                invitation_reminder_days,
                invitation_daily_cap,
                stripe_signing_secret,
                reward_every,
                reward_hold_days,
                reward_min_amount,
                friend_coupon,
                reward_payout,
            } = *settings;
            let site = find_site(service, &slug).await?;
            let threshold = low_rating_threshold.map(|stars| stars.to_string());
            let input = SettingsInput {
                name: name.as_deref(),
                origins: (!origins.is_empty()).then(|| origins.iter().map(String::as_str).collect()),
                accent: accent.as_deref(),
                consent_text: consent_text.as_deref(),
                low_rating_threshold: threshold.as_deref(),
                referral_attribution: referral_attribution.as_deref(),
                structured_data: structured_data.as_deref(),
                invitation_reminder_days: invitation_reminder_days.as_deref(),
                invitation_daily_cap: invitation_daily_cap.as_deref(),
                stripe_signing_secret: stripe_signing_secret.as_deref(),
                reward_every: reward_every.as_deref(),
                reward_hold_days: reward_hold_days.as_deref(),
                reward_min_amount: reward_min_amount.as_deref(),
                friend_coupon: friend_coupon.as_deref(),
                reward_payout: reward_payout.as_deref(),
                ..SettingsInput::default()
            };
            let site = service
                .change_site(&site, Actor::CommandLine, input)
                .await
                .map_err(|error| refused(error, &slug))?;
            println!("updated site {} ({}) for {}", site.slug, site.name, site.origins.join(", "));
            Ok(())
        }
    }
}

async fn webhook(
    storage: DynStorage,
    file: &FileSettings,
    secret_key: &SecretKey,
    command: WebhookCommand,
) -> anyhow::Result<()> {
    match command {
        WebhookCommand::Add { site, url, private_networks } => {
            let service = open_service(storage, file, secret_key, private_networks).await?;
            let site = find_site(&service, &site).await?;
            let webhook = service
                .add_webhook(&site, Actor::CommandLine, &url)
                .await
                .map_err(|error| refused(error, &url))?;
            println!("added webhook {} to {} for {}", webhook.webhook.id, site.slug, webhook.webhook.url);
            println!("signing secret (also on the site's Webhooks page, for owners):");
            println!("{}", webhook.secret);
            Ok(())
        }
        WebhookCommand::List { site } => {
            let service = open_service(storage, file, secret_key, PrivateNetworks::default()).await?;
            let sites = match site {
                Some(slug) => vec![find_site(&service, &slug).await?],
                None => service.sites().await?,
            };
            for site in sites {
                for owned in service.webhooks(&site).await? {
                    println!("{}\t{}\t{}", owned.webhook.id, site.slug, owned.webhook.url);
                }
            }
            Ok(())
        }
        WebhookCommand::Remove { site, id } => {
            let service = open_service(storage, file, secret_key, PrivateNetworks::default()).await?;
            let site = find_site(&service, &site).await?;
            service.remove_webhook(&site, Actor::CommandLine, id).await.map_err(|error| match error {
                ServiceError::NotFound(_) => {
                    anyhow::anyhow!("site {} has no webhook {id}; see `fanfare webhook list`", site.slug)
                }
                other => anyhow::Error::new(other),
            })?;
            println!("removed webhook {id} from {}", site.slug);
            Ok(())
        }
    }
}

pub(crate) async fn find_site(service: &Service, slug: &str) -> anyhow::Result<Site> {
    service.find_site(slug).await.map_err(|error| match error {
        ServiceError::NotFound(_) => anyhow::anyhow!("no site {slug:?}; see `fanfare site list`"),
        other => anyhow::Error::new(other),
    })
}

fn read_password() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).context("reading the password from standard input")?;
    Ok(line.trim_end_matches(['\n', '\r']).to_owned())
}
