//! `compendium check`, `new` and `schema` on a fixture site with planted faults.

use std::path::{Path, PathBuf};

use crate::{fixture, repo, run};

/// The check fixture, with the bundled vocabulary, in a temporary folder.
fn site() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    crate::build::copy_dir(&fixture("check"), dir.path());
    std::fs::create_dir_all(dir.path().join("data")).expect("data");
    for f in ["vocabulary.toml", "countries.toml"] {
        std::fs::copy(repo().join("data").join(f), dir.path().join("data").join(f)).expect("copy");
    }
    dir
}

fn check_json(root: &Path, extra: &[&str]) -> (i32, Vec<serde_json::Value>) {
    let mut args = vec![
        "check",
        "--root",
        root.to_str().expect("utf8"),
        "--format",
        "json",
    ];
    args.extend(extra);
    let (code, stdout, stderr) = run(&args, root);
    let items = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}\n{stderr}")))
        .collect();
    (code, items)
}

fn has(items: &[serde_json::Value], path: &str, line: u64, col: u64, needle: &str) -> bool {
    items.iter().any(|d| {
        d["path"] == path
            && d["line"] == line
            && d["col"] == col
            && d["message"].as_str().is_some_and(|m| m.contains(needle))
    })
}

#[test]
fn every_planted_fault_is_reported_at_its_place_in_one_run() {
    let dir = site();
    // A 10 MB file gets one clear error.
    std::fs::write(
        dir.path().join("content/practices/huge.md"),
        vec![b'a'; 10 * 1024 * 1024],
    )
    .expect("write");
    let (code, items) = check_json(dir.path(), &[]);
    assert_eq!(code, 1);
    let p = "content/practices/faults.md";
    let en = "content/practices/faults.en.md";
    let expected: &[(&str, u64, u64, &str)] = &[
        (p, 8, 11, "session `2.1` belongs to round table `rt2`"),
        (p, 9, 10, "unknown theme `remitances`"),
        (p, 10, 12, "unknown country code `XX`"),
        (p, 13, 14, "`start_year` = 2999 is not a year"),
        (p, 16, 26, "placeholder not filled in"),
        (p, 16, 46, "unknown actor type `goverment`"),
        // Deep inside an array of tables.
        (p, 22, 8, "`year` must be a year"),
        (
            p,
            23,
            7,
            "a source `url` must be an http:// or https:// address",
        ),
        (p, 1, 1, "missing translation(s): es"),
        (en, 14, 14, "`extra.start_year` differs from the fr version"),
        (
            en,
            15,
            12,
            "`end_year` (1990) is before `start_year` (2007)",
        ),
        // A byte-order mark and Windows line endings.
        (
            "content/practices/crlf.md",
            10,
            12,
            "unknown country code `sn`",
        ),
        ("content/practices/latin1.md", 1, 4, "not valid UTF-8"),
        ("content/practices/empty.md", 1, 1, "the file is empty"),
        (
            "content/practices/no-front-matter.md",
            1,
            1,
            "no front matter",
        ),
        ("content/practices/unclosed.md", 1, 1, "never closed"),
    ];
    for (path, line, col, needle) in expected {
        assert!(
            has(&items, path, *line, *col, needle),
            "missing {path}:{line}:{col} {needle} in\n{items:#?}"
        );
    }
    let suggestions: Vec<_> = items.iter().filter_map(|d| d["help"].as_str()).collect();
    assert!(suggestions.contains(&"did you mean `remittances`?"));
    assert!(suggestions.contains(&"did you mean `government`?"));
    let huge: Vec<_> = items
        .iter()
        .filter(|d| d["path"] == "content/practices/huge.md")
        .collect();
    assert_eq!(huge.len(), 1, "{huge:?}");
    assert!(
        huge[0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("10 MB"))
    );
    // The good practice and the YAML one have no error.
    for good in [
        "content/practices/good.md",
        "content/practices/good.en.md",
        "content/practices/yaml.md",
    ] {
        assert!(
            !items
                .iter()
                .any(|d| d["path"] == good && d["severity"] == "error"),
            "{good}: {items:#?}"
        );
    }
}

#[test]
fn human_and_github_formats() {
    let dir = site();
    let root = dir.path().to_str().expect("utf8");
    let (code, _, stderr) = run(&["check", "--root", root], dir.path());
    assert_eq!(code, 1);
    assert!(
        stderr.contains("content/practices/faults.md:9:10: error: unknown theme `remitances`"),
        "{stderr}"
    );
    // The offending line with a caret under the value, and the fix.
    assert!(stderr.contains("theme = [\"remitances\"]"), "{stderr}");
    assert!(stderr.contains("^^^^^^^^^^^^"), "{stderr}");
    assert!(stderr.contains("did you mean `remittances`?"), "{stderr}");
    let (_, stdout, _) = run(&["check", "--root", root, "--format", "github"], dir.path());
    assert!(stdout.contains("::error file=content/practices/faults.md,line=9,col=10::unknown theme `remitances` (help: did you mean `remittances`?)"), "{stdout}");
}

