//! People: moderators and owners, their passwords, dashboard sessions, API tokens, and who works
//! on which site. The dashboard and `fanfare user add` / `token create` come through here.

use std::net::IpAddr;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use fanfare_protocol::fields::Email;

use super::limits;
use super::{audit, Actor, Service, ServiceError, ServiceResult};
use crate::clock::now_ms;
use crate::domain::{truncate_ip, Role};
use crate::secrets;
use crate::storage::{ApiToken, Session, Site, User};

/// Sessions end after this long, signed in or not; a lost laptop stays signed in for a day at most.
pub const SESSION_LIFETIME_MS: i64 = 24 * 60 * 60 * 1000;
/// The shortest password `fanfare user add` takes.
pub const MIN_PASSWORD_CHARS: usize = 10;

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
    .map_err(|error| anyhow::anyhow!("the password hashing task failed: {error}"))?
}

/// The answer to a wrong email or password: word for word the same for both.
pub enum SignIn {
    /// A new session: the cookie's value (only its hash is stored).
    SignedIn {
        user: User,
        session_id: String,
    },
    WrongCredentials,
}

impl Service {
    /// Checks an email and password; on success starts a session and ends the one the browser
    /// had (a planted cookie can never become a signed-in one). Attempts count per network and
    /// per account address before the password is checked, successes are given back, and after
    /// ten the next are refused for a while.
    pub async fn sign_in(
        &self,
        typed_email: &str,
        password: String,
        ip: Option<IpAddr>,
        old_session: Option<&str>,
    ) -> ServiceResult<SignIn> {
        // Normalised exactly as `fanfare user add` stored it; anything that is no address matches nobody.
        let email = Email::parse(typed_email)
            .map(Email::into_inner)
            .unwrap_or_else(|_| typed_email.trim().to_owned());
        let network = ip.map(truncate_ip).unwrap_or_default();
        let network_key = format!("network:{network}");
        // Hashed: what was typed may be a password, and the limiter keeps its keys for a while.
        let email_key = format!("email:{}", secrets::hash_token(&email));
        let keys = [
            (limits::SIGN_IN_FAILURES, network_key.as_str()),
            (limits::SIGN_IN_FAILURES, email_key.as_str()),
        ];
        // Counted before the password is checked, in one step with the check: a burst of
        // parallel guesses gets only as many verifications as the limit allows. A failure
        // keeps its count; a success gives it back below.
        self.admit(&keys)?;
        let account = self.storage.password_hash(&email).await?;
        // Unknown addresses are checked against a dummy hash, so they take as long as a wrong
        // password.
        let (user, stored_hash) = match account {
            Some((user, Some(hash))) => (Some(user), hash),
            _ => (None, self.dummy_hash().await?),
        };
        let matches = self.verify_password(password, stored_hash).await?;
        let user = match user {
            Some(user) if matches => user,
            // What was typed stays out of the log: people type passwords into the email box.
            // A known account is named by its id; anything else is just "unknown".
            Some(user) => {
                tracing::info!(user_id = user.id, %network, "failed sign-in: wrong password");
                return Ok(SignIn::WrongCredentials);
            }
            None => {
                tracing::info!(%network, "failed sign-in: unknown account");
                return Ok(SignIn::WrongCredentials);
            }
        };
        for (rule, key) in keys {
            self.limits.refund(rule, key);
        }
        if let Some(old) = old_session {
            self.storage.delete_session(&secrets::hash_token(old)).await?;
        }
        let session_id = secrets::bearer_token("ffs");
        let now = now_ms();
        self.storage
            .create_session(
                &secrets::hash_token(&session_id),
                user.id,
                &secrets::nonce(),
                now,
                now + SESSION_LIFETIME_MS,
            )
            .await?;
        tracing::info!(email = %user.email, "signed in");
        Ok(SignIn::SignedIn { user, session_id })
    }

    pub async fn sign_out(&self, session_id: &str) -> ServiceResult<()> {
        self.storage.delete_session(&secrets::hash_token(session_id)).await?;
        Ok(())
    }

    /// The live session behind a cookie's value.
    pub async fn session(&self, session_id: &str) -> ServiceResult<Option<Session>> {
        Ok(self.storage.session(&secrets::hash_token(session_id), now_ms()).await?)
    }

    /// The person an API token belongs to, unless it is unknown or revoked.
    pub async fn user_by_token(&self, token: &str) -> ServiceResult<Option<User>> {
        Ok(self.storage.user_by_token(&secrets::hash_token(token)).await?)
    }

    /// The person's role on the site, or "not found" exactly as for a site that does not exist.
    pub async fn role_on(&self, user: &User, site: &Site) -> ServiceResult<Role> {
        self.storage.role_on_site(user.id, site.id).await?.ok_or(ServiceError::NotFound("site"))
    }

    /// A new API token for the person: returned once, stored hashed.
    pub async fn create_token(&self, user: &User) -> ServiceResult<String> {
        let token = secrets::bearer_token("fft");
        self.storage.create_token(user.id, &secrets::hash_token(&token), now_ms()).await?;
        Ok(token)
    }

