//! The big site's data: a million testimonials and a hundred thousand referrals, made up the
//! same way every run (a counter through a mixing function, no randomness) so every run
//! measures the same site, stored through the storage's bulk seeding.

use std::time::Instant;

use anyhow::Context;
use fanfare_protocol::api::Status;
use fanfare_server::domain::{email_key, Origin, Role, SiteSlug};
use fanfare_server::secrets;
use fanfare_server::service::accounts::hash_password;
use fanfare_server::storage::{
    AccountStore, AuditEntry, ConversionSource, Cursor, ImportedTestimonial, Money, NewAdvocate,
    NewConversion, NewSite, NewTestimonialRecord, SeedVisit, Site, SiteStore, SqlStorage,
};

pub(crate) const TESTIMONIALS: u64 = 1_000_000;
const ADVOCATES: u64 = 10_000;
const VISITS: u64 = 250_000;
const CONVERSIONS: u64 = 100_000;
/// Rows per transaction: big enough that commits cost nothing, small enough to keep the
/// bench's own memory modest.
const BATCH: u64 = 20_000;
/// One testimonial every 90 s on average: a million over nearly three years.
const STEP_MS: i64 = 90_000;
const START_MS: i64 = 1_700_000_000_000 - TESTIMONIALS as i64 * STEP_MS;
/// People who left several testimonials, referred friends and bought through another
/// advocate: one of them is erased per erasure run.
pub(crate) const REPEAT_CUSTOMERS: u64 = 8;
const TESTIMONIALS_PER_REPEAT_CUSTOMER: u64 = 5;
/// The first of the repeat customers' advocate numbers.
const REPEAT_ADVOCATES: u64 = ADVOCATES / 2;
/// A word about one text in ten thousand holds (a search finding a realistic few), and one
/// none holds (a search that must read every row).
pub(crate) const RARE_WORD: &str = "pistachio";
pub(crate) const ABSENT_WORD: &str = "zanzibar";
/// A word of one of the sentences (a search whose index lookup finds a quarter of the site).
pub(crate) const COMMON_WORD: &str = "espresso";
pub(crate) const TAG: &str = "gift-box";
pub(crate) const OWNER: &str = "owner@bench.test";
pub(crate) const SLUG: &str = "bench";

/// What was stored, and what the measurements need to know about it.
pub(crate) struct Seeded {
    pub(crate) site: Site,
    pub(crate) token: String,
    pub(crate) password: String,
    pub(crate) rows: Rows,
    pub(crate) seconds: f64,
    /// Cursors about 900,000 items deep into the published list (a few, so each request
    /// misses the cache), and their depth.
    pub(crate) deep_cursors: Vec<Cursor>,
    pub(crate) deep_depth: u64,
    /// The same about 9,000 items deep into the pending queue.
    pub(crate) pending_cursors: Vec<Cursor>,
    pub(crate) pending_depth: u64,
    pub(crate) repeat_customers: Vec<String>,
}

#[derive(Default, Clone, Copy)]
pub(crate) struct Rows {
    pub(crate) testimonials: u64,
    pub(crate) approved: u64,
    pub(crate) pending: u64,
    pub(crate) tags: u64,
    pub(crate) with_rare_word: u64,
    pub(crate) with_common_word: u64,
    pub(crate) audit: u64,
    pub(crate) advocates: u64,
    pub(crate) visits: u64,
    pub(crate) conversions: u64,
}

/// A well-mixed number for `n` (splitmix64's finaliser), different for each `salt`.
fn roll(n: u64, salt: u64) -> u64 {
    let mut x = n.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ salt.wrapping_mul(0xD6E8_FEB8_6659_FD93);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// True for about one `n` in `k`.
fn one_in(n: u64, salt: u64, k: u64) -> bool {
    roll(n, salt).is_multiple_of(k)
}

fn pick<'a>(list: &[&'a str], n: u64, salt: u64) -> &'a str {
    list[(roll(n, salt) % list.len() as u64) as usize]
}

