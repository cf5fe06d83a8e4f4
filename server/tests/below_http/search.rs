//! The moderators' search: words found anywhere in a name or a text, whatever their case, with
//! the visitor's own `%`, `_` and quotes taken literally. Both backends answer from an index
//! (trigrams) that the database keeps with every write, so each kind of write is checked here.

use fanfare_protocol::api::Status;
use fanfare_server::secrets;
use fanfare_server::storage::{
    Cursor, ImportedTestimonial, ListQuery, NewTestimonialRecord, Site, TestimonialEdit,
};

use crate::world::{record, World};

/// Stores a testimonial by `name` saying `text`, `created_at` ms after the epoch.
async fn said(world: &World, site: &Site, name: &str, text: &str, created_at: i64) -> String {
    let item = NewTestimonialRecord {
        name: name.into(),
        text: text.into(),
        email: format!("{}@example.com", secrets::testimonial_id()),
        ..record(site, Status::Approved, 5, created_at)
    };
    let id = item.id.clone();
    world.storage.insert_testimonial(item).await.unwrap();
    id
}

/// The ids the search for `words` lists among the site's approved testimonials, newest first.
async fn found(world: &World, site: &Site, words: &str) -> Vec<String> {
    let query = ListQuery { limit: 50, search: Some(words.into()), ..ListQuery::default() };
    let page = world.storage.list_by_status(site.id, Status::Approved, &query).await.unwrap();
    page.into_iter().map(|item| item.id).collect()
}

fn no_one() -> Vec<String> {
    Vec::new()
}

#[tokio::test]
async fn a_search_finds_words_in_a_name_or_a_text_whatever_their_case() {
    let world = World::new().await;
    let site = &world.site;
    let latte = said(&world, site, "Ada Lovelace", "The Pistachio latte kit was a lovely surprise.", 1).await;
    let hopper = said(&world, site, "Grace HOPPER", "Fresh beans, every week.", 2).await;
    let creme = said(&world, site, "Émile Zola", "CRÈME BRÛLÉE with the house blend: divine.", 3).await;
    let grinder = said(&world, site, "Ada Lovelace", "The grinder works.", 4).await;

    assert_eq!(found(&world, site, "pistachio").await, vec![latte.clone()]);
    assert_eq!(found(&world, site, "PISTACHIO LATTE").await, vec![latte.clone()]);
    assert_eq!(found(&world, site, "hopper").await, vec![hopper.clone()], "in the name");
    assert_eq!(found(&world, site, "lovelace").await, vec![grinder.clone(), latte.clone()], "newest first");
    // Letters beyond ASCII fold too, both ways.
    assert_eq!(found(&world, site, "crème brûlée").await, vec![creme.clone()]);
    assert_eq!(found(&world, site, "ÉMILE").await, vec![creme.clone()]);
    assert_eq!(found(&world, site, "émile zola").await, vec![creme.clone()]);
    // Accents are letters of their own: "creme" is another word.
    assert_eq!(found(&world, site, "creme").await, no_one());
    // The name and the text are searched each on its own: words across both are in neither.
    assert_eq!(found(&world, site, "lovelace the grinder").await, no_one());
    assert_eq!(found(&world, site, "zanzibar").await, no_one());
}

#[tokio::test]
async fn short_words_and_the_visitors_wildcards_and_quotes_are_taken_literally() {
    let world = World::new().await;
    let site = &world.site;
    let percent = said(&world, site, "Ada", "100% arabica_beans, \"wow\" said my wife.", 1).await;
    let plain = said(&world, site, "Bo", "1000 arabicaXbeans, wow.", 2).await;
    let short = said(&world, site, "Cy", "Ok.", 3).await;

    assert_eq!(found(&world, site, "100%").await, vec![percent.clone()]);
    assert_eq!(found(&world, site, "0%").await, vec![percent.clone()], "two letters");
    assert_eq!(found(&world, site, "a_b").await, vec![percent.clone()]);
    assert_eq!(found(&world, site, "\"wow\"").await, vec![percent.clone()]);
    assert_eq!(found(&world, site, "wow").await, vec![plain.clone(), percent.clone()]);
    assert_eq!(found(&world, site, "ok").await, vec![short.clone()], "two letters, any case");
    assert_eq!(
        found(&world, site, "O").await,
        vec![short.clone(), plain.clone(), percent.clone()],
        "one letter"
    );
    assert_eq!(found(&world, site, "\\").await, no_one());
    assert_eq!(found(&world, site, "* OR wow").await, no_one(), "no query language");
}

