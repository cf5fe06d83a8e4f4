//! The long commands (`import`, `export`, `invite`) on a site of several export pages: piped,
//! they print exactly what they always did and no progress; on a terminal they draw a bar on
//! standard error. An export of several pages is whole, in order, and imports back.

use std::process::{Command, Output};

use fanfare_server::service::export::PAGE_SIZE;

use crate::helpers::*;

/// More testimonials than two export pages, each in its own second (export keeps seconds), so
/// their export order is the order written here.
fn rows(count: usize) -> String {
    let mut csv = String::from("name,email,rating,text,consent,status,created_at,updated_at\n");
    for n in 0..count {
        let at = format!("2026-01-01T{:02}:{:02}:{:02}Z", n / 3600, n / 60 % 60, n % 60);
        csv.push_str(&format!(
            "Customer {n},c{n}@example.com,{},\"Fresh beans, number {n}\",true,approved,{at},{at}\n",
            1 + n % 5
        ));
    }
    csv
}

/// Standard error as a person piping the command sees it: nothing at all, so certainly no
/// carriage return or escape code of a bar.
fn quiet(output: &Output, what: &str) -> String {
    assert!(output.status.success(), "{what} failed: {}", String::from_utf8_lossy(&output.stderr));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !stderr.contains('\r') && !stderr.contains('\x1b'),
        "{what} drew progress when piped: {stderr:?}"
    );
    assert_eq!(stderr, "", "{what} printed something extra");
    String::from_utf8(output.stdout.clone()).expect("utf-8 output")
}

#[test]
fn long_commands_piped_print_what_they_always_did_and_export_every_page_in_order() {
    let cli = Cli::new();
    cli.add_site("acme", "https://acme.test");
    let count = 2 * PAGE_SIZE as usize + 100;
    let input = cli.dir.path().join("in.csv");
    std::fs::write(&input, rows(count)).unwrap();
    let path = |name: &str| cli.dir.path().join(name).to_str().unwrap().to_owned();

    let imported = quiet(&cli.run(&["import", "--site", "acme", &path("in.csv")]), "import");
    assert_eq!(
        imported,
        format!("imported {count} testimonials into acme (0 already present, left unchanged)\n")
    );

    let csv = quiet(&cli.run(&["export", "--site", "acme", "--format", "csv"]), "export to stdout");
    let names: Vec<&str> = csv.lines().skip(1).map(|line| line.split("\",\"").nth(2).unwrap()).collect();
    let expected: Vec<String> = (0..count).map(|n| format!("Customer {n}")).collect();
    assert_eq!(names, expected, "every testimonial once, in the order they were written");

    let json =
        quiet(&cli.run(&["export", "--site", "acme", "--output", &path("all.json")]), "export --output");
    assert_eq!(json, format!("wrote {count} testimonials to {}\n", path("all.json")));
    let to_file = quiet(
        &cli.run(&["export", "--site", "acme", "--format", "csv", "--output", &path("all.csv")]),
        "export --format csv --output",
    );
    assert_eq!(to_file, "", "a CSV file is written without a word, as before");
    assert_eq!(std::fs::read_to_string(path("all.csv")).unwrap(), csv, "the file is what stdout gets");
    let left: Vec<_> =
        std::fs::read_dir(cli.dir.path()).unwrap().map(|entry| entry.unwrap().file_name()).collect();
    assert!(!left.iter().any(|name| name.to_string_lossy().ends_with(".partial")), "{left:?}");

    // What export wrote, import reads: in another database, the same CSV on the way out.
    let other = Cli::new();
    other.add_site("acme", "https://acme.test");
    quiet(&other.run(&["import", "--site", "acme", &path("all.json")]), "import of the export");
    assert_eq!(other.ok(&["export", "--site", "acme", "--format", "csv"]), csv);

    std::fs::write(cli.dir.path().join("buyers.csv"), "email,name\nada@example.com,Ada\nbo@example.com,Bo\n")
        .unwrap();
    let invited = quiet(&cli.run(&["invite", "--site", "acme", &path("buyers.csv")]), "invite");
    assert_eq!(
        invited,
        "queued\tada@example.com\tAda\t\nqueued\tbo@example.com\tBo\t\n2 invitation(s) queued (the running \
         server sends them within a minute), 0 already invited within 30 days (left as they are), 0 \
         unsubscribed from this site (never emailed)\n"
    );
}

#[test]
fn on_a_terminal_a_long_command_draws_its_bar_on_standard_error() {
    let cli = Cli::new();
    cli.add_site("acme", "https://acme.test");
    let input = cli.dir.path().join("in.csv");
    std::fs::write(&input, rows(300)).unwrap();
    // The command as the other tests run it, under a pseudo-terminal (util-linux's `script`).
    let template = cli.command();
    let line = format!(
        "'{}' --database '{}' import --site acme '{}'",
        template.get_program().to_string_lossy(),
        cli.database(),
        input.display()
    );
    let mut script = Command::new("script");
    for (name, value) in template.get_envs() {
        match value {
            Some(value) => script.env(name, value),
            None => script.env_remove(name),
        };
    }
    // A terminal that draws (indicatif draws nothing when TERM is unset or dumb).
    let output =
        script.current_dir(cli.dir.path()).env("TERM", "xterm").args(["-qec", &line, "/dev/null"]).output();
    let output = output.expect("script (util-linux) runs");
    let seen = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{seen}");
    assert!(seen.contains("importing") && seen.contains("/300"), "the bar was drawn: {seen:?}");
    assert!(seen.contains('\r') || seen.contains("\x1b["), "redrawn in place: {seen:?}");
    assert!(seen.contains("imported 300 testimonials into acme"), "{seen:?}");
}