/// An index in `0..len`, the low ones far likelier: a few advocates bring most friends.
fn skewed(n: u64, salt: u64, len: u64) -> u64 {
    let unit = (roll(n, salt) >> 11) as f64 / (1u64 << 53) as f64;
    ((unit.powi(3) * len as f64) as u64).min(len - 1)
}

const FIRST: [&str; 24] = [
    "Ada", "Bruno", "Chiara", "Dmitri", "Elif", "Farah", "Gustav", "Hana", "Ines", "Jonas", "Keiko", "Lucas",
    "Maya", "Nils", "Olga", "Pedro", "Quentin", "Rosa", "Sven", "Tariq", "Uma", "Viktor", "Wen", "Yara",
];
const LAST: [&str; 24] = [
    "Achebe",
    "Berg",
    "Costa",
    "Dubois",
    "Eriksen",
    "Fischer",
    "Garcia",
    "Haddad",
    "Ito",
    "Jansen",
    "Kowalski",
    "Lindqvist",
    "Moreau",
    "Nakamura",
    "Okafor",
    "Petrov",
    "Quispe",
    "Rossi",
    "Schmidt",
    "Tanaka",
    "Ueda",
    "Vargas",
    "Weber",
    "Yilmaz",
];
const DOMAINS: [&str; 4] = ["example.com", "example.org", "mail.example", "gmail.com"];
const ROLES: [&str; 6] =
    ["Regular", "Home barista", "Cafe owner", "Subscriber", "Gift buyer", "Office manager"];
const COMPANIES: [&str; 5] = ["Acme", "Northwind", "Globex", "Initech", "Umbrella Roasters"];
const SUBJECTS: [&str; 12] = [
    "The espresso roast",
    "Their decaf",
    "The house blend",
    "Delivery",
    "The grinder",
    "Customer service",
    "The gift box",
    "My subscription",
    "The Ethiopian single origin",
    "The cold brew kit",
    "Packaging",
    "The barista course",
];
const VERBS: [&str; 8] =
    ["arrived", "tastes", "was", "keeps getting", "turned out", "has been", "felt", "smells"];
const COMPLEMENTS: [&str; 12] = [
    "fresh and fragrant",
    "quicker than promised",
    "better every month",
    "a little bitter for me",
    "exactly as described",
    "worth every cent",
    "beautifully wrapped",
    "smooth with notes of chocolate",
    "late twice this winter",
    "bright and fruity",
    "too dear for what it is",
    "friendly and helpful",
];
const ENDINGS: [&str; 5] = [".", "!", ", honestly.", " and I will order again.", ", as always."];
const TAGS: [&str; 5] = [TAG, "espresso-beans", "subscription", "decaf", "grinder"];

/// Two to four sentences from the word lists: thousands of different texts.
fn text(n: u64) -> String {
    let sentences = 2 + roll(n, 20) % 3;
    let mut text = String::new();
    for s in 0..sentences {
        let salt = 21 + s * 4;
        if s > 0 {
            text.push(' ');
        }
        text.push_str(&format!(
            "{} {} {}{}",
            pick(&SUBJECTS, n, salt),
            pick(&VERBS, n, salt + 1),
            pick(&COMPLEMENTS, n, salt + 2),
            pick(&ENDINGS, n, salt + 3)
        ));
    }
    if one_in(n, 40, 10_000) {
        text.push_str(&format!(" The {RARE_WORD} latte kit was a lovely surprise."));
    }
    text
}

fn created_at(n: u64) -> i64 {
    // Strictly increasing: one step per testimonial, a jitter within it.
    START_MS + n as i64 * STEP_MS + (roll(n, 1) % STEP_MS as u64) as i64
}

fn status(n: u64) -> Status {
    match roll(n, 2) % 1000 {
        0..970 => Status::Approved,
        970..980 => Status::Pending,
        980..992 => Status::Rejected,
        _ => Status::Spam,
    }
}

/// The testimonial `n` is one of a repeat customer's: spread over the years.
fn repeat_customer(n: u64) -> Option<u64> {
    let every = TESTIMONIALS / (REPEAT_CUSTOMERS * TESTIMONIALS_PER_REPEAT_CUSTOMER);
    (n % every == every / 2).then_some((n / every) % REPEAT_CUSTOMERS)
}