#[tokio::test]
async fn the_search_follows_every_write_and_stays_within_its_site_and_status() {
    let world = World::new().await;
    let site = &world.site;
    let other = world.other_site().await;
    let token = secrets::bearer_token("ffm");
    let authored = NewTestimonialRecord {
        text: "The espresso roast is superb.".into(),
        manage_token_hash: secrets::hash_token(&token),
        ..record(site, Status::Approved, 5, 1)
    };
    let authored_id = authored.id.clone();
    world.storage.insert_testimonial(authored).await.unwrap();
    let corrected = said(&world, site, "Bo", "Decent espresso.", 2).await;
    said(&world, &other, "Other", "Espresso elsewhere.", 4).await;
    let pending =
        NewTestimonialRecord { text: "Espresso, waiting.".into(), ..record(site, Status::Pending, 4, 5) };
    world.storage.insert_testimonial(pending).await.unwrap();
    // Written last, so on SQLite the next row takes its rowid once it is gone.
    let erased = NewTestimonialRecord {
        text: "Espresso and zabaglione for the erased.".into(),
        email: "erase@example.com".into(),
        ..record(site, Status::Approved, 4, 3)
    };
    let erased_id = erased.id.clone();
    world.storage.insert_testimonial(erased).await.unwrap();
    assert_eq!(
        found(&world, site, "espresso").await,
        [erased_id.clone(), corrected.clone(), authored_id.clone()]
    );

    let edit = |text: &str| TestimonialEdit {
        name: "Bo".into(),
        role: None,
        company: None,
        rating: 4,
        text: text.into(),
    };
    world.storage.moderator_edit(site.id, &corrected, edit("Decent ristretto."), 6).await.unwrap();
    assert_eq!(found(&world, site, "ristretto").await, vec![corrected.clone()], "a moderator's correction");
    assert_eq!(found(&world, site, "espresso").await, vec![erased_id.clone(), authored_id.clone()]);

    world.storage.author_edit(&secrets::hash_token(&token), edit("A fine lungo."), 7).await.unwrap();
    world.storage.moderate(site.id, &authored_id, Status::Approved, 8).await.unwrap();
    assert_eq!(found(&world, site, "lungo").await, vec![authored_id.clone()], "an author's correction");
    assert_eq!(found(&world, site, "espresso").await, vec![erased_id.clone()]);

    assert_eq!(world.storage.erase_email(site.id, "erase@example.com").await.unwrap(), 1);
    assert_eq!(found(&world, site, "espresso").await, no_one(), "an erasure");

    let imported = ImportedTestimonial {
        record: NewTestimonialRecord {
            text: "Imported espresso praise.".into(),
            ..record(site, Status::Approved, 5, 9)
        },
        reply: None,
        featured: false,
        updated_at: 9,
    };
    let imported_id = imported.record.id.clone();
    world.storage.import_testimonial(imported).await.unwrap();
    assert_eq!(found(&world, site, "espresso").await, vec![imported_id], "an import");
    assert_eq!(found(&world, site, "zabaglione").await, no_one(), "nothing left of the erased");
}

#[tokio::test]
async fn a_search_pages_on_with_its_cursor() {
    let world = World::new().await;
    let site = &world.site;
    let mut matching = Vec::new();
    for n in 0..7 {
        matching.push(said(&world, site, "Ada", &format!("Cold brew number {n}."), n).await);
        said(&world, site, "Bo", "Hot tea.", n).await;
    }
    matching.reverse();
    let mut seen = Vec::new();
    let mut cursor: Option<Cursor> = None;
    loop {
        let query = ListQuery {
            limit: 3,
            cursor: cursor.clone(),
            search: Some("cold brew".into()),
            ..ListQuery::default()
        };
        let page = world.storage.list_by_status(site.id, Status::Approved, &query).await.unwrap();
        let Some(last) = page.last() else { break };
        cursor = Some(Cursor::after(last));
        seen.extend(page.iter().map(|item| item.id.clone()));
    }
    assert_eq!(seen, matching);
}
