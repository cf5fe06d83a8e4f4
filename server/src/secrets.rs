//! Random identifiers, bearer secrets and their stored hashes; answers sealed under a secret only
//! the client holds; the secrets the server must use again, sealed under the operator's key.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
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
/// so the database alone can neither find a key's row by guessing nor read what it holds. The
/// operator's key goes into every derivation too: a short or guessable client key (`order-1`)
/// cannot be tried against a copy of the database by someone without the operator's key.
pub struct ClientSecret([u8; 32]);

impl ClientSecret {
    pub fn new(operator: &SecretKey, raw: &str) -> Self {
        Self(derive(&operator.0, "fanfare client secret v1", raw.as_bytes()))
    }

    /// HMAC-SHA256 keyed by the client's secret (mixed with the operator's), one label per use,
    /// so the derived values are independent of each other.
    fn derive(&self, label: &str, data: &[u8]) -> [u8; 32] {
        derive(&self.0, label, data)
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
    /// secret: see [`seal`].
    pub fn seal(&self, plaintext: &str) -> String {
        seal(&self.derive("fanfare seal v1", b""), b"", plaintext)
    }

    /// What [`Self::seal`] sealed, if it was sealed under this secret and not altered.
    pub fn open(&self, sealed: &str) -> Option<String> {
        open(&self.derive("fanfare seal v1", b""), b"", sealed)
    }
}

/// HMAC-SHA256 keyed by `key` over `label`, a newline and `data`: one label per use, so values
/// derived from one key are independent of each other.
fn derive(key: &[u8], label: &str, data: &[u8]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(label.as_bytes());
    mac.update(b"\n");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// The one way anything is sealed: `plaintext` encrypted and authenticated with
/// ChaCha20-Poly1305 under `key`, bound to `context` (associated data, so a value sealed for one
/// use does not open as another): `v1.` + hex(nonce) + hex(ciphertext).
fn seal(key: &[u8; 32], context: &[u8], plaintext: &str) -> String {
    let cipher = ChaCha20Poly1305::new(Key::from_slice(key));
    let mut nonce = [0u8; 12];
    getrandom::fill(&mut nonce).expect("the operating system's random source is unavailable");
    // Encryption into a Vec fails only on lengths far beyond any value we store.
    let sealed = cipher
        .encrypt(Nonce::from_slice(&nonce), Payload { msg: plaintext.as_bytes(), aad: context })
        .expect("ChaCha20-Poly1305 encrypts any value of sane length");
    format!("{SEALED_PREFIX}{}{}", hex(&nonce), hex(&sealed))
}

/// What [`seal`] sealed under `key` for `context`, if it was not altered.
fn open(key: &[u8; 32], context: &[u8], sealed: &str) -> Option<String> {
    let bytes = unhex(sealed.strip_prefix(SEALED_PREFIX)?)?;
    if bytes.len() < 12 {
        return None;
    }
    let (nonce, ciphertext) = bytes.split_at(12);
    let cipher = ChaCha20Poly1305::new(Key::from_slice(key));
    let plaintext =
        cipher.decrypt(Nonce::from_slice(nonce), Payload { msg: ciphertext, aad: context }).ok()?;
    String::from_utf8(plaintext).ok()
}

/// How every sealed value starts. Plain secrets never do (webhook secrets start `whsec_`, server
/// keys are hex), which is how rows written before sealing are told apart.
const SEALED_PREFIX: &str = "v1.";

/// The operator's secret key: 32 random bytes held outside the database, under which the
/// secrets the server must use again (its link-signing key, webhook signing secrets) are sealed
/// at rest. Never printed: `Debug` shows nothing of it.
#[derive(Clone)]
pub struct SecretKey([u8; 32]);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(…)")
    }
}

impl SecretKey {
    pub const LENGTH: usize = 32;

    /// A fresh random key.
    pub fn generate() -> Self {
        let mut bytes = [0u8; Self::LENGTH];
        getrandom::fill(&mut bytes).expect("the operating system's random source is unavailable");
        Self(bytes)
    }

    /// A key written as hex (64 digits) or base64 (standard or URL-safe alphabet, padding
    /// optional); surrounding whitespace, such as a key file's final newline, is ignored. The
    /// error names what is wrong, never the text itself.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text.is_empty() {
            return Err("is empty; it must be 32 random bytes as hex (64 digits) or base64".to_owned());
        }
        // Even-length hex is read as hex: 32 bytes in base64 are 43 symbols or end in `=`, so
        // a right-sized key is never ambiguous, and a wrong-sized one is measured as meant.
        let bytes = if text.len().is_multiple_of(2) && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            unhex(text)
        } else {
            unbase64(text)
        };
        let bytes = bytes.ok_or_else(|| {
            "is neither hex nor base64; it must be 32 random bytes written as 64 hex digits or in base64"
                .to_owned()
        })?;
        let length = bytes.len();
        <[u8; Self::LENGTH]>::try_from(bytes).map(Self).map_err(|_| {
            format!(
                "is {length} bytes long; it must be exactly 32 bytes (64 hex digits or 44 base64 characters)"
            )
        })
    }

    /// The key as a key file holds it: 64 hex digits and a newline.
    pub fn to_file_text(&self) -> String {
        format!("{}\n", hex(&self.0))
    }

    /// A value the database records to tell keys apart: an HMAC of a fixed label, which
    /// reveals nothing of the key but differs for every other key.
    pub fn check_value(&self) -> String {
        hex(&derive(&self.0, "fanfare secret key check v1", b""))
    }

    /// `plaintext` sealed for `purpose` (e.g. "webhook secret"): it opens only under this key
    /// and for the same purpose.
    pub fn seal(&self, purpose: &str, plaintext: &str) -> String {
        seal(&self.sealing_key(), purpose.as_bytes(), plaintext)
    }

    /// What [`Self::seal`] sealed for `purpose`, if under this key and not altered.
    pub fn open(&self, purpose: &str, sealed: &str) -> Option<String> {
        open(&self.sealing_key(), purpose.as_bytes(), sealed)
    }

    /// Whether a stored value is sealed already (rows from before sealing are not).
    pub fn is_sealed(value: &str) -> bool {
        value.starts_with(SEALED_PREFIX)
    }

    /// Sealing uses a key derived from the operator's, so the key itself is used for nothing
    /// but derivations, each with its own label.
    fn sealing_key(&self) -> [u8; 32] {
        derive(&self.0, "fanfare operator seal v1", b"")
    }
}

