//! What each CLI command does. Output meant for people goes to stdout; logs go to stderr.

use std::io::{BufRead, Write};

use anyhow::{bail, Context};
use argon2::password_hash::{PasswordHasher, SaltString};
use argon2::Argon2;
use fanfare_protocol::fields::Email;

use crate::cli::{Cli, Command, SiteCommand, TokenCommand, UserCommand};
use crate::clock::now_ms;
use crate::config::{self, FileSettings, ServerSettings};
use crate::data_rights::{self, ExportFormat};
use crate::domain::{parse_accent, IpCidr, Origin, Role, SiteSlug};
use crate::notify::email::MailSettings;
use crate::storage::Site;
use crate::storage::{self, DynStorage, NewSite, SiteChanges};
use crate::{copy, demo, secrets, startup};

pub const DEFAULT_CONSENT_TEXT: &str =
    "I agree that my name, role, company, rating and words may be published on this website.";

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let file = FileSettings::load(cli.config.as_deref())?;
    let default_database = match cli.command {
        Command::Demo(_) => config::DEFAULT_DEMO_DATABASE_URL,
        _ => config::DEFAULT_DATABASE_URL,
    };
    let database_url = cli.database.or(file.database.clone()).unwrap_or_else(|| default_database.to_owned());
    let storage = storage::connect(&database_url)
        .await
        .with_context(|| format!("opening database {}", storage::redact_url(&database_url)))?;

    match cli.command {
        Command::Serve(args) => {
            let settings = server_settings(&args, &file)?;
            let app = startup::Application::build(storage, &settings).await?;
            tracing::info!(addr = %app.addr(), public_url = app.public_url(), "fanfare is serving");
            app.run_until(startup::shutdown_signal()).await.context("serving HTTP")
        }
        Command::Demo(args) => {
            let settings = server_settings(&args.serve, &file)?;
            let site_addr =
                config::parse_addr(args.site_addr.as_deref().unwrap_or(config::DEFAULT_DEMO_SITE_ADDR))?;
            demo::run(storage, settings, site_addr).await
        }
        Command::Site(command) => site(storage, command).await,
        Command::User(UserCommand::Add { email, site, role, password_stdin }) => {
            let password = if password_stdin { Some(read_password()?) } else { None };
            let role: Role = role.parse().map_err(anyhow::Error::msg)?;
            let user = add_user(&storage, &email, &site, role, password).await?;
            println!("{} is now {role} of {site}", user.email);
            Ok(())
        }
        Command::Export { site, format, output } => {
            let site = find_site(&storage, &site).await?;
            let bytes = data_rights::export(&storage, &site, ExportFormat::parse(&format)?).await?;
            match output {
                Some(path) => {
                    std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?
                }
                None => std::io::stdout().write_all(&bytes).context("writing to standard output")?,
            }
            Ok(())
        }
        Command::Import { site, file } => {
            let site = find_site(&storage, &site).await?;
            let content =
                std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
            let report = data_rights::import(&storage, &site, &content).await?;
            println!(
                "imported {} testimonials into {} ({} already present, left unchanged)",
                report.imported, site.slug, report.skipped
            );
            Ok(())
        }
        Command::Erase { site, email } => {
            let site = find_site(&storage, &site).await?;
            let removed = data_rights::erase(&storage, &site, &email, "command line", None).await?;
            println!("erased {removed} testimonials from {email} on {}", site.slug);
            Ok(())
        }
        Command::Copy { to } => {
            for report in copy::copy(&database_url, &to).await? {
                println!("{:<20} {:>8} rows, {:>8} newly copied", report.table, report.rows, report.copied);
            }
            println!(
                "copied {} to {}: every table has the same number of rows",
                storage::redact_url(&database_url),
                storage::redact_url(&to)
            );
            Ok(())
        }
        Command::Backup { path } => {
            if path.exists() {
                bail!("{} already exists; choose a new file name", path.display());
            }
            storage
                .backup(&path)
                .await
                .with_context(|| format!("writing the backup to {}", path.display()))?;
            println!("backup written to {}", path.display());
            Ok(())
        }
        Command::Token(TokenCommand::Create { user }) => {
            let token = create_token(&storage, &user).await?;
            println!("API token for {user} (shown once; store it now):");
            println!("{token}");
            Ok(())
        }
    }
}

pub fn server_settings(args: &crate::cli::ServeArgs, file: &FileSettings) -> anyhow::Result<ServerSettings> {
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
        ..ServerSettings::new(config::parse_addr(&addr)?)
    })
}