    /// A new API token for the person with this email (the command line names people by email).
    pub async fn create_token_for(&self, email: &str) -> ServiceResult<String> {
        let normalised =
            Email::parse(email).map_err(|error| ServiceError::field("email", error.to_string()))?;
        let user =
            self.storage.user_by_email(normalised.as_str()).await?.ok_or(ServiceError::NotFound("user"))?;
        self.create_token(&user).await
    }

    pub async fn revoke_token(&self, user: &User, token_id: i64) -> ServiceResult<()> {
        if !self.storage.revoke_token(user.id, token_id, now_ms()).await? {
            return Err(ServiceError::NotFound("token"));
        }
        Ok(())
    }

    /// Gives the person with this email a role on the site (creating them if new), and sets
    /// their password when one is given. Notification email starts off for someone an owner
    /// adds: only they can turn it on, so an owner cannot have the server mail visitors' words
    /// to any address. The operator's `fanfare user add` vouches for the address (it is their
    /// SMTP server), so a membership it creates starts with email on; one that already existed
    /// keeps its person's choice. A site keeps at least one owner (storage refuses the
    /// demotion of the last one in the same transaction).
    pub async fn add_member(
        &self,
        site: &Site,
        actor: Actor<'_>,
        email: &str,
        role: Role,
        password: Option<String>,
    ) -> ServiceResult<User> {
        let email = Email::parse(email).map_err(|error| ServiceError::field("email", error.to_string()))?;
        if let Some(password) = &password {
            if password.chars().count() < MIN_PASSWORD_CHARS {
                return Err(ServiceError::field(
                    "password",
                    format!("must be at least {MIN_PASSWORD_CHARS} characters"),
                ));
            }
        }
        let hash = match password {
            Some(password) => Some(hash_password(password).await?),
            None => None,
        };
        let existing = match (&actor, self.storage.user_by_email(email.as_str()).await?) {
            (Actor::CommandLine, Some(user)) => self.storage.role_on_site(user.id, site.id).await?,
            _ => None,
        };
        let user = self.storage.upsert_user(email.as_str(), hash.as_deref(), site.id, role, now_ms()).await?;
        if matches!(actor, Actor::CommandLine) && existing.is_none() {
            self.storage.set_notifications(user.id, site.id, true).await?;
        }
        audit::site_change(&self.storage, site, actor, &format!("make {role}"), Some(user.email.clone()))
            .await?;
        Ok(user)
    }

    /// Takes the person's role on the site away; the last owner stays (storage checks and
    /// removes in one transaction, so two owners removing each other cannot both succeed).
    pub async fn remove_member(&self, site: &Site, actor: Actor<'_>, user_id: i64) -> ServiceResult<()> {
        let members = self.storage.members(site.id).await?;
        let (member, _) =
            members.iter().find(|(user, _)| user.id == user_id).ok_or(ServiceError::NotFound("person"))?;
        if !self.storage.remove_member(site.id, user_id).await? {
            return Err(ServiceError::NotFound("person"));
        }
        audit::site_change(&self.storage, site, actor, "remove person", Some(member.email.clone())).await
    }

    async fn dummy_hash(&self) -> ServiceResult<String> {
        let hash = self.dummy_password_hash.get_or_try_init(|| hash_password(secrets::nonce())).await?;
        Ok(hash.clone())
    }

    async fn verify_password(&self, password: String, hash: String) -> ServiceResult<bool> {
        let _permit = self
            .password_work
            .acquire()
            .await
            .map_err(|_| ServiceError::internal("password check", "the password work queue is closed"))?;
        tokio::task::spawn_blocking(move || {
            PasswordHash::new(&hash)
                .is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
        })
        .await
        .map_err(|error| ServiceError::internal("password check failed", error))
    }
}

impl Service {
    /// Every site the person works on, with their role there.
    pub async fn sites_of(&self, user: &User) -> ServiceResult<Vec<(Site, Role)>> {
        Ok(self.storage.sites_of_user(user.id).await?)
    }

    pub async fn tokens_of(&self, user: &User) -> ServiceResult<Vec<ApiToken>> {
        Ok(self.storage.tokens_of_user(user.id).await?)
    }

    /// Everyone with a role on the site, by email.
    pub async fn members(&self, site: &Site) -> ServiceResult<Vec<(User, Role)>> {
        Ok(self.storage.members(site.id).await?)
    }

    /// Every site the person works on, with whether they get an email for each new submission.
    pub async fn notification_choices(&self, user: &User) -> ServiceResult<Vec<(Site, bool)>> {
        Ok(self.storage.notification_choices(user.id).await?)
    }

    /// The person turns their own notification email for one of their sites on or off; a site
    /// they have no role on is not found. Audited, so owners see who receives mail.
    pub async fn set_notifications(&self, user: &User, slug: &str, on: bool) -> ServiceResult<()> {
        let site = self.find_site(slug).await?;
        if !self.storage.set_notifications(user.id, site.id, on).await? {
            return Err(ServiceError::NotFound("site"));
        }
        let action = if on { "email notifications on" } else { "email notifications off" };
        audit::site_change(&self.storage, &site, Actor::Member(user), action, None).await
    }
}
