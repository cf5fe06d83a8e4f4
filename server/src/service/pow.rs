//! Optional proof of work on submissions, self-hosted: no third-party captcha. The server hands
//! out signed, expiring challenges; the widget finds a counter whose SHA-256 together with the
//! challenge starts with the site's number of zero bits; the server checks it in one hash and
//! accepts each challenge once. Costly for a flood, a second or two for one visitor.

use sha2::{Digest, Sha256};

use super::notify::links::LinkSigner;
use crate::secrets;

/// How long a challenge may be solved and used.
pub const CHALLENGE_LIFETIME_MS: i64 = 10 * 60 * 1000;
/// The most a site may ask: beyond this a phone would take minutes.
pub const MAX_DIFFICULTY: u8 = 24;

/// A new challenge for the site: `pow.SITE.ISSUED_AT.NONCE.SIGNATURE`.
pub fn challenge(signer: &LinkSigner, site_slug: &str, now: i64) -> String {
    signer.sign_fields(&format!("pow.{site_slug}.{now}.{}", secrets::nonce()))
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum PowError {
    #[error("is missing: this site asks the form to solve a small puzzle first")]
    Missing,
    #[error("is not a solution to a challenge from this server")]
    Invalid,
    #[error("has expired; please send the form again")]
    Expired,
    #[error("is not a solution: too few leading zero bits")]
    TooEasy,
    #[error("was already used")]
    Replayed,
}

/// A checked solution: the nonce to record as used (the caller does, so it counts once).
#[derive(Debug, PartialEq, Eq)]
pub struct Solved {
    pub nonce: String,
}

/// Checks `solution` (`CHALLENGE:COUNTER`) against the site and its difficulty.
pub fn check(
    signer: &LinkSigner,
    site_slug: &str,
    difficulty: u8,
    solution: &str,
    now: i64,
) -> Result<Solved, PowError> {
    let (challenge, counter) = solution.rsplit_once(':').ok_or(PowError::Invalid)?;
    let fields = signer.verified_fields(challenge).ok_or(PowError::Invalid)?;
    let parts: Vec<&str> = fields.split('.').collect();
    let ["pow", site, issued_at, nonce] = parts[..] else { return Err(PowError::Invalid) };
    if site != site_slug
        || counter.is_empty()
        || !counter.bytes().all(|b| b.is_ascii_digit())
        || counter.len() > 20
    {
        return Err(PowError::Invalid);
    }
    let issued_at: i64 = issued_at.parse().map_err(|_| PowError::Invalid)?;
    if now - issued_at > CHALLENGE_LIFETIME_MS || issued_at - now > 60_000 {
        return Err(PowError::Expired);
    }
    if leading_zero_bits(&Sha256::digest(solution.as_bytes())) < u32::from(difficulty) {
        return Err(PowError::TooEasy);
    }
    Ok(Solved { nonce: format!("pow:{nonce}") })
}

pub fn leading_zero_bits(digest: &[u8]) -> u32 {
    let mut bits = 0;
    for byte in digest {
        if *byte == 0 {
            bits += 8;
        } else {
            return bits + byte.leading_zeros();
        }
    }
    bits
}

/// Finds a solution the slow way, as the widget does (for tests and tools).
pub fn solve(challenge: &str, difficulty: u8) -> String {
    (0u64..)
        .map(|counter| format!("{challenge}:{counter}"))
        .find(|candidate| leading_zero_bits(&Sha256::digest(candidate.as_bytes())) >= u32::from(difficulty))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solutions_are_checked_for_site_time_and_work() {
        let signer = LinkSigner::new(b"key");
        let challenge = challenge(&signer, "acme", 1_000_000);
        let solution = solve(&challenge, 8);
        assert!(check(&signer, "acme", 8, &solution, 1_000_500).is_ok());
        assert_eq!(check(&signer, "globex", 8, &solution, 1_000_500), Err(PowError::Invalid));
        assert_eq!(
            check(&signer, "acme", 8, &solution, 1_000_000 + CHALLENGE_LIFETIME_MS + 1),
            Err(PowError::Expired)
        );
        assert_eq!(
            check(&LinkSigner::new(b"other"), "acme", 8, &solution, 1_000_500),
            Err(PowError::Invalid)
        );
        let weak = (0u64..)
            .map(|n| format!("{challenge}:{n}"))
            .find(|s| leading_zero_bits(&Sha256::digest(s.as_bytes())) < 4)
            .unwrap();
        assert_eq!(check(&signer, "acme", 8, &weak, 1_000_500), Err(PowError::TooEasy));
        assert_eq!(check(&signer, "acme", 0, "garbage", 1_000_500), Err(PowError::Invalid));
    }

    #[test]
    fn zero_bits_are_counted_across_bytes() {
        assert_eq!(leading_zero_bits(&[0, 0, 0b0001_0000]), 19);
        assert_eq!(leading_zero_bits(&[0xff]), 0);
    }
}
