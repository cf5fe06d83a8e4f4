//! One-click links in moderator emails. A link names one decision on one testimonial for one
//! moderator, expires, and works once; its signature means nobody can forge or alter one.
//! Opening it only shows a confirm page: mail scanners that prefetch links change nothing.

use fanfare_protocol::api::Status;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::secrets::{hex, unhex};

/// How long an emailed decision stays usable.
pub const LINK_LIFETIME_MS: i64 = 7 * 24 * 60 * 60 * 1000;

/// What a valid link asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailDecision {
    pub site_slug: String,
    pub testimonial_id: String,
    pub status: Status,
    pub user_id: i64,
    pub expires_at: i64,
    /// Recorded when used, so the link works once.
    pub nonce: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("this link is not valid")]
    Invalid,
    #[error("this link has expired")]
    Expired,
}

#[derive(Clone)]
pub struct LinkSigner {
    key: Vec<u8>,
}

impl LinkSigner {
    pub fn new(key: &[u8]) -> Self {
        Self { key: key.to_vec() }
    }

    fn mac(&self) -> Hmac<Sha256> {
        // HMAC accepts keys of any length, so this cannot fail.
        Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key length")
    }

    /// `fields.SIGNATURE`: the fields (dot-separated, no dots inside) with their hex HMAC.
    pub fn sign_fields(&self, fields: &str) -> String {
        let mut mac = self.mac();
        mac.update(fields.as_bytes());
        format!("{fields}.{}", hex(&mac.finalize().into_bytes()))
    }

    /// A keyed digest of `text` (hex): stands for a value, such as an address on a suppression
    /// list, without keeping it or letting anyone without the key test guesses against it.
    pub fn digest(&self, text: &str) -> String {
        let mut mac = self.mac();
        mac.update(text.as_bytes());
        hex(&mac.finalize().into_bytes())
    }

    /// The fields of a token [`Self::sign_fields`] made, if its signature holds.
    pub fn verified_fields<'t>(&self, token: &'t str) -> Option<&'t str> {
        let (fields, signature) = token.rsplit_once('.')?;
        let signature = unhex(signature)?;
        let mut mac = self.mac();
        mac.update(fields.as_bytes());
        mac.verify_slice(&signature).ok()?;
        Some(fields)
    }

    /// The token for a link: dot-separated fields, then the hex signature over them.
    pub fn sign(&self, decision: &EmailDecision) -> String {
        let fields = format!(
            "{}.{}.{}.{}.{}.{}",
            decision.site_slug,
            decision.testimonial_id,
            decision.status.as_str(),
            decision.user_id,
            decision.expires_at,
            decision.nonce
        );
        self.sign_fields(&fields)
    }

    pub fn verify(&self, token: &str, now: i64) -> Result<EmailDecision, LinkError> {
        let fields = self.verified_fields(token).ok_or(LinkError::Invalid)?;
        let parts: Vec<&str> = fields.split('.').collect();
        let [site_slug, testimonial_id, status, user_id, expires_at, nonce] = parts[..] else {
            return Err(LinkError::Invalid);
        };
        let decision = EmailDecision {
            site_slug: site_slug.to_owned(),
            testimonial_id: testimonial_id.to_owned(),
            status: Status::parse(status).ok_or(LinkError::Invalid)?,
            user_id: user_id.parse().map_err(|_| LinkError::Invalid)?,
            expires_at: expires_at.parse().map_err(|_| LinkError::Invalid)?,
            nonce: nonce.to_owned(),
        };
        if decision.expires_at <= now {
            return Err(LinkError::Expired);
        }
        Ok(decision)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decision() -> EmailDecision {
        EmailDecision {
            site_slug: "kettle-crow".into(),
            testimonial_id: "abc123".into(),
            status: Status::Approved,
            user_id: 7,
            expires_at: 2_000,
            nonce: "n0nce".into(),
        }
    }

    #[test]
    fn signed_links_verify_until_they_expire() {
        let signer = LinkSigner::new(b"key");
        let token = signer.sign(&decision());
        assert_eq!(signer.verify(&token, 1_000), Ok(decision()));
        assert_eq!(signer.verify(&token, 2_000), Err(LinkError::Expired));
    }

    #[test]
    fn altered_or_foreign_links_are_refused() {
        let signer = LinkSigner::new(b"key");
        let token = signer.sign(&decision());
        let altered = token.replacen("approved", "rejected", 1);
        assert_eq!(signer.verify(&altered, 1_000), Err(LinkError::Invalid));
        assert_eq!(LinkSigner::new(b"other").verify(&token, 1_000), Err(LinkError::Invalid));
        assert_eq!(signer.verify("garbage", 1_000), Err(LinkError::Invalid));
    }
}
