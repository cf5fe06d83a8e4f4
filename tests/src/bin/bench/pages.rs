//! The demo pages, and copies of them the demo website does not serve: without Fanfare
//! (`?fanfare=off`: no loader script, no mounts) and with the wall's server-rendered fragment
//! included in the HTML (`?fanfare=static-wall`), as a host's own server or static-site build
//! would include it. [`PageCopies`] is a tiny loopback server that fetches each page from the
//! demo website and changes it; every other file (stylesheets, scripts) passes through as it is.

use std::ops::Range;
use std::path::Path;

use anyhow::{bail, Context};
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

/// The modes that need no WebAssembly (PRODUCT.md, read-only modes).
pub const READ_ONLY_MODES: [&str; 3] = ["wall", "carousel", "badge"];

/// `demo/*.html`, by name, sorted.
pub fn demo_pages(root: &Path) -> anyhow::Result<Vec<String>> {
    let dir = root.join("demo");
    let mut pages: Vec<String> = std::fs::read_dir(&dir)
        .with_context(|| format!("listing {}", dir.display()))?
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| name.ends_with(".html"))
        .collect();
    pages.sort();
    Ok(pages)
}

/// The `data-fanfare` modes of a page's mounts, in document order.
pub fn mounts(html: &str) -> anyhow::Result<Vec<String>> {
    Ok(elements(html, |tag| tag.contains("data-fanfare="))?
        .into_iter()
        .filter_map(|range| attribute(&html[range], "data-fanfare"))
        .collect())
}

/// The page without Fanfare: the loader's script tag and every mount taken out.
pub fn without_fanfare(html: &str) -> anyhow::Result<String> {
    let ours = elements(html, |tag| {
        (tag.starts_with("<script") && tag.contains("embed.js")) || tag.contains("data-fanfare=")
    })?;
    if ours.is_empty() {
        bail!("no Fanfare script tag or mount in the page");
    }
    let mut out = html.to_owned();
    for range in ours.into_iter().rev() {
        out.replace_range(range, "");
    }
    Ok(out)
}

/// The page with its wall mount replaced by `fragment`, inside the mount's element (its classes
/// kept, its `data-fanfare` dropped so the loader leaves it alone).
pub fn with_static_wall(html: &str, fragment: &str) -> anyhow::Result<String> {
    let walls = elements(html, |tag| attribute(tag, "data-fanfare").as_deref() == Some("wall"))?;
    let [wall] = walls.as_slice() else {
        bail!("expected one wall mount, found {}", walls.len());
    };
    let element = &html[wall.clone()];
    let open_end = element.find('>').context("the mount's opening tag ends")? + 1;
    let close_start = element.rfind("</").context("the mount is closed")?;
    let opening = element[..open_end].replace(" data-fanfare=\"wall\"", "");
    let mut out = html.to_owned();
    out.replace_range(wall.clone(), &format!("{opening}{fragment}{}", &element[close_start..]));
    Ok(out)
}

/// Byte ranges, opening tag to closing tag, of the elements whose opening tag `wanted` accepts.
/// For the demo pages' plain markup (no inline scripts; mounts are empty elements).
fn elements(html: &str, wanted: impl Fn(&str) -> bool) -> anyhow::Result<Vec<Range<usize>>> {
    let mut found = Vec::new();
    let mut at = 0;
    while let Some(offset) = html[at..].find('<') {
        let start = at + offset;
        let Some(length) = html[start..].find('>') else { break };
        let tag = &html[start..=start + length];
        at = start + length + 1;
        if tag.starts_with("</") || tag.starts_with("<!") || !wanted(tag) {
            continue;
        }
        let name: String = tag[1..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-').collect();
        let close = format!("</{name}>");
        let end =
            html[at..].find(&close).with_context(|| format!("no {close} after {tag}"))? + at + close.len();
        found.push(start..end);
        at = end;
    }
    Ok(found)
}

/// The double-quoted value of `name` in an opening tag.
fn attribute(tag: &str, name: &str) -> Option<String> {
    let marker = format!(" {name}=\"");
    let start = tag.find(&marker)? + marker.len();
    Some(tag[start..].split('"').next()?.to_owned())
}

/// The loopback server of page copies; stops when dropped.
pub struct PageCopies {
    url: String,
    _stop: tokio::sync::oneshot::Sender<()>,
}

#[derive(Clone)]
struct Upstream {
    site_url: String,
    /// The wall fragment to include, when the Fanfare server serves one.
    wall_fragment: Option<String>,
    http: reqwest::Client,
}

impl PageCopies {
    pub async fn start(site_url: &str, wall_fragment: Option<String>) -> anyhow::Result<Self> {
        let listener =
            tokio::net::TcpListener::bind("127.0.0.1:0").await.context("binding the page copies' port")?;
        let url = format!("http://{}", listener.local_addr()?);
        let upstream =
            Upstream { site_url: site_url.to_owned(), wall_fragment, http: reqwest::Client::new() };
        let router = axum::Router::new().fallback(copy).with_state(upstream);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, router)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await;
        });
        Ok(Self { url, _stop: stop })
    }

    pub fn without_fanfare(&self, page: &str) -> String {
        format!("{}/{page}?fanfare=off", self.url)
    }

    pub fn with_static_wall(&self, page: &str) -> String {
        format!("{}/{page}?fanfare=static-wall", self.url)
    }
}