/// Keeps only the good practice (complete) and the YAML one (a missing-translation warning).
fn keep_only_good(dir: &Path) {
    for entry in std::fs::read_dir(dir.join("content/practices")).expect("list") {
        let path = entry.expect("entry").path();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !name.starts_with("good") && !name.starts_with('_') && name != "yaml.md" {
            std::fs::remove_file(path).expect("remove");
        }
    }
}

/// One mistake, one error: a title that is not a string is not also reported missing.
#[test]
fn a_title_of_the_wrong_type_is_one_error() {
    let dir = site();
    keep_only_good(dir.path());
    let path = dir.path().join("content/practices/good.en.md");
    let text = std::fs::read_to_string(&path).expect("read");
    std::fs::write(&path, text.replacen("title = \"Good.en\"", "title = 3", 1)).expect("write");
    let (code, items) = check_json(dir.path(), &[]);
    assert_eq!(code, 1);
    let on_title: Vec<&serde_json::Value> = items
        .iter()
        .filter(|d| d["path"] == "content/practices/good.en.md" && d["severity"] == "error")
        .collect();
    assert_eq!(on_title.len(), 1, "{on_title:#?}");
    assert!(has(
        &items,
        "content/practices/good.en.md",
        2,
        9,
        "`title` must be a string"
    ));
}

#[test]
fn warnings_fail_only_with_strict() {
    let dir = site();
    keep_only_good(dir.path());
    let (code, items) = check_json(dir.path(), &[]);
    assert_eq!(code, 0, "{items:#?}");
    assert!(has(
        &items,
        "content/practices/yaml.md",
        1,
        1,
        "missing translation(s): en, es"
    ));
    let (code, _) = check_json(dir.path(), &["--strict"]);
    assert_eq!(code, 1);
}

#[test]
fn the_bundled_content_passes_clean() {
    let (code, items) = check_json(&repo(), &["--strict"]);
    assert_eq!(code, 0, "{items:#?}");
    assert!(items.is_empty(), "{items:#?}");
}

#[test]
fn translation_status_shows_missing_and_outdated_translations() {
    let dir = site();
    keep_only_good(dir.path());
    let practices = dir.path().join("content/practices");
    // The English translation records the hash of an older original; the Spanish one is older.
    let en = practices.join("good.en.md");
    let text = std::fs::read_to_string(&en).expect("read").replace(
        "partners = []",
        "partners = []\ntranslated_from = \"0000000000000000\"",
    );
    std::fs::write(&en, text).expect("write");
    let es = practices.join("good.es.md");
    let text = std::fs::read_to_string(&es)
        .expect("read")
        .replace("updated = 2024-06-01", "updated = 2024-01-11");
    std::fs::write(&es, text).expect("write");
    let root = dir.path().to_str().expect("utf8");
    let (_, stdout, _) = run(&["check", "--root", root, "--translations"], dir.path());
    let row = |slug: &str| {
        stdout
            .lines()
            .find(|l| l.starts_with(&format!("{slug} ")))
            .unwrap_or_else(|| panic!("{slug}: {stdout}"))
            .split_whitespace()
            .skip(2)
            .collect::<Vec<_>>()
    };
    assert_eq!(row("good"), vec!["original", "OUTDATED", "OUTDATED"]);
    assert_eq!(row("yaml"), vec!["original", "MISSING", "MISSING"]);
}

fn new_practice(root: &Path, args: &[&str]) -> (i32, String, String) {
    let mut a = vec!["new", "practice"];
    a.extend(args);
    a.extend(["--root", root.to_str().expect("utf8")]);
    run(&a, root)
}

