//! Solving the site's proof-of-work puzzle before a submission, with the browser's own SHA-256
//! (WebCrypto), so no hashing code is added to the widget.

use js_sys::{Function, Promise, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::api;
use crate::config::MountConfig;
use crate::texts::digits;

const TROUBLE: &str = "Your browser could not prepare the submission. Please try again.";

/// `CHALLENGE:COUNTER` for a fresh challenge from the server.
pub async fn solve(config: &MountConfig) -> Result<String, String> {
    let challenge = api::challenge(config).await?;
    let digest = sha256_function().ok_or_else(|| TROUBLE.to_owned())?;
    for counter in 0u64.. {
        let candidate = [challenge.challenge.as_str(), ":", &digits(counter)].concat();
        if leading_zero_bits(&digest.hash(candidate.as_bytes()).await?) >= u32::from(challenge.difficulty) {
            return Ok(candidate);
        }
    }
    Err(TROUBLE.to_owned())
}

struct Digest {
    subtle: JsValue,
    digest: Function,
}

fn sha256_function() -> Option<Digest> {
    let crypto = Reflect::get(&js_sys::global(), &"crypto".into()).ok()?;
    let subtle = Reflect::get(&crypto, &"subtle".into()).ok()?;
    let digest = Reflect::get(&subtle, &"digest".into()).ok()?.dyn_into::<Function>().ok()?;
    Some(Digest { subtle, digest })
}

impl Digest {
    async fn hash(&self, bytes: &[u8]) -> Result<Vec<u8>, String> {
        let promise = self
            .digest
            .call2(&self.subtle, &"SHA-256".into(), &Uint8Array::from(bytes))
            .map_err(|_| TROUBLE.to_owned())?
            .dyn_into::<Promise>()
            .map_err(|_| TROUBLE.to_owned())?;
        let buffer = JsFuture::from(promise).await.map_err(|_| TROUBLE.to_owned())?;
        Ok(Uint8Array::new(&buffer).to_vec())
    }
}

fn leading_zero_bits(digest: &[u8]) -> u32 {
    let mut bits = 0;
    for byte in digest {
        if *byte != 0 {
            return bits + byte.leading_zeros();
        }
        bits += 8;
    }
    bits
}
