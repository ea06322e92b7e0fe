//! Open data: the compendium as files anyone can reuse — `data/practices.json` (every practice,
//! all languages, with URLs), `data/practices.csv` (one row a practice per language),
//! `data/vocabulary.json`, and JSON Schemas for them.

use std::collections::BTreeMap;

use serde_json::{Value as Json, json};

use crate::config::Config;
use crate::content::Library;
use crate::output::OutputFile;
use crate::practice::is_practice;
use crate::vocabulary::Vocabulary;

pub const FOLDER: &str = "data";

fn strings(v: Option<&Json>) -> Vec<String> {
    v.and_then(Json::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// The practices, one object each, with their language versions.
pub fn practices(lib: &Library, config: &Config) -> Vec<Json> {
    let mut groups: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, p) in lib
        .pages
        .iter()
        .enumerate()
        .filter(|(_, p)| is_practice(p) && p.meta.render)
    {
        groups.entry(p.file.canonical.as_str()).or_default().push(i);
    }
    let mut out = Vec::new();
    for pages in groups.values() {
        let Some(&first) = pages
            .iter()
            .find(|&&i| lib.pages[i].lang == config.default_language)
            .or(pages.first())
        else {
            continue;
        };
        let reference = &lib.pages[first];
        let tax = |name: &str| -> Vec<String> {
            reference
                .meta
                .taxonomies
                .iter()
                .find(|(n, _, _)| n == name)
                .map(|(_, terms, _)| terms.clone())
                .unwrap_or_default()
        };
        let extra = &reference.meta.extra;
        let mut versions = serde_json::Map::new();
        for code in config.language_codes() {
            if let Some(&i) = pages.iter().find(|&&i| lib.pages[i].lang == code) {
                let p = &lib.pages[i];
                versions.insert(
                    code.to_string(),
                    json!({
                        "title": p.meta.title,
                        "description": p.meta.description,
                        "url": p.permalink,
                        "updated": p.meta.updated.as_ref().map(|d| &d.text),
                    }),
                );
            }
        }
        out.push(json!({
            "id": reference.slug,
            "original_language": extra.get("original_language"),
            "date": reference.meta.date.as_ref().map(|d| &d.text),
            "updated": reference.meta.updated.as_ref().map(|d| &d.text),
            "round_table": tax("round_table"),
            "session": tax("session"),
            "theme": tax("theme"),
            "country": tax("country"),
            "region": tax("region"),
            "start_year": extra.get("start_year"),
            "end_year": extra.get("end_year"),
            "implementers": extra.get("implementers").cloned().unwrap_or(json!([])),
            "partners": extra.get("partners").cloned().unwrap_or(json!([])),
            "sources": extra.get("sources").cloned().unwrap_or(json!([])),
            "languages": versions,
        }));
    }
    out
}

/// The columns of `practices.csv`, in order.
pub const CSV_COLUMNS: &[&str] = &[
    "id",
    "lang",
    "title",
    "description",
    "url",
    "original_language",
    "round_table",
    "session",
    "theme",
    "country",
    "region",
    "start_year",
    "end_year",
    "implementers",
    "partners",
    "sources",
    "date",
    "updated",
];

fn actors(v: &Json) -> String {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|x| {
                    format!(
                        "{} ({})",
                        x["name"].as_str().unwrap_or(""),
                        x["type"].as_str().unwrap_or("")
                    )
                })
                .collect::<Vec<_>>()
                .join(";")
        })
        .unwrap_or_default()
}

/// One row a practice per language; lists joined with `;`.
pub fn practices_csv(practices: &[Json]) -> Result<String, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(CSV_COLUMNS)?;
    for p in practices {
        let Some(langs) = p["languages"].as_object() else {
            continue;
        };
        for (lang, v) in langs {
            let num = |x: &Json| x.as_i64().map(|n| n.to_string()).unwrap_or_default();
            let list = |k: &str| strings(p.get(k)).join(";");
            let sources = p["sources"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|s| s["url"].as_str())
                        .collect::<Vec<_>>()
                        .join(";")
                })
                .unwrap_or_default();
            w.write_record([
                p["id"].as_str().unwrap_or(""),
                lang,
                v["title"].as_str().unwrap_or(""),
                v["description"].as_str().unwrap_or(""),
                v["url"].as_str().unwrap_or(""),
                p["original_language"].as_str().unwrap_or(""),
                &list("round_table"),
                &list("session"),
                &list("theme"),
                &list("country"),
                &list("region"),
                &num(&p["start_year"]),
                &num(&p["end_year"]),
                &actors(&p["implementers"]),
                &actors(&p["partners"]),
                &sources,
                p["date"].as_str().unwrap_or(""),
                v["updated"].as_str().unwrap_or(""),
            ])?;
        }
    }
    let bytes = w.into_inner().map_err(|e| e.into_error())?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// The JSON Schema of `practices.json`.