fn repeat_customer_email(k: u64) -> String {
    format!("repeat.customer{k}@example.com")
}

fn testimonial(site_id: i64, n: u64, codes: &[String]) -> ImportedTestimonial {
    let status = status(n);
    let person = roll(n, 4) % 700_000;
    let (first, last) = (pick(&FIRST, person, 5), pick(&LAST, person, 6));
    let email = match repeat_customer(n) {
        // One spelled in capitals: erasure finds an address whatever its case.
        Some(k) if n.is_multiple_of(2) => repeat_customer_email(k).to_uppercase(),
        Some(k) => repeat_customer_email(k),
        None => {
            format!("{}.{}.{person}@{}", first.to_lowercase(), last.to_lowercase(), pick(&DOMAINS, person, 7))
        }
    };
    let rating = match roll(n, 3) % 100 {
        0..3 => 1,
        3..7 => 2,
        7..15 => 3,
        15..40 => 4,
        _ => 5,
    };
    let created_at = created_at(n);
    let decided = status != Status::Pending;
    let moderated_at = decided.then(|| created_at + (roll(n, 8) % 259_200_000) as i64);
    let tags = match roll(n, 9) % 100 {
        0..8 => vec![pick(&TAGS, n, 10).to_owned()],
        8..10 => vec![TAG.to_owned(), pick(&TAGS[1..], n, 10).to_owned()],
        _ => Vec::new(),
    };
    let record = NewTestimonialRecord {
        id: secrets::derived_id(&format!("bench-{n}")),
        site_id,
        name: format!("{first} {last}"),
        email,
        role: (roll(n, 11) % 10 < 4).then(|| pick(&ROLES, n, 12).to_owned()),
        company: (roll(n, 13) % 10 < 3).then(|| pick(&COMPANIES, n, 14).to_owned()),
        rating,
        text: text(n),
        // A few waiting ones without consent: they stay in the queue, never published.
        consent: status != Status::Pending || !one_in(n, 15, 20),
        consent_text: Some("I agree that my testimonial may be published.".into()),
        consent_version: Some(1),
        photo_id: None,
        video_id: None,
        captions: None,
        referral_code: one_in(n, 16, 50).then(|| codes[skewed(n, 17, codes.len() as u64) as usize].clone()),
        page_url: one_in(n, 18, 2).then(|| format!("https://bench.test/products/{}", pick(&TAGS, n, 19))),
        ip_prefix: Some(format!("203.0.{}.0", roll(n, 30) % 256)),
        follow_up: rating <= 3,
        contact_me: rating <= 3 && one_in(n, 31, 3),
        status,
        manage_token_hash: secrets::hash_token(&format!("bench-manage-{n}")),
        verified: one_in(n, 32, 20),
        tags,
        created_at,
        moderated_at,
    };
    ImportedTestimonial {
        reply: (status == Status::Approved && one_in(n, 33, 100)).then(|| format!("Thank you, {first}!")),
        featured: status == Status::Approved && one_in(n, 34, 2000),
        updated_at: moderated_at.unwrap_or(created_at),
        record,
    }
}

/// The audit log's word for the decision that left a testimonial in `status`.
fn decision(status: Status) -> &'static str {
    match status {
        Status::Approved => "approve",
        Status::Rejected => "reject",
        _ => "spam",
    }
}

/// A referral code: eight symbols of the code alphabet, the first three `k` itself so no two
/// advocates share one.
fn code(k: u64) -> String {
    use fanfare_protocol::referrals::CODE_ALPHABET;
    let base = CODE_ALPHABET.len() as u64;
    let symbol = |value: u64| CODE_ALPHABET[(value % base) as usize] as char;
    let unique = (0..3).map(|place| symbol(k / base.pow(place)));
    unique.chain((0..5).map(|place| symbol(roll(k, 50 + place)))).collect()
}