/// One file from the demo website, changed as the query asks. Failures answer 502 with the
/// reason, which the bench then sees as a page that did not render.
async fn copy(State(upstream): State<Upstream>, uri: Uri, asked: HeaderMap) -> Response {
    match fetch_and_change(&upstream, &uri, &asked).await {
        Ok(response) => response,
        Err(error) => (StatusCode::BAD_GATEWAY, format!("{error:#}")).into_response(),
    }
}

async fn fetch_and_change(upstream: &Upstream, uri: &Uri, asked: &HeaderMap) -> anyhow::Result<Response> {
    let url = format!("{}{}", upstream.site_url, uri.path());
    let mut request = upstream.http.get(&url);
    // A file passed through as it is comes as the browser asked for it: compressed, when the
    // demo website compresses it (the wholesale page's stylesheets), as on the page with Fanfare.
    // A page to change comes as it is.
    if let (None, Some(accepted)) = (uri.query(), asked.get(header::ACCEPT_ENCODING)) {
        request = request.header(header::ACCEPT_ENCODING, accepted.clone());
    }
    let response = request.send().await.with_context(|| format!("fetching {url}"))?;
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.bytes().await.with_context(|| format!("reading {url}"))?.to_vec();
    let page = || String::from_utf8(body.clone()).with_context(|| format!("{url} is not UTF-8"));
    let body = match uri.query() {
        Some("fanfare=off") => without_fanfare(&page()?)?.into_bytes(),
        Some("fanfare=static-wall") => {
            let fragment =
                upstream.wall_fragment.as_deref().context("the Fanfare server serves no wall fragment")?;
            with_static_wall(&page()?, fragment)?.into_bytes()
        }
        _ => body,
    };
    let mut out = (status, body).into_response();
    for name in
        [header::CONTENT_TYPE, header::CONTENT_SECURITY_POLICY, header::CONTENT_ENCODING, header::VARY]
    {
        if let Some(value) = headers.get(&name) {
            out.headers_mut().insert(name, value.clone());
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = r#"<head><script src="http://api/embed.js" data-site="demo" async></script>
<link rel="stylesheet" href="style.css"></head><body><p>Hello</p>
<div class="wall-slot" data-fanfare="wall"></div><div data-fanfare="badge" data-href="x.html"></div>
<fanfare-carousel data-fanfare="carousel"><template shadowrootmode="open"><div></div></template></fanfare-carousel></body>"#;

    #[test]
    fn mounts_and_included_fragments_are_listed_in_order() {
        assert_eq!(mounts(PAGE).unwrap(), ["wall", "badge", "carousel"]);
    }

    #[test]
    fn without_fanfare_keeps_everything_else() {
        // Mounts, the loader, and fragments included in the HTML all go.
        assert_eq!(
            without_fanfare(PAGE).unwrap(),
            "<head>\n<link rel=\"stylesheet\" href=\"style.css\"></head><body><p>Hello</p>\n\n</body>"
        );
        assert!(without_fanfare("<p>no widget</p>").is_err());
    }

    #[test]
    fn the_static_wall_takes_the_mounts_place() {
        let page = with_static_wall(PAGE, "<fanfare-wall>items</fanfare-wall>").unwrap();
        assert!(
            page.contains(
                r#"<div class="wall-slot"><fanfare-wall>items</fanfare-wall></div><div data-fanfare="badge""#
            ),
            "{page}"
        );
        assert!(page.contains("embed.js"), "{page}");
    }

    /// A stylesheet comes through the copy as the demo website sent it (gzipped for a browser
    /// that accepts gzip), so both variants of a page pay the same bytes for it; a page to
    /// change is asked for as it is, and sent changed.
    #[tokio::test]
    async fn files_pass_through_as_sent_and_pages_are_changed_uncompressed() -> anyhow::Result<()> {
        let website = axum::Router::new().fallback(|asked: HeaderMap| async move {
            match asked.get(header::ACCEPT_ENCODING) {
                Some(_) => ([(header::CONTENT_ENCODING, "gzip")], "(gzipped bytes)").into_response(),
                None => PAGE.into_response(),
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let site_url = format!("http://{}", listener.local_addr()?);
        tokio::spawn(async move { axum::serve(listener, website).await });
        let copies = PageCopies::start(&site_url, None).await?;
        let http = reqwest::Client::new();

        let css = http
            .get(format!("{}/vendor/x.css", copies.url))
            .header(header::ACCEPT_ENCODING, "gzip")
            .send()
            .await?;
        assert_eq!(
            css.headers().get(header::CONTENT_ENCODING).map(|value| value.as_bytes()),
            Some(&b"gzip"[..])
        );
        assert_eq!(css.text().await?, "(gzipped bytes)");

        let page = http
            .get(copies.without_fanfare("page.html"))
            .header(header::ACCEPT_ENCODING, "gzip")
            .send()
            .await?;
        assert!(page.headers().get(header::CONTENT_ENCODING).is_none());
        assert_eq!(page.text().await?, without_fanfare(PAGE)?);
        Ok(())
    }
}
