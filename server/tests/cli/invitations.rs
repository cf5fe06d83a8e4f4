//! Site keys and invitations from the command line: a key shown once, a CSV checked line by
//! line before anything is queued.

use fanfare_server::storage::{self, Invitation, InvitationStatus};

use crate::helpers::*;

/// The site's invitations as stored now, newest first.
fn invitations(cli: &Cli, slug: &str) -> Vec<Invitation> {
    let site = cli.site(slug);
    let url = cli.database();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
        runtime.block_on(async {
            let storage = storage::connect(&url).await.expect("the database opens");
            storage.invitations(site.id, None, None, 1000).await.expect("the invitations are read")
        })
    })
    .join()
    .expect("the invitations were read")
}

#[test]
fn a_site_key_is_printed_once_listed_by_its_end_and_revoked() {
    let cli = Cli::new();
    cli.add_site("acme", "https://acme.test");
    let created = cli.ok(&["key", "create", "--site", "acme", "--label", "shop backend"]);
    let key = created.lines().last().expect("the key on the last line");
    assert!(key.starts_with("ffs_") && key.len() > 30, "{created}");
    let listed = cli.ok(&["key", "list", "--site", "acme"]);
    let hint = &key[key.len() - 4..];
    assert!(listed.contains(&format!("…{hint}\tshop backend\tnever used")), "{listed}");
    assert!(!listed.contains(key), "the key itself is never shown again");
    assert!(!cli.at_rest().contains(key), "nor stored");

    let id = listed.split('\t').next().unwrap();
    assert!(cli.ok(&["key", "revoke", "--site", "acme", id]).contains("revoked"));
    assert!(cli.ok(&["key", "list", "--site", "acme"]).contains("revoked"));
    let again = cli.fails(&["key", "revoke", "--site", "acme", id]);
    assert!(again.contains("has no active key"), "{again}");
    let blank = cli.fails(&["key", "create", "--site", "acme", "--label", " "]);
    assert!(blank.contains("--label"), "{blank}");
}

#[test]
fn a_csv_is_checked_whole_before_anything_is_queued() {
    let cli = Cli::new();
    cli.add_site("acme", "https://acme.test");
    let file = cli.dir.path().join("buyers.csv");
    let path = file.to_str().unwrap();

    std::fs::write(&file, "email,name,tags,order_id\nada@example.com,Ada,espresso,A-1\nnot-an-address,Bo,,\nci@example.com,Ci,\"bad tag!\",\n")
        .unwrap();
    let refused = cli.fails(&["invite", "--site", "acme", path]);
    assert!(refused.contains("line 3: email"), "{refused}");
    assert!(refused.contains("line 4: tags"), "{refused}");
    assert!(refused.contains("nothing was queued"), "{refused}");
    assert!(invitations(&cli, "acme").is_empty());

    std::fs::write(&file, "email,phone\nada@example.com,123\n").unwrap();
    let unknown = cli.fails(&["invite", "--site", "acme", path]);
    assert!(unknown.contains("line 1: unknown column \"phone\""), "{unknown}");

    let mut huge = String::from("email\n");
    for n in 0..100_000 {
        huge.push_str(&format!("customer{n}@example.com\n"));
    }
    std::fs::write(&file, huge).unwrap();
    let too_many = cli.fails(&["invite", "--site", "acme", path]);
    assert!(too_many.contains("line 10002: a file holds at most 10000 invitations"), "{too_many}");
    assert!(invitations(&cli, "acme").is_empty());

    std::fs::write(&file, "email,name,tags\nada@example.com,Ada,espresso\nbo@example.com,Bo,\n").unwrap();
    let dry = cli.ok(&["invite", "--site", "acme", path, "--dry-run"]);
    assert!(dry.contains("would invite\tada@example.com\tAda\tespresso"), "{dry}");
    assert!(dry.contains("dry run, nothing stored or sent: 2 would be invited"), "{dry}");
    assert!(invitations(&cli, "acme").is_empty());

    let queued = cli.ok(&["invite", "--site", "acme", path]);
    assert!(queued.contains("2 invitation(s) queued"), "{queued}");
    let stored = invitations(&cli, "acme");
    assert_eq!(stored.len(), 2);
    assert!(stored.iter().all(|invitation| invitation.status == InvitationStatus::Queued));
    let again = cli.ok(&["invite", "--site", "acme", path]);
    assert!(again.contains("0 invitation(s) queued") && again.contains("2 already invited"), "{again}");
    assert_eq!(invitations(&cli, "acme").len(), 2, "nobody is invited twice within 30 days");
}