fn advocate(site_id: i64, k: u64) -> NewAdvocate {
    // Repeat customers are advocates of middling success, as most are.
    let email = if (REPEAT_ADVOCATES..REPEAT_ADVOCATES + REPEAT_CUSTOMERS).contains(&k) {
        repeat_customer_email(k - REPEAT_ADVOCATES)
    } else {
        format!("{}.{}@example.net", pick(&FIRST, k, 60).to_lowercase(), k)
    };
    NewAdvocate {
        site_id,
        code: code(k),
        name: format!("{} {}", pick(&FIRST, k, 60), pick(&LAST, k, 61)),
        email_key: email_key(&email),
        email,
        ip_prefix: Some(format!("198.51.{}.0", roll(k, 62) % 256)),
        device: Some(format!("d{:x}", roll(k, 63))),
        lang: "en".into(),
        created_at: START_MS + (roll(k, 64) % (TESTIMONIALS * STEP_MS as u64)) as i64,
    }
}

fn conversion(site_id: i64, n: u64, advocate_ids: &[i64]) -> NewConversion {
    // Each repeat customer also bought through someone else's link.
    let email = if n < REPEAT_CUSTOMERS * 2 {
        repeat_customer_email(n / 2)
    } else {
        format!("friend.{n}@example.com")
    };
    let source = match roll(n, 70) % 10 {
        0..7 => ConversionSource::Page,
        7..9 => ConversionSource::System,
        _ => ConversionSource::Stripe,
    };
    let paid = source != ConversionSource::Page || one_in(n, 71, 2);
    NewConversion {
        site_id,
        advocate_id: advocate_ids[skewed(n, 72, advocate_ids.len() as u64) as usize],
        external_id: format!("order-{n}"),
        email_key: Some(email_key(&email)),
        email: Some(email),
        ip_prefix: Some(format!("192.0.2.{}", roll(n, 73) % 256)),
        device: Some(format!("f{:x}", roll(n, 74))),
        flags: if one_in(n, 75, 50) { vec!["no_visit".into()] } else { Vec::new() },
        source,
        value: paid.then(|| Money { amount: 1500 + (roll(n, 76) % 10_000) as i64, currency: "eur".into() }),
        payment_id: (source == ConversionSource::Stripe).then(|| format!("pi_bench{n}")),
        created_at: START_MS + (roll(n, 77) % (TESTIMONIALS * STEP_MS as u64)) as i64,
    }
}

