//! `GET /embed/{site}/{mode}.html`: the read-only modes rendered on the server, for the loader
//! and for host pages that include them in their own HTML; and `GET /embed/{site}/theme.css`,
//! the site's colours for them.

mod json_ld;
mod views;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::middleware;
use axum::response::Response;
use axum::routing::get;
use fanfare_protocol::api::ApiError;
use fanfare_protocol::modes::Mode;
use serde::Deserialize;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use self::views::View;
use super::assets::STABLE_STYLESHEET;
use super::cors::site_cors;
use super::encoding::Encoding;
use super::revalidate;
use crate::domain::LinkTarget;
use crate::service::cache::Cached;
use crate::service::reach::Seen;
use crate::service::sites::widget_config;
use crate::service::ServiceError;
use crate::storage::ListQuery;
use crate::web::error::AppError;
use crate::web::request::{list_tag, query_params, shown_as, ListParams, SiteFromPath};
use crate::web::state::AppState;

/// The fragments are documented as `{mode}.html`; the router matches whole segments, so the
/// handler reads the mode from the file name.
#[derive(OpenApi)]
#[openapi(paths(fragment, theme_stylesheet))]
struct EmbedDoc;

pub fn router(state: AppState) -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(EmbedDoc::openapi())
        .route("/embed/{site}/theme.css", get(theme_stylesheet))
        .route("/embed/{site}/{file}", get(fragment))
        .layer(middleware::from_fn_with_state(state, site_cors))
}

/// A CDN or shared cache may keep a fragment for a minute, so a moderation decision or a site
/// change shows within one; browsers ask every time, cheaply (the ETag answers 304), so the
/// moderator who just approved a testimonial sees it on the next view.
const FRESH_FOR: &str = "public, max-age=0, s-maxage=60";

/// `?lang=&limit=&tags=&theme=&href=&cursor=&product=` as typed.
#[derive(Debug, Default, Deserialize)]
pub struct FragmentParams {
    lang: Option<String>,
    limit: Option<String>,
    tags: Option<String>,
    theme: Option<String>,
    /// The badge's link (the mount's `data-href`).
    href: Option<String>,
    /// The next page, for the wall's "show more".
    cursor: Option<String>,
    /// What the testimonials are about, named in the JSON-LD (the site's name by default).
    product: Option<String>,
}

/// A fragment request, checked.
#[derive(Debug)]
struct FragmentQuery {
    list: ListQuery,
    lang: String,
    theme: &'static str,
    href: Option<LinkTarget>,
    /// The JSON-LD's product name, when one was given.
    product: Option<String>,
}

impl FragmentParams {
    fn parse(&self, mode: Mode) -> Result<FragmentQuery, AppError> {
        let mut refused = std::collections::BTreeMap::new();
        let page =
            ListParams { limit: self.limit.clone(), cursor: self.cursor.clone(), ..ListParams::default() };
        let list = match page.parse() {
            Ok(list) => Some(list),
            Err(AppError::Validation(fields)) => {
                refused.extend(fields);
                None
            }
            Err(other) => return Err(other),
        };
        // A wall may list several tags (`data-tags="coffee,gifts"`); the first one filters.
        let first_tag = self.tags.as_deref().and_then(|tags| tags.split(',').next());
        let tag = list_tag(first_tag).map_err(|message| refused.insert("tags".into(), message.into())).ok();
        let lang =
            language_tag(self.lang.as_deref()).map_err(|message| refused.insert("lang".into(), message)).ok();
        let theme = match self.theme.as_deref().map(str::to_ascii_lowercase).as_deref() {
            None | Some("" | "auto") => Some("auto"),
            Some("light") => Some("light"),
            Some("dark") => Some("dark"),
            Some(_) => {
                refused.insert("theme".into(), "must be light, dark or auto".into());
                None
            }
        };
        let href = match self.href.as_deref() {
            None | Some("") => Some(None),
            Some(raw) => LinkTarget::parse(raw)
                .map(Some)
                .map_err(|message| refused.insert("href".into(), message))
                .ok(),
        };
        let product = product_name(self.product.as_deref())
            .map_err(|message| refused.insert("product".into(), message))
            .ok();
        let (Some(mut list), Some(tag), Some(lang), Some(theme), Some(href), Some(product)) =
            (list, tag, lang, theme, href, product)
        else {
            return Err(AppError::Validation(refused));
        };
        list.tag = tag;
        if mode == Mode::Badge {
            // The badge shows the summary only; one item keeps its query cheap.
            list.limit = 1;
        }
        Ok(FragmentQuery { list, lang, theme, href, product })
    }
}

