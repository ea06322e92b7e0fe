//! The bundled compendium: every practice is complete, translated and uses only identifiers
//! that the vocabulary defines. (`compendium check` will subsume this test.)

use std::collections::BTreeMap;
use std::path::Path;

use compendium::content::front_matter::{self, Node, Value};

use crate::repo;

fn load_toml(path: &Path) -> toml::Table {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn ids(vocab: &toml::Table, kind: &str) -> Vec<String> {
    vocab
        .get(kind)
        .and_then(|v| v.as_table())
        .map(|t| t.keys().cloned().collect())
        .unwrap_or_default()
}

fn front(path: &Path) -> (Node, String) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let split = front_matter::split(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let node = front_matter::parse(&text, &split)
        .unwrap_or_else(|e| panic!("{}: {}", path.display(), e.message));
    let body = split.body.to_string();
    (node, body)
}

fn strings(node: Option<&Node>) -> Vec<String> {
    match node.map(|n| &n.value) {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|n| n.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

/// Checks one practice file; returns its problems.
fn check_practice(path: &Path, vocab: &toml::Table, countries: &toml::Table) -> Vec<String> {
    let mut problems = Vec::new();
    let (node, body) = front(path);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut p = |m: String| problems.push(format!("{name}: {m}"));
    for key in ["title", "description", "date", "updated"] {
        if node.get(key).is_none() {
            p(format!("missing `{key}`"));
        }
    }
    let tax = node.get("taxonomies");
    let get_tax = |k: &str| strings(tax.and_then(|t| t.get(k)));
    for (kind, vocab_kind) in [
        ("round_table", "round_tables"),
        ("session", "sessions"),
        ("theme", "themes"),
        ("region", "regions"),
    ] {
        let known = ids(vocab, vocab_kind);
        let values = get_tax(kind);
        if values.is_empty() && kind != "region" {
            p(format!("no `{kind}`"));
        }
        for v in values {
            if !known.contains(&v) {
                p(format!(
                    "`{kind}` value `{v}` is not in data/vocabulary.toml"
                ));
            }
        }
    }
    let round_tables = get_tax("round_table");
    for s in get_tax("session") {
        let rt = vocab["sessions"]
            .get(&s)
            .and_then(|e| e.get("round_table"))
            .and_then(|v| v.as_str());
        if let Some(rt) = rt
            && !round_tables.iter().any(|r| r == rt)
        {
            p(format!(
                "session `{s}` belongs to `{rt}`, which is not listed"
            ));
        }
    }
    let country_table = countries.get("countries").and_then(|c| c.as_table());
    let codes = get_tax("country");
    if codes.is_empty() {
        p("no `country`".into());
    }
    for c in codes {
        if !country_table.is_some_and(|t| t.contains_key(&c)) {
            p(format!(
                "country `{c}` is not an ISO 3166-1 code of data/countries.toml"
            ));
        }
    }
    let extra = node.get("extra");
    let e = |k: &str| extra.and_then(|x| x.get(k));
    if !matches!(e("start_year").map(|n| &n.value), Some(Value::Integer(_))) {
        p("`extra.start_year` must be a year".into());
    }
    if !matches!(
        e("original_language").and_then(Node::as_str),
        Some("fr" | "en" | "es")
    ) {
        p("`extra.original_language` must be fr, en or es".into());
    }
    let actor_types = ids(vocab, "actor_types");
    for (key, required) in [("implementers", true), ("partners", false)] {
        match e(key).map(|n| &n.value) {
            Some(Value::Array(list)) => {
                if required && list.is_empty() {
                    p(format!("`extra.{key}` is empty"));
                }
                for a in list {
                    if a.get("name").and_then(Node::as_str).is_none() {
                        p(format!("an entry of `extra.{key}` has no name"));
                    }
                    match a.get("type").and_then(Node::as_str) {
                        Some(t) if actor_types.iter().any(|x| x == t) => {}
                        other => p(format!("`extra.{key}` type {other:?} is not an actor type")),
                    }
                }
            }
            None if !required => {}
            _ => p(format!("`extra.{key}` must be a list")),
        }
    }
    match e("sources").map(|n| &n.value) {
        Some(Value::Array(list)) if !list.is_empty() => {
            for s in list {
                for k in ["title", "publisher", "url"] {
                    if s.get(k).and_then(Node::as_str).is_none_or(str::is_empty) {
                        p(format!("a source has no `{k}`"));
                    }
                }
                if let Some(url) = s.get("url").and_then(Node::as_str)
                    && !(url.starts_with("https://") || url.starts_with("http://"))
                {
                    p(format!("source url `{url}` is not an http(s) address"));
                }
                if !matches!(s.get("year").map(|n| &n.value), Some(Value::Integer(_))) {
                    p("a source has no `year`".into());
                }
            }
        }
        _ => p("no `extra.sources`".into()),
    }
    let words = body
        .split_whitespace()
        .filter(|w| !w.starts_with('#'))
        .count();
    if !(250..=760).contains(&words) {
        p(format!("body has {words} words (300–700 wanted)"));
    }
    problems
}

/// The facts that must be equal in every language: taxonomies and `extra`.
fn facts(path: &Path) -> serde_json::Value {
    let (node, _) = front(path);
    serde_json::json!({
        "taxonomies": node.get("taxonomies").map(Node::to_json),
        "extra": node.get("extra").map(Node::to_json),
    })
}

#[test]
fn every_practice_is_complete_translated_and_uses_the_vocabulary() {
    let root = repo();
    let vocab = load_toml(&root.join("data/vocabulary.toml"));
    let countries = load_toml(&root.join("data/countries.toml"));
    let dir = root.join("content/practices");
    let mut originals = BTreeMap::new();
    for entry in std::fs::read_dir(&dir).expect("content/practices") {
        let path = entry.expect("entry").path();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name.starts_with('_') || !name.ends_with(".md") {
            continue;
        }
        let stem = name.trim_end_matches(".md");
        if !stem.contains('.') {
            originals.insert(stem.to_string(), path);
        }
    }
    assert!(originals.len() >= 36, "only {} practices", originals.len());
    let mut problems = Vec::new();
    let mut per_session: BTreeMap<String, usize> = BTreeMap::new();
    for (slug, fr) in &originals {
        let mut versions = vec![fr.clone()];
        for lang in ["en", "es"] {
            let path = dir.join(format!("{slug}.{lang}.md"));
            if path.is_file() {
                versions.push(path);
            } else {
                problems.push(format!("{slug}: no {lang} translation"));
            }
        }
        for v in &versions {
            problems.extend(check_practice(v, &vocab, &countries));
        }
        let reference = facts(fr);
        for v in versions.iter().skip(1) {
            if facts(v) != reference {
                problems.push(format!(
                    "{}: taxonomies or extra differ from the French version",
                    v.display()
                ));
            }
        }
        for s in strings(front(fr).0.get("taxonomies").and_then(|t| t.get("session"))) {
            *per_session.entry(s).or_default() += 1;
        }
    }
    for s in ["1.1", "1.2", "2.1", "2.2", "3.1", "3.2", "3.3"] {
        let n = per_session.get(s).copied().unwrap_or(0);
        if n < 4 {
            problems.push(format!("session {s} has {n} practices (4 wanted)"));
        }
    }
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn the_check_rejects_a_bad_practice() {
    // The test above must be able to fail: a practice with planted faults is caught.
    let root = repo();
    let vocab = load_toml(&root.join("data/vocabulary.toml"));
    let countries = load_toml(&root.join("data/countries.toml"));
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bad.md");
    std::fs::write(
        &path,
        "+++\ntitle = \"x\"\n[taxonomies]\nround_table = [\"rt1\"]\nsession = [\"2.1\"]\ntheme = [\"remitances\"]\ncountry = [\"XX\"]\n[extra]\nstart_year = 2000\noriginal_language = \"fr\"\nimplementers = [{ name = \"A\", type = \"goverment\" }]\n[[extra.sources]]\ntitle = \"t\"\npublisher = \"p\"\nyear = 2001\nurl = \"ftp://x\"\n+++\nshort\n",
    )
    .expect("write");
    let problems = check_practice(&path, &vocab, &countries).join("\n");
    for needle in [
        "missing `description`",
        "`remitances`",
        "country `XX`",
        "session `2.1` belongs to `rt2`",
        "goverment",
        "ftp://x",
        "body has 1 words",
    ] {
        assert!(
            problems.contains(needle),
            "`{needle}` not reported in:\n{problems}"
        );
    }
}
