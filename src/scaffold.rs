//! `compendium new practice`: a complete skeleton of a practice, in one language, with every
//! field and heading, whose `TODO` placeholders `check` refuses until they are filled.

use std::path::{Path, PathBuf};

use crate::vocabulary::{Kind, Vocabulary};

/// The four body headings, per language.
pub fn headings(lang: &str) -> [&'static str; 4] {
    match lang {
        "fr" => [
            "Contexte",
            "Ce qui a été fait",
            "Résultats",
            "Enseignements",
        ],
        "es" => [
            "Contexto",
            "Qué se hizo",
            "Resultados",
            "Lecciones aprendidas",
        ],
        _ => ["Context", "What was done", "Results", "Lessons learned"],
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum NewError {
    #[error(
        "the slug `{0}` must be lowercase ASCII letters, digits and `-` (e.g. `kenya-diaspora-bond`)"
    )]
    BadSlug(String),
    #[error("unknown {kind} `{value}`{}", .suggestion.as_ref().map(|s| format!(" (did you mean `{s}`?)")).unwrap_or_default())]
    Unknown {
        kind: &'static str,
        value: String,
        suggestion: Option<String>,
    },
    #[error("`{0}` already exists: nothing was written")]
    Exists(PathBuf),
    #[error("the site has no vocabulary ({})", crate::vocabulary::VOCABULARY_FILE)]
    NoVocabulary,
    #[error("cannot write {0}: {1}")]
    Io(PathBuf, String),
}

pub struct NewPractice<'a> {
    pub slug: &'a str,
    pub lang: &'a str,
    pub default_language: &'a str,
    pub sessions: &'a [String],
    pub themes: &'a [String],
    pub today: &'a str,
}

fn check_ids(vocab: &Vocabulary, kind: Kind, values: &[String]) -> Result<(), NewError> {
    for v in values {
        if !vocab.contains(kind, v) {
            return Err(NewError::Unknown {
                kind: kind.noun(),
                value: v.clone(),
                suggestion: vocab.suggest(kind, v),
            });
        }
    }
    Ok(())
}

/// The text of the skeleton.
pub fn skeleton(n: &NewPractice<'_>, vocab: &Vocabulary) -> Result<String, NewError> {
    if n.slug.is_empty()
        || !n
            .slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        || n.slug.starts_with('-')
    {
        return Err(NewError::BadSlug(n.slug.to_string()));
    }
    check_ids(vocab, Kind::Session, n.sessions)?;
    check_ids(vocab, Kind::Theme, n.themes)?;
    let mut round_tables: Vec<String> = n
        .sessions
        .iter()
        .filter_map(|s| vocab.sessions.get(s).and_then(|e| e.round_table.clone()))
        .collect();
    round_tables.sort();
    round_tables.dedup();
    let list = |v: &[String]| {
        v.iter()
            .map(|s| format!("\"{s}\""))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let sessions = if n.sessions.is_empty() {
        "\"TODO: 1.1\"".to_string()
    } else {
        list(n.sessions)
    };
    let rts = if round_tables.is_empty() {
        "\"TODO: rt1\"".to_string()
    } else {
        list(&round_tables)
    };
    let themes = if n.themes.is_empty() {
        "\"TODO: theme id\"".to_string()
    } else {
        list(n.themes)
    };
    let h = headings(n.lang);
    Ok(format!(
        r#"+++
title = "TODO: the name of the practice"
description = "TODO: one sentence saying what was done, by whom, for whom."
date = {today}
updated = {today}

[taxonomies]
round_table = [{rts}]
session = [{sessions}]
# 1 to 5 ids from data/vocabulary.toml [themes]
theme = [{themes}]
# ISO 3166-1 alpha-2 codes (data/countries.toml)
country = ["TODO: code"]
# optional: ids from data/vocabulary.toml [regions], where the practice spans many countries
# region = []

[extra]
start_year = {year}
# end_year = {year}   # leave out while the practice is ongoing
original_language = "{lang}"
# type: government, private-sector, civil-society, international-organisation, diaspora, trade-union
implementers = [
  {{ name = "TODO: who carried it out", type = "government" }},
]
partners = []

[[extra.sources]]
title = "TODO: title of the page or report you read"
publisher = "TODO: publisher"
year = {year}
url = "https://TODO.example.org/"
+++

## {h0}

TODO: the situation the practice answered.

## {h1}

TODO: what was done, by whom, since when.

## {h2}

TODO: what changed, with figures from the sources, and the criticism they record.

## {h3}

TODO: what other governments can learn from it.
"#,
        today = n.today,
        year = &n.today[..4],
        lang = n.lang,
        h0 = h[0],
        h1 = h[1],
        h2 = h[2],
        h3 = h[3],
    ))
}

/// Writes the skeleton under `content/practices/`; never replaces a file.
pub fn write(
    root: &Path,
    n: &NewPractice<'_>,
    vocab: Option<&Vocabulary>,
) -> Result<PathBuf, NewError> {
    let vocab = vocab.ok_or(NewError::NoVocabulary)?;
    let text = skeleton(n, vocab)?;
    let name = if n.lang == n.default_language {
        format!("{}.md", n.slug)
    } else {
        format!("{}.{}.md", n.slug, n.lang)
    };
    let dir = root.join("content").join(crate::practice::SECTION);
    let path = dir.join(name);
    std::fs::create_dir_all(&dir).map_err(|e| NewError::Io(dir.clone(), e.to_string()))?;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                NewError::Exists(path.clone())
            } else {
                NewError::Io(path.clone(), e.to_string())
            }
        })?;
    std::io::Write::write_all(&mut f, text.as_bytes())
        .map_err(|e| NewError::Io(path.clone(), e.to_string()))?;
    Ok(path)
}
