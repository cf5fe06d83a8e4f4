//! The `fanfare` command line. Every command opens (and migrates) the database first, so each
//! works on a fresh database and beside a running server.

use std::path::PathBuf;

use clap::builder::BoolishValueParser;
use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "fanfare", version, about = "Collect, moderate and publish testimonials")]
pub struct Cli {
    /// Database URL: sqlite://PATH or postgres://… [default: sqlite://fanfare.db; for `demo`,
    /// sqlite://fanfare-demo.db]
    #[arg(long, global = true, env = "FANFARE_DATABASE_URL", value_name = "URL", hide_env_values = true)]
    pub database: Option<String>,

    /// Settings file [default: fanfare.toml in the working directory, if present]
    #[arg(long, global = true, env = "FANFARE_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// File holding the secret key (32 random bytes, hex or base64) that seals webhook secrets
    /// and the link-signing key in the database; env FANFARE_SECRET_KEY_FILE, or the key itself
    /// in FANFARE_SECRET_KEY [default: DATABASE.key beside a SQLite database, created at first
    /// start; PostgreSQL needs one]
    #[arg(long, global = true, value_name = "FILE")]
    pub secret_key_file: Option<PathBuf>,

    /// Where photos and videos are kept: a directory, or s3://BUCKET/PREFIX for several instances
    /// (credentials, region and endpoint from the usual AWS_* variables) [default: DATABASE.media
    /// beside a SQLite database, else ./fanfare-media]
    #[arg(long, global = true, env = "FANFARE_MEDIA_URL", value_name = "DIR|URL")]
    pub media_url: Option<String>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server
    Serve(ServeArgs),
    /// Run a seeded demo: the server plus a demo business website on a second origin
    Demo(DemoArgs),
    /// Manage sites
    #[command(subcommand)]
    Site(SiteCommand),
    /// Manage moderators and owners
    #[command(subcommand)]
    User(UserCommand),
    /// Manage API tokens
    #[command(subcommand)]
    Token(TokenCommand),
    /// Manage a site's webhooks
    #[command(subcommand)]
    Webhook(WebhookCommand),
    /// Site keys for the business's own systems (an order system inviting customers, a
    /// checkout recording conversions): they can invite and convert, nothing else.
    #[command(subcommand)]
    Key(KeyCommand),
    /// The coupon codes referral rewards are paid in
    #[command(subcommand)]
    Coupons(CouponCommand),
    /// Invites the customers in a CSV file (header `email,name[,tags][,order_id][,lang]`): each
    /// gets one email with a personal link, sent by the running server. Every line is checked
    /// first; one bad line and nothing is queued.
    Invite {
        #[arg(long)]
        site: String,
        file: PathBuf,
        /// Check the file and say who would be invited, already invited or unsubscribed;
        /// store and send nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Write every testimonial of a site as JSON or CSV
    Export {
        #[arg(long)]
        site: String,
        #[arg(long, default_value = "json", value_parser = ["json", "csv"])]
        format: String,
        /// Write here instead of standard output; JSON written to a file carries the photos and
        /// videos as files in a folder beside it (FILE's name with .media)
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Read testimonials from a JSON export (with the photos and videos in the folder beside it)
    /// or a CSV with a header row; known ids are skipped
    Import {
        #[arg(long)]
        site: String,
        file: PathBuf,
    },
    /// Remove every testimonial an email address wrote on a site
    Erase {
        #[arg(long)]
        site: String,
        #[arg(long)]
        email: String,
    },
    /// Write a consistent copy of the SQLite database, safe while the server runs
    Backup { path: PathBuf },
    /// Copy this whole database into PostgreSQL (safe to run again), then compare row counts
    Copy {
        /// The target, e.g. postgres://fanfare@db.internal/fanfare
        #[arg(long, value_name = "URL")]
        to: String,
        /// Where the target's instances keep media (a directory or s3://bucket/prefix): every
        /// photo and video is copied there too [default: the same store as now; nothing to copy]
        #[arg(long, value_name = "DIR|URL")]
        to_media_url: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8080]
    #[arg(long, env = "FANFARE_ADDR")]
    pub addr: Option<String>,
    /// The URL visitors reach this server at, for links it hands out [default: http://ADDR]
    #[arg(long, env = "FANFARE_PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<String>,
    /// Directory holding the built widget (`cargo xtask build` writes target/widget)
    #[arg(long, env = "FANFARE_WIDGET_DIR", value_name = "DIR")]
    pub widget_dir: Option<PathBuf>,
    /// SMTP server for moderator emails: smtp://host:25, smtp://user:pass@host:587?tls=required
    /// or smtps://user:pass@host [default: none; the log names each email not sent]
    #[arg(long, env = "FANFARE_SMTP_URL", value_name = "URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// Sender of moderator emails, e.g. "Fanfare <fanfare@example.com>"
    #[arg(long, env = "FANFARE_MAIL_FROM", value_name = "ADDRESS")]
    pub mail_from: Option<String>,
    /// Rate limits: on, or off for load tests and benchmarks [default: on]
    #[arg(long, env = "FANFARE_RATE_LIMITS", value_name = "on|off")]
    pub rate_limits: Option<String>,
    /// A reverse proxy (address or CIDR) whose X-Forwarded-For names the client; repeat or
    /// comma-separate for several [default: none, the peer address is the client]
    #[arg(
        long = "trusted-proxy",
        env = "FANFARE_TRUSTED_PROXIES",
        value_name = "CIDR",
        value_delimiter = ','
    )]
    pub trusted_proxies: Vec<String>,
    /// Deliveries to receivers on your own network, and the dashboard saving them.
    #[command(flatten)]
    pub private_networks: PrivateNetworks,
}

