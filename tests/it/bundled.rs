//! The bundled compendium builds in three languages, every session lists its practices, and
//! the sitemap carries the translations' alternates.

use std::sync::OnceLock;

use crate::repo;

/// The bundled site, built once for all tests of this file.
fn site() -> &'static std::path::Path {
    static SITE: OnceLock<tempfile::TempDir> = OnceLock::new();
    SITE.get_or_init(|| {
        let out = tempfile::tempdir().expect("tempdir");
        let target = out.path().join("public");
        if let Err(e) = compendium::build(&repo(), &target, &compendium::BuildOptions::default()) {
            let all: Vec<String> = e.0.iter().map(|d| d.to_string()).collect();
            panic!("the bundled site does not build:\n{}", all.join("\n"));
        }
        out
    })
    .path()
}

fn read(p: &str) -> String {
    let path = site().join("public").join(p);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn practice_slugs() -> Vec<String> {
    let mut slugs: Vec<String> = std::fs::read_dir(repo().join("content/practices"))
        .expect("practices")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".md") && !n.starts_with('_') && n.matches('.').count() == 1)
        .map(|n| n.trim_end_matches(".md").to_string())
        .collect();
    slugs.sort();
    slugs
}

#[test]
fn every_practice_round_table_and_session_exists_in_three_languages() {
    let slugs = practice_slugs();
    assert!(slugs.len() >= 36);
    for prefix in ["", "en/", "es/"] {
        for slug in &slugs {
            let html = read(&format!("{prefix}practices/{slug}/index.html"));
            assert!(html.contains("<h1"), "{prefix}{slug}");
        }
        for section in [
            "round-tables/rt1",
            "round-tables/rt2",
            "round-tables/rt3",
            "round-tables/rt1/session-1-1",
            "round-tables/rt1/session-1-2",
            "round-tables/rt2/session-2-1",
            "round-tables/rt2/session-2-2",
            "round-tables/rt3/session-3-1",
            "round-tables/rt3/session-3-2",
            "round-tables/rt3/session-3-3",
            "round-tables/session-4",
        ] {
            read(&format!("{prefix}{section}/index.html"));
        }
    }
    assert!(read("index.html").contains("lang=\"fr\""));
    assert!(read("en/index.html").contains("lang=\"en\""));
    assert!(read("es/index.html").contains("lang=\"es\""));
}

#[test]
fn each_session_page_lists_its_practices() {
    let sessions = [
        ("1.1", "rt1/session-1-1"),
        ("1.2", "rt1/session-1-2"),
        ("2.1", "rt2/session-2-1"),
        ("2.2", "rt2/session-2-2"),
        ("3.1", "rt3/session-3-1"),
        ("3.2", "rt3/session-3-2"),
        ("3.3", "rt3/session-3-3"),
    ];
    for slug in practice_slugs() {
        let text = std::fs::read_to_string(repo().join(format!("content/practices/{slug}.md")))
            .expect("read");
        for (id, folder) in sessions {
            let tagged = text
                .lines()
                .any(|l| l.starts_with("session") && l.contains(&format!("\"{id}\"")));
            for prefix in ["", "en/", "es/"] {
                let page = read(&format!("{prefix}round-tables/{folder}/index.html"));
                let link = format!("/{prefix}practices/{slug}/\"");
                assert_eq!(
                    page.contains(&link),
                    tagged,
                    "session {id} ({prefix}) and practice {slug}"
                );
            }
        }
    }
}

#[test]
fn sitemap_has_hreflang_alternates_and_x_default() {
    let sitemap = read("sitemap.xml");
    assert!(sitemap.contains("xmlns:xhtml=\"http://www.w3.org/1999/xhtml\""));
    let entry_start = sitemap
        .find("<loc>http://127.0.0.1:1111/en/practices/colombo-process/</loc>")
        .expect("entry");
    let entry = &sitemap[entry_start
        ..sitemap[entry_start..]
            .find("</url>")
            .map(|e| entry_start + e)
            .expect("end")];
    for (lang, url) in [
        ("fr", "/practices/colombo-process/"),
        ("en", "/en/practices/colombo-process/"),
        ("es", "/es/practices/colombo-process/"),
        ("x-default", "/practices/colombo-process/"),
    ] {
        let link = format!("hreflang=\"{lang}\" href=\"http://127.0.0.1:1111{url}\"");
        assert!(entry.contains(&link), "missing {link} in {entry}");
    }
}

#[test]
fn open_data_validates_and_the_csv_has_one_row_per_version() {
    let json: serde_json::Value =
        serde_json::from_str(&read("data/practices.json")).expect("practices.json");
    let schema: serde_json::Value =
        serde_json::from_str(&read("data/practices.schema.json")).expect("schema");
    let validator = jsonschema::validator_for(&schema).expect("valid schema");
    let errors: Vec<String> = validator
        .iter_errors(&json)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    let practices = json.as_array().expect("array");
    assert_eq!(practices.len(), practice_slugs().len());
    let versions: usize = practices
        .iter()
        .map(|p| p["languages"].as_object().map_or(0, |l| l.len()))
        .sum();
    let csv_text = read("data/practices.csv");
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let headers = reader.headers().expect("headers").clone();
    assert_eq!(
        headers.iter().collect::<Vec<_>>(),
        compendium::open_data::CSV_COLUMNS
    );
    let rows: Vec<csv::StringRecord> = reader
        .records()
        .collect::<Result<_, _>>()
        .expect("csv rows");
    assert_eq!(rows.len(), versions);
    assert!(rows.iter().all(|r| r.len() == headers.len()));
    // Every URL of the open data is a page of the site.
    for p in practices {
        for v in p["languages"].as_object().expect("languages").values() {
            let url = v["url"].as_str().expect("url");
            let path = url.trim_start_matches("http://127.0.0.1:1111/");
            read(&format!("{path}index.html"));
        }
    }
    // The vocabulary is there with the three languages.
    let vocab: serde_json::Value =
        serde_json::from_str(&read("data/vocabulary.json")).expect("vocabulary");
    assert_eq!(vocab["themes"]["remittances"]["label"]["es"], "Remesas");
    assert_eq!(vocab["countries"]["SN"]["fr"], "Sénégal");
}

#[test]
fn two_builds_are_byte_identical() {
    let out = tempfile::tempdir().expect("tempdir");
    let again = out.path().join("public");
    compendium::build(&repo(), &again, &compendium::BuildOptions::default()).expect("build");
    let first = site().join("public");
    let diffs = crate::compare::compare_trees(&first, &again);
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));
    for entry in walkdir::WalkDir::new(&first)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
    {
        let rel = entry.path().strip_prefix(&first).expect("prefix");
        assert_eq!(
            std::fs::read(entry.path()).ok(),
            std::fs::read(again.join(rel)).ok(),
            "{}",
            rel.display()
        );
    }
}