/// Creates the site, its owner (a password for the dashboard, a token for the API) and all its
/// rows.
pub(crate) async fn seed(storage: &SqlStorage) -> anyhow::Result<Seeded> {
    let started = Instant::now();
    let site = storage
        .create_site(
            NewSite {
                slug: SiteSlug::parse(SLUG).map_err(anyhow::Error::msg)?,
                name: "Bench Roasters".into(),
                origins: vec![Origin::parse("https://bench.test").map_err(anyhow::Error::msg)?],
                consent_text: "I agree that my testimonial may be published.".into(),
            },
            START_MS,
        )
        .await
        .context("creating the big site")?;
    let password = secrets::random_key();
    let hash = hash_password(password.clone()).await?;
    let owner = storage.upsert_user(OWNER, Some(&hash), site.id, Role::Owner, START_MS).await?;
    let token = secrets::bearer_token("fft");
    storage.create_token(owner.id, &secrets::hash_token(&token), START_MS).await?;

    let mut rows = Rows::default();
    let advocates: Vec<NewAdvocate> = (0..ADVOCATES).map(|k| advocate(site.id, k)).collect();
    let codes: Vec<String> = advocates.iter().map(|advocate| advocate.code.clone()).collect();
    let ids_by_code = storage.seed_advocates(&advocates).await.context("seeding advocates")?;
    let advocate_ids: Vec<i64> = codes.iter().filter_map(|code| ids_by_code.get(code).copied()).collect();
    anyhow::ensure!(advocate_ids.len() == codes.len(), "some advocates were not stored");
    rows.advocates = ADVOCATES;

    // Cursors: the rows just older than these are the deep pages (see [`Seeded`]).
    let deep_anchors: Vec<u64> = (0..8).map(|k| 72_000 + 37 * k).collect();
    let pending_anchors: Vec<u64> = (0..8).map(|k| 100_000 + 37 * k).collect();
    let (mut deep_cursors, mut pending_cursors) = (Vec::new(), Vec::new());
    let (mut approved_before, mut pending_before) = (0, 0);
    for start in (0..TESTIMONIALS).step_by(BATCH as usize) {
        let batch: Vec<ImportedTestimonial> =
            (start..(start + BATCH).min(TESTIMONIALS)).map(|n| testimonial(site.id, n, &codes)).collect();
        let mut audit = Vec::new();
        for (item, n) in batch.iter().zip(start..) {
            let record = &item.record;
            let cursor = || Cursor { created_at: record.created_at, id: record.id.clone() };
            if deep_anchors.contains(&n) {
                approved_before = approved_before.max(rows.approved);
                deep_cursors.push(cursor());
            }
            if pending_anchors.contains(&n) {
                pending_before = pending_before.max(rows.pending);
                pending_cursors.push(cursor());
            }
            rows.approved += u64::from(record.status == Status::Approved);
            rows.pending += u64::from(record.status == Status::Pending);
            rows.tags += record.tags.len() as u64;
            rows.with_rare_word += u64::from(record.text.contains(RARE_WORD));
            rows.with_common_word += u64::from(record.text.to_lowercase().contains(COMMON_WORD));
            // A third of the decisions were a moderator's (logged), the rest the site's
            // auto-approve rule; every repeat customer's were logged, for erasure to clear.
            let logged = one_in(n, 80, 3) || repeat_customer(n).is_some();
            if let (Some(at), true) = (item.record.moderated_at, logged) {
                audit.push(AuditEntry {
                    site_id: site.id,
                    user_id: Some(owner.id),
                    actor: OWNER.into(),
                    action: decision(record.status).into(),
                    testimonial_id: Some(record.id.clone()),
                    detail: None,
                    created_at: at,
                });
            }
        }
        storage
            .seed_testimonials(&batch)
            .await
            .with_context(|| format!("seeding testimonials from {start}"))?;
        storage.seed_audit(&audit).await.context("seeding the audit log")?;
        rows.testimonials += batch.len() as u64;
        rows.audit += audit.len() as u64;
        if start % 200_000 == 0 {
            println!(
                "   seeded {} testimonials, {:.0} s",
                rows.testimonials,
                started.elapsed().as_secs_f64()
            );
        }
    }
    for start in (0..VISITS).step_by(BATCH as usize) {
        let visits: Vec<SeedVisit> = (start..(start + BATCH).min(VISITS))
            .map(|n| SeedVisit {
                advocate_id: advocate_ids[skewed(n, 90, ADVOCATES) as usize],
                device: Some(format!("v{:x}", roll(n, 91) % 200_000)),
                ip_prefix: Some(format!("192.0.2.{}", roll(n, 92) % 256)),
                created_at: START_MS + (roll(n, 93) % (TESTIMONIALS * STEP_MS as u64)) as i64,
            })
            .collect();
        storage.seed_visits(&visits).await.context("seeding referral visits")?;
        rows.visits += visits.len() as u64;
    }
    for start in (0..CONVERSIONS).step_by(BATCH as usize) {
        let conversions: Vec<NewConversion> = (start..(start + BATCH).min(CONVERSIONS))
            .map(|n| conversion(site.id, n, &advocate_ids))
            .collect();
        storage.seed_conversions(&conversions).await.context("seeding conversions")?;
        rows.conversions += conversions.len() as u64;
    }
    storage.settle_after_seeding().await.context("settling the seeded database")?;
    Ok(Seeded {
        site,
        token,
        password,
        rows,
        seconds: started.elapsed().as_secs_f64(),
        deep_cursors,
        deep_depth: rows.approved - approved_before,
        pending_cursors,
        pending_depth: rows.pending - pending_before,
        repeat_customers: (0..REPEAT_CUSTOMERS).map(repeat_customer_email).collect(),
    })
}