/// `de`, `pt-BR`, `de_DE` (read as `de-DE`), `en_US.UTF-8` (a POSIX locale, read as `en-US`);
/// English when none is given.
fn language_tag(raw: Option<&str>) -> Result<String, String> {
    match raw.map(|tag| tag.trim().split(['.', '@']).next().unwrap_or_default()) {
        None | Some("") => Ok("en".to_owned()),
        Some(tag)
            if tag.len() <= 35
                && tag.starts_with(|c: char| c.is_ascii_alphabetic())
                && tag.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') =>
        {
            Ok(tag.replace('_', "-"))
        }
        Some(_) => Err("must be a language tag such as en or pt-BR".to_owned()),
    }
}

/// The product a fragment's testimonials are about, for its JSON-LD; `None` when not given.
fn product_name(raw: Option<&str>) -> Result<Option<String>, String> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(name) if name.chars().count() <= 100 && !name.chars().any(char::is_control) => {
            Ok(Some(name.to_owned()))
        }
        Some(_) => Err("must be at most 100 characters without control characters".to_owned()),
    }
}

/// A read-only mode's testimonials as HTML: a custom element holding a declarative shadow root
/// with the stylesheets and the items.
#[utoipa::path(
    get,
    path = "/embed/{site}/{mode}.html",
    tag = "public",
    params(
        ("site" = String, Path, description = "The site's slug"),
        ("mode" = String, Path, description = "`wall`, `carousel` or `badge`"),
        ("lang" = Option<String>, Query, description = "Language of the texts, numbers and dates, e.g. `de`; `en` by default"),
        ("limit" = Option<u32>, Query, description = "Testimonials shown, 1 to 50 (20 by default)"),
        ("tags" = Option<String>, Query, description = "Only testimonials with this tag (the first of a comma-separated list)"),
        ("theme" = Option<String>, Query, description = "`light`, `dark` or `auto` (the default: follows the reader's system)"),
        ("href" = Option<String>, Query, description = "Badge only: where it links to (an http(s) address or a path)"),
        ("cursor" = Option<String>, Query, description = "The next page, as the wall's \"show more\" button names it"),
        ("product" = Option<String>, Query, description = "When the site has structured data on: the name of the `Product` its JSON-LD describes (at most 100 characters; the site's name by default)"),
    ),
    responses(
        (status = 200, description = "The fragment", content_type = "text/html"),
        (status = 304, description = "Unchanged since the `ETag` sent in `If-None-Match`"),
        (status = 404, description = "No such site, or a mode that needs the script (collect, refer)", body = ApiError),
        (status = 422, description = "A parameter is invalid; `fields` names it", body = ApiError),
    ),
)]
async fn fragment(
    State(state): State<AppState>,
    SiteFromPath(site): SiteFromPath,
    Path((_, file)): Path<(String, String)>,
    params: Result<Query<FragmentParams>, QueryRejection>,
    // Last and whole, to read its headers without the copy a `HeaderMap` argument makes.
    request: axum::extract::Request,
) -> Result<Response, AppError> {
    let headers = request.headers();
    let mode = file
        .strip_suffix(".html")
        .and_then(Mode::parse)
        .filter(|mode| mode.is_read_only())
        .ok_or(AppError::NotFound("read-only mode (wall, carousel or badge)"))?;
    let query = query_params(params)?.parse(mode)?;
    let base = state.service.public_url();
    let encoding = Encoding::preferred(headers, &[Encoding::Brotli, Encoding::Gzip]);
    // With structured data on, the JSON-LD names the product: the asked one, or the site.
    let product = site.structured_data.then(|| query.product.as_deref().unwrap_or(&site.name));
    // Everything the fragment shows besides the list itself (whose limit, cursor and tag the
    // service adds to the key); the free-form values last and encoded, so no two requests share
    // a key by a stray `|`.
    let variant = format!(
        "{}|{}|{}|{}|{}|{}",
        mode.as_str(),
        query.lang,
        query.theme,
        encoding.as_str(),
        form_urlencoded::byte_serialize(
            query.href.as_ref().map(LinkTarget::as_str).unwrap_or_default().as_bytes()
        )
        .collect::<String>(),
        product
            .map(|name| form_urlencoded::byte_serialize(name.as_bytes()).collect::<String>())
            .unwrap_or_default(),
    );
    // The asked product travels to the next page only when it is shown (in the JSON-LD).
    let asked_product = query.product.as_deref().filter(|_| site.structured_data);
    let cached = state
        .service
        .public_rendering(&site, &query.list, shown_as(headers, Seen::Fragment), &variant, |page| {
            // Built only when the fragment is not cached: the texts are a map of every id.
            let config = widget_config(&site, &query.lang);
            let stylesheets: Vec<String> = state
                .assets
                .stylesheet()
                .map(|_| format!("{base}/widget/{STABLE_STYLESHEET}"))
                .into_iter()
                .chain([format!("{base}/embed/{}/theme.css", site.slug)])
                .collect();
            let more = page
                .next_cursor
                .as_deref()
                .filter(|_| mode == Mode::Wall)
                .map(|cursor| next_page_url(base, &site.slug, &query, asked_product, cursor));
            let view = View {
                mode,
                site_name: &site.name,
                texts: &config.texts,
                lang: &query.lang,
                theme: query.theme,
                stylesheets: &stylesheets,
                href: query.href.as_ref().map(LinkTarget::as_str),
                more,
                json_ld: product.and_then(|name| json_ld::product(name, page, mode != Mode::Badge)),
            };
            let html = views::fragment(page, &view);
            encoding
                .compress(html.as_bytes())
                .map_err(|error| ServiceError::internal("compressing a fragment", error))
        })
        .await?;
    let mut response = revalidated(cached, headers, "text/html; charset=utf-8");
    if let Some(content_encoding) = encoding.header() {
        response.headers_mut().insert(header::CONTENT_ENCODING, content_encoding);
    }
    response.headers_mut().append(header::VARY, HeaderValue::from_static("accept-encoding"));
    Ok(response)
}

