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
