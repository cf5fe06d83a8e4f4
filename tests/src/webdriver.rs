//! A small W3C WebDriver client: only the commands our tests use, including the shadow-root
//! commands that reach inside each widget mount.
//!
//! Written here rather than pulled in because the common Rust clients do not expose shadow
//! roots directly, and the protocol is a handful of JSON requests.

use std::time::Duration;

use anyhow::{bail, Context};
use serde_json::{json, Value};

/// The key WebDriver uses to mark an element reference in JSON.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";
const SHADOW_KEY: &str = "shadow-6066-11e4-a52e-4f735466cecf";

#[derive(Clone)]
pub struct Session {
    http: reqwest::Client,
    base: String,
}

/// An element in the page or in a shadow root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Element(pub String);

impl Element {
    /// The JSON form used as a script argument.
    pub fn to_json(&self) -> Value {
        json!({ ELEMENT_KEY: self.0 })
    }
}

#[derive(Clone, Debug)]
pub struct ShadowRoot(String);

impl Session {
    pub async fn start(driver_url: &str, capabilities: Value) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder().timeout(Duration::from_secs(60)).build()?;
        let response: Value = http
            .post(format!("{driver_url}/session"))
            .json(&json!({ "capabilities": { "alwaysMatch": capabilities } }))
            .send()
            .await
            .context("asking chromedriver for a session")?
            .json()
            .await?;
        let id = response["value"]["sessionId"]
            .as_str()
            .with_context(|| format!("chromedriver refused a session: {response}"))?;
        Ok(Self { http, base: format!("{driver_url}/session/{id}") })
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> anyhow::Result<Value> {
        let mut request = self.http.request(method.clone(), format!("{}{path}", self.base));
        if let Some(body) = body {
            request = request.json(&body);
        } else if method == reqwest::Method::POST {
            request = request.json(&json!({}));
        }
        let response = request.send().await.with_context(|| format!("WebDriver {method} {path}"))?;
        let status = response.status();
        let value: Value =
            response.json().await.with_context(|| format!("WebDriver {method} {path}: body"))?;
        if !status.is_success() {
            bail!("WebDriver {method} {path} failed ({status}): {}", value["value"]);
        }
        Ok(value["value"].clone())
    }

    pub async fn goto(&self, url: &str) -> anyhow::Result<()> {
        self.call(reqwest::Method::POST, "/url", Some(json!({ "url": url }))).await.map(drop)
    }

    pub async fn refresh(&self) -> anyhow::Result<()> {
        self.call(reqwest::Method::POST, "/refresh", None).await.map(drop)
    }

    /// Runs `script` (a function body; `arguments` holds `args`) and returns its result.
    pub async fn execute(&self, script: &str, args: Vec<Value>) -> anyhow::Result<Value> {
        self.call(reqwest::Method::POST, "/execute/sync", Some(json!({ "script": script, "args": args })))
            .await
    }

    /// Sends a Chrome DevTools Protocol command to the page (chromedriver's extension), for what
    /// WebDriver cannot do, such as holding a request unanswered.
    pub async fn devtools(&self, command: &str, params: Value) -> anyhow::Result<Value> {
        self.call(
            reqwest::Method::POST,
            "/goog/cdp/execute",
            Some(json!({ "cmd": command, "params": params })),
        )
        .await
    }

    pub async fn find(&self, css: &str) -> anyhow::Result<Option<Element>> {
        let found = self
            .call(reqwest::Method::POST, "/elements", Some(json!({ "using": "css selector", "value": css })))
            .await?;
        Ok(first_element(&found))
    }

    pub async fn shadow_root(&self, host: &Element) -> anyhow::Result<Option<ShadowRoot>> {
        match self.call(reqwest::Method::GET, &format!("/element/{}/shadow", host.0), None).await {
            Ok(value) => Ok(value[SHADOW_KEY].as_str().map(|id| ShadowRoot(id.to_owned()))),
            Err(_) => Ok(None),
        }
    }

    pub async fn find_in(&self, root: &ShadowRoot, css: &str) -> anyhow::Result<Option<Element>> {
        let found = self
            .call(
                reqwest::Method::POST,
                &format!("/shadow/{}/elements", root.0),
                Some(json!({ "using": "css selector", "value": css })),
            )
            .await?;
        Ok(first_element(&found))
    }

    pub async fn click(&self, element: &Element) -> anyhow::Result<()> {
        self.call(reqwest::Method::POST, &format!("/element/{}/click", element.0), None).await.map(drop)
    }

    /// Types into an element as a keyboard would.
    pub async fn send_keys(&self, element: &Element, text: &str) -> anyhow::Result<()> {
        self.call(
            reqwest::Method::POST,
            &format!("/element/{}/value", element.0),
            Some(json!({ "text": text })),
        )
        .await
        .map(drop)
    }

    /// Presses each key of `keys` (text, or WebDriver key codes such as `\u{E004}` for Tab) and
    /// lets it go, into whatever has focus: the W3C key actions, so nothing runs in the page.
    pub async fn press(&self, keys: &str) -> anyhow::Result<()> {
        let actions: Vec<Value> = keys
            .chars()
            .flat_map(|key| {
                let key = key.to_string();
                [json!({ "type": "keyDown", "value": key }), json!({ "type": "keyUp", "value": key })]
            })
            .collect();
        let body = json!({ "actions": [{ "type": "key", "id": "keyboard", "actions": actions }] });
        self.call(reqwest::Method::POST, "/actions", Some(body)).await.map(drop)
    }

    /// The element that has focus.
    pub async fn active(&self) -> anyhow::Result<Option<Element>> {
        let value = self.call(reqwest::Method::GET, "/element/active", None).await?;
        Ok(value[ELEMENT_KEY].as_str().map(|id| Element(id.to_owned())))
    }

    pub async fn text(&self, element: &Element) -> anyhow::Result<String> {
        let value = self.call(reqwest::Method::GET, &format!("/element/{}/text", element.0), None).await?;
        Ok(value.as_str().unwrap_or_default().to_owned())
    }

    pub async fn property(&self, element: &Element, name: &str) -> anyhow::Result<Value> {
        self.call(reqwest::Method::GET, &format!("/element/{}/property/{name}", element.0), None).await
    }

    /// The value of the named cookie for the current page, HttpOnly ones included.
    pub async fn cookie(&self, name: &str) -> anyhow::Result<Option<String>> {
        match self.call(reqwest::Method::GET, &format!("/cookie/{name}"), None).await {
            Ok(cookie) => Ok(cookie["value"].as_str().map(str::to_owned)),
            Err(_) => Ok(None),
        }
    }

    /// A PNG of the viewport.
    pub async fn screenshot(&self) -> anyhow::Result<Vec<u8>> {
        use base64::Engine as _;
        let encoded = self.call(reqwest::Method::GET, "/screenshot", None).await?;
        let encoded = encoded.as_str().context("the screenshot is not a string")?;
        Ok(base64::engine::general_purpose::STANDARD.decode(encoded)?)
    }

    pub async fn quit(&self) -> anyhow::Result<()> {
        self.http.delete(&self.base).send().await.context("closing the WebDriver session")?;
        Ok(())
    }
}

fn first_element(found: &Value) -> Option<Element> {
    found.as_array()?.first()?[ELEMENT_KEY].as_str().map(|id| Element(id.to_owned()))
}