/// The wall's next page, with the same language, theme, tag, product and page size.
fn next_page_url(
    base: &str,
    site: &str,
    query: &FragmentQuery,
    product: Option<&str>,
    cursor: &str,
) -> String {
    let mut parameters = form_urlencoded::Serializer::new(String::new());
    parameters.append_pair("lang", &query.lang).append_pair("theme", query.theme);
    parameters.append_pair("limit", &query.list.limit.to_string());
    if let Some(tag) = &query.list.tag {
        parameters.append_pair("tags", tag);
    }
    if let Some(product) = product {
        parameters.append_pair("product", product);
    }
    parameters.append_pair("cursor", cursor);
    format!("{base}/embed/{site}/wall.html?{}", parameters.finish())
}

/// The site's accent colour for the fragments, as the custom property the stylesheet reads.
#[utoipa::path(
    get,
    path = "/embed/{site}/theme.css",
    tag = "public",
    params(("site" = String, Path, description = "The site's slug")),
    responses(
        (status = 200, description = "The site's colours", content_type = "text/css"),
        (status = 304, description = "Unchanged since the `ETag` sent in `If-None-Match`"),
        (status = 404, description = "No such site", body = ApiError),
    ),
)]
async fn theme_stylesheet(SiteFromPath(site): SiteFromPath, headers: HeaderMap) -> Response {
    // The accent was checked to be a hex colour when it was set.
    let body = format!(":host{{--fanfare-site-accent:{}}}\n", site.accent);
    let cached = Cached { etag: crate::service::cache::etag(body.as_bytes()), body: body.into() };
    revalidated(cached, &headers, "text/css; charset=utf-8")
}

