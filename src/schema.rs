//! `compendium schema`: a JSON Schema of the practice front matter, with the vocabulary's
//! identifiers as enums, for editors that validate while a contributor types.

use serde_json::{Value as Json, json};

use crate::vocabulary::{Kind, Vocabulary};

pub fn practice_schema(vocab: &Vocabulary, languages: &[&str]) -> Json {
    let ids = |k: Kind| json!(vocab.ids(k));
    let id_list = |k: Kind, min: usize, max: Option<usize>| {
        let mut v = json!({"type": "array", "items": {"enum": ids(k)}, "minItems": min, "uniqueItems": true});
        if let Some(m) = max {
            v["maxItems"] = json!(m);
        }
        v
    };
    let actor = json!({
        "type": "object",
        "required": ["name", "type"],
        "additionalProperties": false,
        "properties": {"name": {"type": "string", "minLength": 1}, "type": {"enum": ids(Kind::ActorType)}}
    });
    let date = json!({"anyOf": [{"type": "string", "format": "date"}, {"type": "string", "format": "date-time"}]});
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://compendium.invalid/schemas/practice.json",
        "title": "Front matter of a practice of the compendium",
        "type": "object",
        "required": ["title", "description", "date", "updated", "taxonomies", "extra"],
        "properties": {
            "title": {"type": "string", "minLength": 1},
            "description": {"type": "string", "minLength": 1},
            "date": date,
            "updated": date,
            "draft": {"type": "boolean"},
            "slug": {"type": "string"},
            "aliases": {"type": "array", "items": {"type": "string"}},
            "taxonomies": {
                "type": "object",
                "required": ["round_table", "session", "theme", "country"],
                "additionalProperties": false,
                "properties": {
                    "round_table": id_list(Kind::RoundTable, 1, None),
                    "session": id_list(Kind::Session, 1, None),
                    "theme": id_list(Kind::Theme, 1, Some(5)),
                    "country": id_list(Kind::Country, 1, None),
                    "region": id_list(Kind::Region, 0, None),
                }
            },
            "extra": {
                "type": "object",
                "required": ["start_year", "original_language", "implementers", "sources"],
                "properties": {
                    "start_year": {"type": "integer", "minimum": 1900},
                    "end_year": {"type": "integer", "minimum": 1900},
                    "original_language": {"enum": languages},
                    "translated_from": {"type": "string"},
                    "implementers": {"type": "array", "items": actor, "minItems": 1},
                    "partners": {"type": "array", "items": actor},
                    "sources": {
                        "type": "array",
                        "minItems": 1,
                        "items": {
                            "type": "object",
                            "required": ["title", "publisher", "year", "url"],
                            "additionalProperties": false,
                            "properties": {
                                "title": {"type": "string", "minLength": 1},
                                "publisher": {"type": "string", "minLength": 1},
                                "year": {"type": "integer", "minimum": 1900},
                                "url": {"type": "string", "pattern": "^https?://[^\\s/]+\\.[^\\s]+$"}
                            }
                        }
                    }
                }
            }
        }
    })
}