pub fn practices_schema(vocab: &Vocabulary, languages: &[&str]) -> Json {
    use crate::vocabulary::Kind;
    let ids = |k: Kind| json!({"type": "array", "items": {"enum": vocab.ids(k)}});
    let actor = json!({"type": "object", "required": ["name", "type"], "properties": {"name": {"type": "string"}, "type": {"enum": vocab.ids(Kind::ActorType)}}});
    let version = json!({
        "type": "object",
        "required": ["title", "description", "url"],
        "properties": {
            "title": {"type": "string"}, "description": {"type": "string"},
            "url": {"type": "string", "format": "uri"}, "updated": {"type": ["string", "null"]}
        }
    });
    let mut lang_props = serde_json::Map::new();
    for l in languages {
        lang_props.insert((*l).to_string(), version.clone());
    }
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "The practices of the compendium (practices.json)",
        "type": "array",
        "items": {
            "type": "object",
            "required": ["id", "original_language", "round_table", "session", "theme", "country", "start_year", "implementers", "sources", "languages"],
            "additionalProperties": false,
            "properties": {
                "id": {"type": "string", "pattern": "^[a-z0-9-]+$"},
                "original_language": {"enum": languages},
                "date": {"type": ["string", "null"]},
                "updated": {"type": ["string", "null"]},
                "round_table": ids(Kind::RoundTable),
                "session": ids(Kind::Session),
                "theme": ids(Kind::Theme),
                "country": ids(Kind::Country),
                "region": ids(Kind::Region),
                "start_year": {"type": "integer"},
                "end_year": {"type": ["integer", "null"]},
                "implementers": {"type": "array", "items": actor},
                "partners": {"type": "array", "items": actor},
                "sources": {"type": "array", "items": {
                    "type": "object", "required": ["title", "publisher", "year", "url"],
                    "properties": {"title": {"type": "string"}, "publisher": {"type": "string"}, "year": {"type": "integer"}, "url": {"type": "string", "format": "uri"}}
                }},
                "languages": {"type": "object", "minProperties": 1, "additionalProperties": false, "properties": lang_props}
            }
        }
    })
}

/// Every open-data file, under `data/`.
pub fn files(
    lib: &Library,
    config: &Config,
    vocab: &Vocabulary,
) -> Result<Vec<OutputFile>, String> {
    let list = practices(lib, config);
    let pretty = |v: &Json| {
        serde_json::to_string_pretty(v)
            .map(|s| s + "\n")
            .map_err(|e| e.to_string())
    };
    let csv = practices_csv(&list).map_err(|e| e.to_string())?;
    let langs = config.language_codes();
    let vocabulary = json!({
        "round_tables": vocab.round_tables,
        "sessions": vocab.sessions,
        "themes": vocab.themes,
        "regions": vocab.regions,
        "actor_types": vocab.actor_types,
        "countries": vocab.countries,
    });
    Ok(vec![
        OutputFile::text(
            format!("{FOLDER}/practices.json"),
            pretty(&Json::Array(list))?,
        ),
        OutputFile::text(format!("{FOLDER}/practices.csv"), csv),
        OutputFile::text(format!("{FOLDER}/vocabulary.json"), pretty(&vocabulary)?),
        OutputFile::text(
            format!("{FOLDER}/practices.schema.json"),
            pretty(&practices_schema(vocab, &langs))?,
        ),
        OutputFile::text(
            format!("{FOLDER}/practice-front-matter.schema.json"),
            pretty(&crate::schema::practice_schema(vocab, &langs))?,
        ),
    ])
}
