//! The renderer's pieces are the whole document: what `serde_json::to_vec_pretty` and the CSV
//! writer make of every item at once, however the items are split into pages.

use super::*;
use crate::service::media_transfer::ExportedMedia;

fn item(n: usize) -> ExportedTestimonial {
    ExportedTestimonial {
        id: format!("id{n}"),
        status: "approved".into(),
        name: if n.is_multiple_of(2) { "=Ada \"the first\"".into() } else { "Bo Ørsted".into() },
        email: format!("person{n}@example.com"),
        role: None,
        company: Some("Acme, Inc.".into()),
        rating: 5,
        text: "Line one\n\tline two, \u{1F600} and a \\ backslash\r\n".into(),
        consent: true,
        consent_text: Some("I agree".into()),
        consent_version: Some(2),
        page_url: None,
        referral_code: Some("ADA-7Q".into()),
        reply: None,
        featured: n.is_multiple_of(3),
        follow_up: false,
        contact_me: false,
        verified: true,
        tags: if n.is_multiple_of(2) { vec!["beans".into(), "coffee".into()] } else { Vec::new() },
        created_at: "2026-11-24T10:00:00Z".into(),
        updated_at: "2026-11-24T11:00:00Z".into(),
        photo: (n == 1).then(|| ExportedMedia { file: "acme.media/p.jpg".into(), poster: None }),
        video: (n == 1).then(|| ExportedMedia {
            file: "acme.media/v.webm".into(),
            poster: Some("acme.media/v.poster.jpg".into()),
        }),
        captions: (n == 1).then(|| "0:00 Hello".into()),
    }
}

/// `items` rendered in pages of `page` (and an empty page between two, as a short read might
/// bring), concatenated.
fn in_pages(renderer: &mut Renderer, items: &[ExportedTestimonial], page: usize) -> Vec<u8> {
    let mut bytes = Vec::new();
    for chunk in items.chunks(page) {
        bytes.extend(renderer.page(chunk).unwrap());
        bytes.extend(renderer.page(&[]).unwrap());
    }
    bytes
}

#[test]
fn json_in_pages_is_the_pretty_document_at_once() {
    for count in [0, 1, 2, 5] {
        let items: Vec<ExportedTestimonial> = (0..count).map(item).collect();
        for page in [1, 2, 3, 500] {
            let mut renderer = Renderer::new("acme", ExportFormat::Json);
            let whole = Export {
                format: FORMAT_NAME.to_owned(),
                version: 1,
                site: "acme".into(),
                exported_at: renderer.exported_at.clone(),
                testimonials: items.clone(),
            };
            let mut expected = serde_json::to_vec_pretty(&whole).unwrap();
            expected.push(b'\n');
            let mut bytes = in_pages(&mut renderer, &items, page);
            bytes.extend(renderer.finish().unwrap());
            assert_eq!(
                String::from_utf8(bytes).unwrap(),
                String::from_utf8(expected).unwrap(),
                "{count} items in pages of {page}"
            );
        }
    }
}

#[test]
fn csv_in_pages_is_the_file_at_once() {
    let items: Vec<ExportedTestimonial> = (0..5).map(item).collect();
    let mut writer = csv::WriterBuilder::new().quote_style(csv::QuoteStyle::Always).from_writer(Vec::new());
    writer.write_record(CSV_COLUMNS).unwrap();
    for item in &items {
        writer.write_record(csv_row(item).iter().map(|cell| spreadsheet_safe(cell))).unwrap();
    }
    let expected = writer.into_inner().unwrap();
    for page in [1, 2, 500] {
        let mut renderer = Renderer::new("acme", ExportFormat::Csv);
        let mut bytes = in_pages(&mut renderer, &items, page);
        bytes.extend(renderer.finish().unwrap());
        assert_eq!(bytes, expected, "pages of {page}");
    }
    assert!(String::from_utf8(expected).unwrap().contains("\"'=Ada \"\"the first\"\"\""));
    let empty = Renderer::new("acme", ExportFormat::Csv).finish().unwrap();
    assert_eq!(String::from_utf8(empty).unwrap().lines().count(), 1, "the header alone");
}
