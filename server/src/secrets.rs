//! Random identifiers, bearer secrets and their stored hashes; answers sealed under a secret only
//! the client holds.

use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use hmac::{Hmac, Mac};
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

/// A testimonial id derived from `seed`: the same seed always gives the same id, in the alphabet
/// and length of [`testimonial_id`] (for an imported item that needs an id of its own).
pub fn derived_id(seed: &str) -> String {
    // 16 of SHA-256's bytes, each to one of 31 symbols as above.
    Sha256::digest(seed.as_bytes())
        .iter()
        .take(16)
        .map(|byte| ALPHABET[usize::from(*byte) % 31] as char)
        .collect()
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

/// A secret the client sent and the server must not keep (an `Idempotency-Key`): the server
/// stores only values derived from it: a lookup hash, keyed digests, and answers sealed under it,
/// so the database alone can neither find a key's row by guessing nor read what it holds.
pub struct ClientSecret<'a>(&'a str);

impl<'a> ClientSecret<'a> {
    pub fn new(raw: &'a str) -> Self {
        Self(raw)
    }

    /// HMAC-SHA256 keyed by the client's secret, one label per use, so the derived values are
    /// independent of each other.
    fn derive(&self, label: &str, data: &[u8]) -> [u8; 32] {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(self.0.as_bytes()).expect("HMAC takes any key length");
        mac.update(label.as_bytes());
        mac.update(b"\n");
        mac.update(data);
        mac.finalize().into_bytes().into()
    }

    /// What the row is found under.
    pub fn lookup(&self) -> String {
        hex(&self.derive("fanfare lookup v1", b""))
    }

    /// A digest of `data` that only the secret's holder can reproduce (unlike a plain hash of a
    /// visitor's words, which anyone could confirm by guessing).
    pub fn digest(&self, data: &str) -> String {
        hex(&self.derive("fanfare digest v1", data.as_bytes()))
    }

    /// `plaintext` encrypted and authenticated (ChaCha20-Poly1305) under a key derived from the
    /// secret: `v1.` + hex(nonce) + hex(ciphertext).
    pub fn seal(&self, plaintext: &str) -> String {
        let cipher = ChaCha20Poly1305::new(Key::from_slice(&self.derive("fanfare seal v1", b"")));
        let mut nonce = [0u8; 12];
        getrandom::fill(&mut nonce).expect("the operating system's random source is unavailable");
        // Encryption into a Vec fails only on lengths far beyond any answer we store.
        let sealed = cipher
            .encrypt(Nonce::from_slice(&nonce), plaintext.as_bytes())
            .expect("ChaCha20-Poly1305 encrypts any answer of sane length");
        format!("v1.{}{}", hex(&nonce), hex(&sealed))
    }

    /// What [`Self::seal`] sealed, if it was sealed under this secret and not altered.
    pub fn open(&self, sealed: &str) -> Option<String> {
        let bytes = unhex(sealed.strip_prefix("v1.")?)?;
        if bytes.len() < 12 {
            return None;
        }
        let (nonce, ciphertext) = bytes.split_at(12);
        let cipher = ChaCha20Poly1305::new(Key::from_slice(&self.derive("fanfare seal v1", b"")));
        let plaintext = cipher.decrypt(Nonce::from_slice(nonce), ciphertext).ok()?;
        String::from_utf8(plaintext).ok()
    }
}

/// Lower-case (or upper-case) hex back to bytes; `None` for anything else.
fn unhex(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect()
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

    #[test]
    fn sealed_answers_open_only_under_their_secret() {
        let secret = ClientSecret::new("4f1c2b7e-key");
        let sealed = secret.seal("{\"manage_url\":\"https://x/manage/ffm_abc\"}");
        assert!(!sealed.contains("ffm_abc"), "{sealed}");
        assert_eq!(secret.open(&sealed).as_deref(), Some("{\"manage_url\":\"https://x/manage/ffm_abc\"}"));
        assert_eq!(ClientSecret::new("another-key").open(&sealed), None);
        let mut altered = sealed.clone();
        let flipped = if sealed.ends_with('0') { "1" } else { "0" };
        altered.replace_range(sealed.len() - 1.., flipped);
        assert_eq!(secret.open(&altered), None);
        assert_eq!(secret.open("v1.zz"), None);
        assert_ne!(secret.lookup(), ClientSecret::new("another-key").lookup());
        assert_ne!(secret.lookup(), hash_token("4f1c2b7e-key"));
        assert_eq!(secret.digest("a"), secret.digest("a"));
        assert_ne!(secret.digest("a"), secret.digest("b"));
    }
}