/// `--allow-private-network-webhooks[=on|off]`, for `serve` and `webhook add` alike.
#[derive(Debug, Clone, Copy, Default, Args)]
pub struct PrivateNetworks {
    /// Allow webhooks at loopback, private and other non-public addresses (receivers on your own
    /// network): on `serve` for its deliveries and its dashboard, on `webhook add` for that
    /// command [default: off]
    #[arg(
        long,
        env = "FANFARE_ALLOW_PRIVATE_NETWORK_WEBHOOKS",
        value_name = "on|off",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "on",
        value_parser = BoolishValueParser::new()
    )]
    pub allow_private_network_webhooks: Option<bool>,
}

impl PrivateNetworks {
    /// The flag or the environment if given, else `fanfare.toml`'s word, else off.
    pub fn allowed(self, file: Option<bool>) -> bool {
        self.allow_private_network_webhooks.or(file).unwrap_or(false)
    }
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    #[command(flatten)]
    pub serve: ServeArgs,
    /// Address of the demo business website [default: 127.0.0.1:8081]
    #[arg(long, env = "FANFARE_DEMO_SITE_ADDR")]
    pub site_addr: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum SiteCommand {
    /// Add a site that may embed the widget
    Add {
        /// Public slug, used as data-site="…"
        slug: String,
        /// Display name
        #[arg(long)]
        name: String,
        /// An origin allowed to embed and post (repeat for several), e.g. https://shop.example.com
        #[arg(long = "origin", required = true, value_name = "URL")]
        origins: Vec<String>,
        /// Consent statement shown next to the unticked consent box
        #[arg(long)]
        consent_text: Option<String>,
    },
    /// List sites
    List,
    /// Change a site's settings; only the options given change
    Set(Box<SiteSettings>),
}

/// `fanfare site set`'s options.
#[derive(Debug, Args)]
pub struct SiteSettings {
    pub slug: String,
    #[arg(long)]
    pub name: Option<String>,
    /// Replaces all allowed origins (repeat for several)
    #[arg(long = "origin", value_name = "URL")]
    pub origins: Vec<String>,
    /// Accent colour, e.g. #7a3e12
    #[arg(long)]
    pub accent: Option<String>,
    /// New consent statement (bumps the consent version)
    #[arg(long)]
    pub consent_text: Option<String>,
    /// Ratings at or below this are followed up privately (1–5)
    #[arg(long)]
    pub low_rating_threshold: Option<u8>,
    /// Whether a second referral link a browser follows takes the credit: first or last
    #[arg(long, value_name = "first|last")]
    pub referral_attribution: Option<String>,
    /// Whether the read-only fragments carry schema.org JSON-LD (off by default; see README)
    #[arg(long, value_name = "on|off")]
    pub structured_data: Option<String>,
    /// Days after an invitation before its one reminder (0: none).
    #[arg(long, value_name = "DAYS")]
    pub invitation_reminder_days: Option<String>,
    /// Invitation and reminder emails the site may send in any 24 hours.
    #[arg(long, value_name = "N")]
    pub invitation_daily_cap: Option<String>,
    /// The signing secret of the site's Stripe endpoint (/hooks/stripe/SLUG); stored sealed;
    /// "" stops taking Stripe events
    #[arg(long, value_name = "whsec_…", hide_env_values = true)]
    pub stripe_signing_secret: Option<String>,
    /// A reward for every N qualifying conversions of an advocate; off for none
    #[arg(long, value_name = "N|off")]
    pub reward_every: Option<String>,
    /// Days a conversion waits (your refund window) before its reward is earned [default: 14]
    #[arg(long, value_name = "DAYS")]
    pub reward_hold_days: Option<String>,
    /// Smallest qualifying sale, in the currency's smallest unit (2500 for 25.00); "" for any
    #[arg(long, value_name = "AMOUNT")]
    pub reward_min_amount: Option<String>,
    /// Double-sided rewards: the code referred friends are shown; "" for none
    #[arg(long, value_name = "CODE")]
    pub friend_coupon: Option<String>,
    /// How rewards are paid: coupons (a code from the pool, emailed) or webhook (in your own
    /// system, on referral.rewarded) [default: coupons]
    #[arg(long, value_name = "coupons|webhook")]
    pub reward_payout: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum CouponCommand {
    /// Adds the codes in FILE (one per line) to the site's pool; codes already there are
    /// skipped, and a bad line refuses the whole file.
    Add {
        #[arg(long)]
        site: String,
        file: PathBuf,
    },
    /// How many codes are left and used.
    List {
        #[arg(long)]
        site: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Makes a key and prints it once, alone on the last line (only its hash is kept).
    Create {
        #[arg(long)]
        site: String,
        /// What uses it, to tell keys apart later.
        #[arg(long, default_value = "order system")]
        label: String,
    },
    List {
        #[arg(long)]
        site: String,
    },
    Revoke {
        #[arg(long)]
        site: String,
        id: i64,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a person to a site (or change their role there)
    Add {
        email: String,
        #[arg(long)]
        site: String,
        #[arg(long, default_value = "moderator", value_parser = ["owner", "moderator"])]
        role: String,
        /// Read a password from the first line of standard input
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token; printed once, alone on the last line
    Create {
        #[arg(long)]
        user: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum WebhookCommand {
    /// Add a webhook to a site; its signing secret is printed alone on the last line.
    /// The URL's host is resolved and checked, never contacted
    Add {
        #[arg(long)]
        site: String,
        /// Where events are POSTed, e.g. https://example.com/hooks/fanfare
        url: String,
        #[command(flatten)]
        private_networks: PrivateNetworks,
    },
    /// List webhooks (id, site, URL), of one site or of all
    List {
        #[arg(long)]
        site: Option<String>,
    },
    /// Remove a webhook by the id `webhook list` shows
    Remove {
        #[arg(long)]
        site: String,
        id: i64,
    },
}