/// Base64 (standard `+/` or URL-safe `-_`, padding optional) back to bytes; `None` for
/// anything else.
fn unbase64(text: &str) -> Option<Vec<u8>> {
    let text = text.trim_end_matches('=');
    let mut bytes = Vec::with_capacity(text.len() * 3 / 4);
    let mut buffer = 0u32;
    let mut bits = 0u32;
    for symbol in text.bytes() {
        let value = match symbol {
            b'A'..=b'Z' => symbol - b'A',
            b'a'..=b'z' => symbol - b'a' + 26,
            b'0'..=b'9' => symbol - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        };
        buffer = (buffer << 6) | u32::from(value);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            // Masked to the low 8 bits, so the cast keeps every bit that matters.
            bytes.push(((buffer >> bits) & 0xff) as u8);
        }
    }
    // Six leftover bits (one symbol past a full group) cannot be base64.
    (bits < 6).then_some(bytes)
}

/// Lower-case (or upper-case) hex back to bytes; `None` for anything else.
pub fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
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
        let operator = SecretKey::generate();
        let secret = ClientSecret::new(&operator, "4f1c2b7e-key");
        let sealed = secret.seal("{\"manage_url\":\"https://x/manage/ffm_abc\"}");
        assert!(!sealed.contains("ffm_abc"), "{sealed}");
        assert_eq!(secret.open(&sealed).as_deref(), Some("{\"manage_url\":\"https://x/manage/ffm_abc\"}"));
        assert_eq!(ClientSecret::new(&operator, "another-key").open(&sealed), None);
        // The same client key under another operator's key: nothing found, nothing opened, so a
        // copy of the database without the operator's key cannot try guessed client keys.
        let elsewhere = ClientSecret::new(&SecretKey::generate(), "4f1c2b7e-key");
        assert_eq!(elsewhere.open(&sealed), None);
        assert_ne!(elsewhere.lookup(), secret.lookup());
        assert_ne!(elsewhere.digest("a"), secret.digest("a"));
        let mut altered = sealed.clone();
        let flipped = if sealed.ends_with('0') { "1" } else { "0" };
        altered.replace_range(sealed.len() - 1.., flipped);
        assert_eq!(secret.open(&altered), None);
        assert_eq!(secret.open("v1.zz"), None);
        assert_ne!(secret.lookup(), ClientSecret::new(&operator, "another-key").lookup());
        assert_ne!(secret.lookup(), hash_token("4f1c2b7e-key"));
        assert_eq!(secret.digest("a"), secret.digest("a"));
        assert_ne!(secret.digest("a"), secret.digest("b"));
    }

    #[test]
    fn secret_keys_parse_from_hex_or_base64_and_name_a_wrong_length() {
        let hex_text = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
        let from_hex = SecretKey::parse(&format!("{hex_text}\n")).unwrap();
        assert_eq!(from_hex.to_file_text(), format!("{hex_text}\n"));
        // The same 32 bytes in base64, with and without padding, standard and URL-safe.
        let base64_text = "ABEiM0RVZneImaq7zN3u/wARIjNEVWZ3iJmqu8zd7v8=";
        for text in [base64_text, base64_text.trim_end_matches('='), &base64_text.replace('/', "_")] {
            let key = SecretKey::parse(text).unwrap_or_else(|error| panic!("{text}: {error}"));
            assert_eq!(key.check_value(), from_hex.check_value(), "{text}");
        }
        assert!(SecretKey::parse(&hex_text.to_uppercase()).is_ok());
        let short = SecretKey::parse("00112233").unwrap_err();
        assert!(short.contains("is 4 bytes long") && short.contains("exactly 32 bytes"), "{short}");
        let long = SecretKey::parse(&format!("{hex_text}00")).unwrap_err();
        assert!(long.contains("is 33 bytes long"), "{long}");
        let junk = SecretKey::parse("not a key!").unwrap_err();
        assert!(junk.contains("neither hex nor base64") && !junk.contains("not a key"), "{junk}");
        assert!(SecretKey::parse("  \n").unwrap_err().contains("is empty"));
        assert_eq!(format!("{from_hex:?}"), "SecretKey(…)");
    }

    #[test]
    fn operator_sealed_values_open_only_under_their_key_and_purpose() {
        let key = SecretKey::generate();
        let sealed = key.seal("webhook secret", "whsec_abc");
        assert!(SecretKey::is_sealed(&sealed) && !sealed.contains("whsec_abc"), "{sealed}");
        assert!(!SecretKey::is_sealed("whsec_abc"));
        assert_eq!(key.open("webhook secret", &sealed).as_deref(), Some("whsec_abc"));
        assert_eq!(key.open("server key email-links", &sealed), None);
        assert_eq!(SecretKey::generate().open("webhook secret", &sealed), None);
        assert_ne!(key.check_value(), SecretKey::generate().check_value());
        assert!(!key.check_value().contains(&key.to_file_text().trim_end()[..16]));
    }
}
