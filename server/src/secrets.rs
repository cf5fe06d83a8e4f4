//! Random identifiers, bearer secrets and their stored hashes.

use sha2::{Digest, Sha256};

/// Lower-case letters and digits without look-alikes (no 0/o, 1/l/i), so ids survive being
/// read aloud or copied by hand.
const ALPHABET: &[u8; 32] = b"abcdefghjkmnpqrstuvwxyz23456789_";

fn random_string(length: usize) -> String {
    let mut bytes = vec![0u8; length];
    // The OS random source failing means the machine cannot keep secrets at all.
    getrandom::fill(&mut bytes).expect("the operating system's random source is unavailable");
    // 31 symbols used (the underscore is never drawn) keeps ids purely alphanumeric; the tiny
    // modulo bias is irrelevant at these lengths.
    bytes.iter().map(|byte| ALPHABET[usize::from(*byte) % 31] as char).collect()
}

/// A public, unguessable testimonial id.
pub fn testimonial_id() -> String {
    random_string(16)
}

/// A referral code: random, so codes say nothing about how many exist or who came before.
pub fn referral_code() -> String {
    use fanfare_protocol::referrals::{CODE_ALPHABET, CODE_LENGTH};
    let mut bytes = [0u8; CODE_LENGTH];
    getrandom::fill(&mut bytes).expect("the operating system's random source is unavailable");
    // 30 symbols: 256 % 30 leaves a bias of under 0.5 %, irrelevant for codes this long.
    bytes.iter().map(|byte| CODE_ALPHABET[usize::from(*byte) % CODE_ALPHABET.len()] as char).collect()
}

/// A bearer secret: an API token or a manage-link token. Only its hash is stored.
pub fn bearer_token(prefix: &str) -> String {
    format!("{prefix}_{}", random_string(32))
}

/// 32 random bytes as hex, for keys the server keeps for itself.
pub fn random_key() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system's random source is unavailable");
    hex(&bytes)
}

/// Bytes as lower-case hex: digests, signatures, keys.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// A short random string for nonces and CSRF tokens.
pub fn nonce() -> String {
    random_string(24)
}

/// Compares secrets in time independent of where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The hash under which a bearer secret is stored and looked up.
pub fn hash_token(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_alphanumeric_and_distinct() {
        let a = testimonial_id();
        let b = testimonial_id();
        assert_eq!(a.len(), 16);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(a, b);
    }

    #[test]
    fn tokens_carry_their_prefix_and_hash_stably() {
        let token = bearer_token("fft");
        assert!(token.starts_with("fft_"));
        assert_eq!(token.len(), "fft_".len() + 32);
        assert_ne!(token, bearer_token("fft"));
        // Stored hashes outlive releases: a token issued today must still be found after an
        // upgrade, so the hash is pinned to SHA-256 in lower-case hex (FIPS 180-2's vectors).
        assert_eq!(hash_token(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        assert_eq!(hash_token("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(
            hash_token("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        );
    }
}