#[test]
fn new_practice_writes_a_skeleton_that_passes_once_filled() {
    let dir = site();
    let (code, stdout, stderr) = new_practice(
        dir.path(),
        &[
            "kenya-diaspora-bond",
            "--lang",
            "en",
            "--session",
            "1.2",
            "--theme",
            "diaspora-investment",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("kenya-diaspora-bond.en.md"), "{stdout}");
    let path: PathBuf = dir
        .path()
        .join("content/practices/kenya-diaspora-bond.en.md");
    let text = std::fs::read_to_string(&path).expect("skeleton");
    for heading in [
        "## Context",
        "## What was done",
        "## Results",
        "## Lessons learned",
    ] {
        assert!(text.contains(heading), "{text}");
    }
    assert!(
        text.contains("round_table = [\"rt1\"]") && text.contains("session = [\"1.2\"]"),
        "{text}"
    );
    let rel = "content/practices/kenya-diaspora-bond.en.md";
    let (_, items) = check_json(dir.path(), &[]);
    assert!(items.iter().any(|d| {
        d["path"] == rel
            && d["message"]
                .as_str()
                .is_some_and(|m| m.contains("placeholder"))
    }));
    // Filling the placeholders makes it pass.
    let filled = text
        .replace(
            "\"TODO: the name of the practice\"",
            "\"Kenya's diaspora bond\"",
        )
        .replace(
            "\"TODO: one sentence saying what was done, by whom, for whom.\"",
            "\"Kenya sold bonds to its diaspora.\"",
        )
        .replace("\"TODO: code\"", "\"KE\"")
        .replace("\"TODO: who carried it out\"", "\"National Treasury\"")
        .replace(
            "\"TODO: title of the page or report you read\"",
            "\"A report\"",
        )
        .replace("\"TODO: publisher\"", "\"A publisher\"")
        .replace("https://TODO.example.org/", "https://example.org/kenya")
        .replace("TODO: ", "");
    std::fs::write(&path, filled).expect("write");
    let (_, items) = check_json(dir.path(), &[]);
    let errors: Vec<_> = items
        .iter()
        .filter(|d| d["path"] == rel && d["severity"] == "error")
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    // It never replaces a file, and refuses unknown identifiers with a suggestion.
    let (code, _, stderr) = new_practice(dir.path(), &["kenya-diaspora-bond", "--lang", "en"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("already exists"), "{stderr}");
    let (code, _, stderr) = new_practice(dir.path(), &["other", "--theme", "remitances"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("did you mean `remittances`?"), "{stderr}");
    let (code, _, stderr) = new_practice(dir.path(), &["Bad Slug"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("must be lowercase"), "{stderr}");
}

#[test]
fn schema_lists_the_vocabulary_as_enums() {
    let (code, stdout, stderr) = run(
        &["schema", "--root", repo().to_str().expect("utf8")],
        &repo(),
    );
    assert_eq!(code, 0, "{stderr}");
    let schema: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    let themes = &schema["properties"]["taxonomies"]["properties"]["theme"]["items"]["enum"];
    assert!(
        themes
            .as_array()
            .is_some_and(|t| t.iter().any(|v| v == "remittances")),
        "{themes}"
    );
    let countries = &schema["properties"]["taxonomies"]["properties"]["country"]["items"]["enum"];
    assert!(
        countries
            .as_array()
            .is_some_and(|c| c.iter().any(|v| v == "SN"))
    );
    assert_eq!(
        schema["properties"]["extra"]["properties"]["original_language"]["enum"],
        serde_json::json!(["fr", "en", "es"])
    );
}

/// A tiny HTTP server on 127.0.0.1: `/ok` answers 200, anything else 404.
fn link_server() -> (String, std::thread::JoinHandle<()>) {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = format!("http://{}", listener.local_addr().expect("addr"));
    let handle = std::thread::spawn(move || {
        // Serves a bounded number of connections, then stops.
        for stream in listener.incoming().take(16) {
            let Ok(mut stream) = stream else { continue };
            let mut first = String::new();
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            if reader.read_line(&mut first).is_err() {
                continue;
            }
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let status = if first.split_whitespace().nth(1) == Some("/ok") {
                "200 OK"
            } else {
                "404 Not Found"
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
        }
    });
    (addr, handle)
}

#[test]
fn external_links_are_fetched_only_when_asked() {
    let dir = site();
    keep_only_good(dir.path());
    // Only links to the local server: nothing may leave this machine.
    std::fs::remove_file(dir.path().join("content/practices/yaml.md")).expect("remove");
    let (base, _server) = link_server();
    for name in ["good.md", "good.en.md", "good.es.md"] {
        let path = dir.path().join("content/practices").join(name);
        let text = std::fs::read_to_string(&path)
            .expect("read")
            .replace("https://example.org/report", &format!("{base}/dead"))
            .replace("Text.", &format!("See [a page]({base}/ok)."));
        std::fs::write(&path, text).expect("write");
    }
    // Off by default: no request, no error.
    let (code, items) = check_json(dir.path(), &[]);
    assert_eq!(code, 0, "{items:#?}");
    let (code, items) = check_json(dir.path(), &["--external", "--timeout", "5"]);
    assert_eq!(code, 1);
    let dead: Vec<_> = items
        .iter()
        .filter(|d| {
            d["message"]
                .as_str()
                .is_some_and(|m| m.contains("dead link"))
        })
        .collect();
    assert_eq!(dead.len(), 3, "{items:#?}");
    assert!(dead.iter().all(|d| {
        d["message"]
            .as_str()
            .is_some_and(|m| m.contains("/dead") && m.contains("404"))
    }));
    assert!(
        has(&items, "content/practices/good.md", 23, 8, "dead link"),
        "{items:#?}"
    );
    assert!(
        !items
            .iter()
            .any(|d| d["message"].as_str().is_some_and(|m| m.contains("/ok")))
    );
}
