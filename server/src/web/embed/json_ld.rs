//! schema.org JSON-LD for a read-only fragment, when the site has structured data on: a
//! `Product` with the honest summary the fragment shows as its `aggregateRating` and one
//! `review` for each testimonial it shows (none on the badge). Search engines accept markup
//! only when it matches what a reader sees, so nothing here is anything the fragment does not
//! show. It is written into a `<script>` element, so `<`, `>` and `&` are escaped: no
//! testimonial can close the element or start another.

use fanfare_protocol::api::{PublicTestimonial, Summary, TestimonialPage};
use fanfare_protocol::fields::without_bidi_controls as shown;
use serde_json::{json, Map, Value};

/// The JSON-LD for `page` as a fragment shows it, `name` being the product it is about;
/// `reviews`: whether the fragment shows the items (a wall or a carousel; not the badge).
/// `None` when the fragment shows no rating at all (nothing to describe).
pub fn product(name: &str, page: &TestimonialPage, reviews: bool) -> Option<String> {
    let shown_items: &[PublicTestimonial] = if reviews { &page.items } else { &[] };
    let aggregate = aggregate_rating(page.summary);
    if aggregate.is_none() && shown_items.is_empty() {
        return None;
    }
    let mut product = Map::new();
    product.insert("@context".into(), json!("https://schema.org"));
    product.insert("@type".into(), json!("Product"));
    product.insert("name".into(), json!(name));
    if let Some(aggregate) = aggregate {
        product.insert("aggregateRating".into(), aggregate);
    }
    if !shown_items.is_empty() {
        product.insert("review".into(), shown_items.iter().map(review).collect());
    }
    Some(script_safe(&Value::Object(product).to_string()))
}

/// The summary line's numbers: the average as the fragment writes it (one decimal).
fn aggregate_rating(summary: Summary) -> Option<Value> {
    let average = summary.average?;
    Some(json!({
        "@type": "AggregateRating",
        "ratingValue": (average * 10.0).round() / 10.0,
        "ratingCount": summary.count,
        "bestRating": 5,
        "worstRating": 1,
    }))
}

/// One testimonial as its card shows it: the name, the stars, the words and the date.
fn review(item: &PublicTestimonial) -> Value {
    json!({
        "@type": "Review",
        "author": { "@type": "Person", "name": shown(&item.name) },
        "reviewRating": {
            "@type": "Rating",
            "ratingValue": item.rating.min(5),
            "bestRating": 5,
            "worstRating": 1,
        },
        "reviewBody": shown(&item.text),
        // RFC 3339: the date is what comes before the `T`.
        "datePublished": item.created_at.split('T').next().unwrap_or_default(),
    })
}

/// JSON that may stand inside `<script>…</script>`: `<`, `>` and `&` only occur inside JSON
/// strings, where their `\u` escapes mean the same characters.
fn script_safe(json: &str) -> String {
    let mut safe = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '<' => safe.push_str("\\u003c"),
            '>' => safe.push_str("\\u003e"),
            '&' => safe.push_str("\\u0026"),
            other => safe.push(other),
        }
    }
    safe
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(name: &str, rating: u8, text: &str) -> PublicTestimonial {
        PublicTestimonial {
            id: format!("id-{name}"),
            name: name.into(),
            role: Some("Barista".into()),
            company: None,
            rating,
            text: text.into(),
            photo_url: None,
            video_url: None,
            poster_url: None,
            captions_url: None,
            reply: Some("Thank you!".into()),
            featured: false,
            edited: false,
            verified: false,
            created_at: "2026-11-30T09:15:00Z".into(),
        }
    }

    fn page(items: Vec<PublicTestimonial>, count: u64, average: Option<f64>) -> TestimonialPage {
        TestimonialPage { items, next_cursor: None, summary: Summary { count, average, verified: 0 } }
    }

    fn parsed(json_ld: Option<String>) -> Value {
        serde_json::from_str(&json_ld.expect("JSON-LD")).expect("valid JSON")
    }

    #[test]
    fn a_wall_is_a_product_with_the_summary_and_a_review_for_each_item_shown() {
        let wall = page(vec![item("Ada", 5, "Lovely."), item("Bea", 4, "Good.")], 3, Some(4.666_666));
        let json = parsed(product("House Blend", &wall, true));
        assert_eq!(json["@context"], "https://schema.org");
        assert_eq!(json["@type"], "Product");
        assert_eq!(json["name"], "House Blend");
        assert_eq!(
            json["aggregateRating"],
            json!({"@type": "AggregateRating", "ratingValue": 4.7, "ratingCount": 3, "bestRating": 5, "worstRating": 1}),
            "the average as the summary line writes it, the count of every counted rating"
        );
        let reviews = json["review"].as_array().expect("reviews");
        assert_eq!(reviews.len(), 2, "only the items shown");
        assert_eq!(
            reviews[1],
            json!({
                "@type": "Review",
                "author": {"@type": "Person", "name": "Bea"},
                "reviewRating": {"@type": "Rating", "ratingValue": 4, "bestRating": 5, "worstRating": 1},
                "reviewBody": "Good.",
                "datePublished": "2026-11-30",
            })
        );
    }

    #[test]
    fn the_badge_has_the_summary_only_and_nothing_rated_has_none() {
        let badge = page(vec![item("Ada", 5, "Lovely.")], 1, Some(5.0));
        let json = parsed(product("Acme", &badge, false));
        assert_eq!(json["aggregateRating"]["ratingValue"], 5.0);
        assert!(json.get("review").is_none(), "{json}");
        assert_eq!(product("Acme", &page(vec![], 0, None), false), None);
        assert_eq!(product("Acme", &page(vec![], 0, None), true), None);
    }

    #[test]
    fn no_testimonial_can_close_the_script_element() {
        let name = "<img src=x onerror=alert(1)>";
        let text = "Great </script><script>alert(1)</script> & <!-- beans -->";
        let json_ld = product("A & B <Shop>", &page(vec![item(name, 5, text)], 1, Some(5.0)), true).unwrap();
        assert!(!json_ld.contains(['<', '>', '&']), "{json_ld}");
        assert!(json_ld.contains(r"\u003c/script\u003e"), "{json_ld}");
        let json: Value = serde_json::from_str(&json_ld).unwrap();
        assert_eq!(json["review"][0]["author"]["name"], name);
        assert_eq!(json["review"][0]["reviewBody"], text);
        assert_eq!(json["name"], "A & B <Shop>");
    }

    #[test]
    fn direction_overrides_are_left_out_as_on_the_card() {
        let json =
            parsed(product("Acme", &page(vec![item("Eve\u{202E}", 5, "Hi\u{2066}")], 1, Some(5.0)), true));
        assert_eq!(json["review"][0]["author"]["name"], "Eve");
        assert_eq!(json["review"][0]["reviewBody"], "Hi");
    }
}