async fn site(storage: DynStorage, command: SiteCommand) -> anyhow::Result<()> {
    match command {
        SiteCommand::Add { slug, name, origins, consent_text } => {
            let site = NewSite {
                slug: SiteSlug::parse(&slug).map_err(anyhow::Error::msg)?,
                name: site_name(&name)?,
                origins: parse_origins(&origins)?,
                consent_text: consent_text.unwrap_or_else(|| DEFAULT_CONSENT_TEXT.to_owned()),
            };
            let site = storage.create_site(site, now_ms()).await.map_err(|error| match error {
                storage::StorageError::Conflict { .. } => {
                    anyhow::anyhow!("a site with slug {slug:?} already exists")
                }
                other => other.into(),
            })?;
            println!("added site {} ({}) for {}", site.slug, site.name, site.origins.join(", "));
            Ok(())
        }
        SiteCommand::List => {
            for site in storage.list_sites().await? {
                println!("{}\t{}\t{}", site.slug, site.name, site.origins.join(" "));
            }
            Ok(())
        }
        SiteCommand::Set { slug, name, origins, accent, consent_text, low_rating_threshold } => {
            if let Some(threshold) = low_rating_threshold {
                if !(1..=5).contains(&threshold) {
                    bail!("--low-rating-threshold must be from 1 to 5, not {threshold}");
                }
            }
            let changes = SiteChanges {
                name: name.as_deref().map(site_name).transpose()?,
                origins: if origins.is_empty() { None } else { Some(parse_origins(&origins)?) },
                accent: accent.as_deref().map(parse_accent).transpose().map_err(anyhow::Error::msg)?,
                consent_text,
                low_rating_threshold,
                ..SiteChanges::default()
            };
            let site =
                storage.update_site(&slug, changes).await?.with_context(|| format!("no site {slug:?}"))?;
            println!("updated site {} ({}) for {}", site.slug, site.name, site.origins.join(", "));
            Ok(())
        }
    }
}

async fn find_site(storage: &DynStorage, slug: &str) -> anyhow::Result<Site> {
    storage.site_by_slug(slug).await?.with_context(|| format!("no site {slug:?}; see `fanfare site list`"))
}

fn site_name(raw: &str) -> anyhow::Result<String> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        bail!("--name must be 1–100 characters without control characters");
    }
    Ok(name.to_owned())
}

fn parse_origins(raw: &[String]) -> anyhow::Result<Vec<Origin>> {
    raw.iter().map(|origin| Origin::parse(origin).map_err(anyhow::Error::msg)).collect()
}

fn read_password() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).context("reading the password from standard input")?;
    let password = line.trim_end_matches(['\n', '\r']).to_owned();
    if password.chars().count() < 10 {
        bail!("the password must be at least 10 characters");
    }
    Ok(password)
}

/// argon2id with the crate's default (OWASP-recommended) cost, off the async runtime.
pub async fn hash_password(password: String) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || {
        let mut salt = [0u8; 16];
        getrandom::fill(&mut salt).map_err(|error| anyhow::anyhow!("no randomness for a salt: {error}"))?;
        let salt =
            SaltString::encode_b64(&salt).map_err(|error| anyhow::anyhow!("encoding a salt: {error}"))?;
        let hash = Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map_err(|error| anyhow::anyhow!("hashing the password: {error}"))?;
        Ok(hash.to_string())
    })
    .await
    .context("the password hashing task failed")?
}

pub async fn add_user(
    storage: &DynStorage,
    email: &str,
    site_slug: &str,
    role: Role,
    password: Option<String>,
) -> anyhow::Result<crate::storage::User> {
    let email = Email::parse(email).map_err(|error| anyhow::anyhow!("email {email:?} {error}"))?;
    let site = storage.site_by_slug(site_slug).await?.with_context(|| format!("no site {site_slug:?}"))?;
    let hash = match password {
        Some(password) => Some(hash_password(password).await?),
        None => None,
    };
    Ok(storage.upsert_user(email.as_str(), hash.as_deref(), site.id, role, now_ms()).await?)
}

pub async fn create_token(storage: &DynStorage, email: &str) -> anyhow::Result<String> {
    let normalised = Email::parse(email).map_err(|error| anyhow::anyhow!("email {email:?} {error}"))?;
    let user = storage
        .user_by_email(normalised.as_str())
        .await?
        .with_context(|| format!("no user {email:?}; add one with `fanfare user add`"))?;
    let token = secrets::bearer_token("fft");
    storage.create_token(user.id, &secrets::hash_token(&token), now_ms()).await?;
    Ok(token)
}