/// `cached` for a browser, a CDN or a host page's own server: revalidated by its ETag, kept
/// by shared caches for a minute, never sniffed.
fn revalidated(cached: Cached, request: &HeaderMap, content_type: &'static str) -> Response {
    let mut response = revalidate::revalidated(cached, request, content_type, FRESH_FOR);
    let headers = response.headers_mut();
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    // Opened on its own, a fragment is a page of this origin (the dashboard's): it may run
    // nothing and reach nothing. Fetches and server-side includes ignore this header.
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox; default-src 'none'; style-src *; img-src *"),
    );
    // Host pages that isolate themselves (COEP) still load it.
    headers.insert(
        header::HeaderName::from_static("cross-origin-resource-policy"),
        HeaderValue::from_static("cross-origin"),
    );
    headers.insert(header::HeaderName::from_static("timing-allow-origin"), HeaderValue::from_static("*"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> FragmentParams {
        let query = form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
        let uri: axum::http::Uri = format!("/embed/acme/wall.html?{query}").parse().expect("a URI");
        Query::<FragmentParams>::try_from_uri(&uri).expect("a query string").0
    }

    #[test]
    fn a_fragment_query_is_read_with_the_widgets_defaults() {
        let query = params(&[]).parse(Mode::Wall).expect("no parameters is fine");
        assert_eq!(
            (query.lang.as_str(), query.theme, query.list.limit, query.href),
            ("en", "auto", 20, None)
        );
        let query =
            params(&[("lang", "de_DE"), ("theme", "dark"), ("limit", "3"), ("tags", "Coffee, gifts")])
                .parse(Mode::Wall)
                .expect("valid");
        assert_eq!((query.lang.as_str(), query.theme, query.list.limit), ("de-DE", "dark", 3));
        assert_eq!(query.list.tag.as_deref(), Some("coffee"));
        assert_eq!(params(&[("limit", "9")]).parse(Mode::Badge).expect("valid").list.limit, 1);
        // What the widget accepted, the fragments accept: a theme in capitals, a POSIX locale.
        let query = params(&[("theme", "Dark"), ("lang", "en_US.UTF-8")]).parse(Mode::Wall).expect("valid");
        assert_eq!((query.theme, query.lang.as_str()), ("dark", "en-US"));
    }

    #[test]
    fn every_bad_parameter_is_named_at_once() {
        let bad = params(&[
            ("lang", "<script>"),
            ("theme", "neon"),
            ("limit", "ten"),
            ("href", "javascript:alert(1)"),
            ("cursor", "nope"),
            ("product", "Beans\u{7}"),
        ]);
        let Err(AppError::Validation(fields)) = bad.parse(Mode::Badge) else {
            panic!("refused");
        };
        assert_eq!(
            fields.keys().map(String::as_str).collect::<Vec<_>>(),
            ["href", "lang", "limit", "product", "theme"]
        );
        // Each field's own reason (the cursor is only read once the limit is a number).
        assert!(fields["limit"].contains("whole number"), "{fields:?}");
        let Err(AppError::Validation(fields)) = params(&[("cursor", "nope")]).parse(Mode::Wall) else {
            panic!("refused");
        };
        assert!(fields.contains_key("cursor"), "{fields:?}");
    }

    #[test]
    fn a_product_is_named_in_at_most_100_characters() {
        let named =
            |product: &str| params(&[("product", product)]).parse(Mode::Wall).map(|query| query.product);
        assert_eq!(named(" House Blend ").unwrap().as_deref(), Some("House Blend"));
        assert_eq!(named("").unwrap(), None);
        assert_eq!(named(&"é".repeat(100)).unwrap().map(|name| name.chars().count()), Some(100));
        for bad in ["é".repeat(101), "Line\nbreak".to_owned()] {
            let Err(AppError::Validation(fields)) = named(&bad) else { panic!("refused: {bad:?}") };
            assert!(fields["product"].contains("100 characters"), "{fields:?}");
        }
    }

    #[test]
    fn the_next_page_repeats_what_the_wall_shows_and_nothing_else() {
        let query =
            params(&[("lang", "pt-BR"), ("tags", "House Blend,gifts"), ("limit", "2"), ("product", "A&B")])
                .parse(Mode::Wall)
                .expect("valid");
        let url = next_page_url("https://r.example", "acme", &query, Some("A&B"), "c u/r");
        assert_eq!(
            url,
            "https://r.example/embed/acme/wall.html?lang=pt-BR&theme=auto&limit=2&tags=house+blend&product=A%26B&cursor=c+u%2Fr"
        );
        assert!(!next_page_url("https://r.example", "acme", &query, None, "c").contains("product"));
    }
}
