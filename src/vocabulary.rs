//! The controlled vocabulary (`data/vocabulary.toml`) and country names (`data/countries.toml`):
//! the single place where identifiers and their labels live.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::diagnostics::{Diagnostic, Position};

pub const VOCABULARY_FILE: &str = "data/vocabulary.toml";
pub const COUNTRIES_FILE: &str = "data/countries.toml";

/// A label or description in each language.
pub type Text = BTreeMap<String, String>;

#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub label: Text,
    pub description: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub round_table: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sessions: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Vocabulary {
    pub round_tables: BTreeMap<String, Entry>,
    pub sessions: BTreeMap<String, Entry>,
    pub themes: BTreeMap<String, Entry>,
    pub regions: BTreeMap<String, Entry>,
    pub actor_types: BTreeMap<String, Entry>,
    #[serde(skip)]
    pub countries: BTreeMap<String, Text>,
    /// A hash of the two files' bytes: what caches of checks against the vocabulary key on.
    #[serde(skip)]
    pub source_key: u64,
}

#[derive(Deserialize)]
struct CountriesFile {
    countries: BTreeMap<String, Text>,
}

/// The kinds of identifiers, with the taxonomy that uses them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    RoundTable,
    Session,
    Theme,
    Region,
    ActorType,
    Country,
}

impl Kind {
    pub fn noun(self) -> &'static str {
        match self {
            Kind::RoundTable => "round table",
            Kind::Session => "session",
            Kind::Theme => "theme",
            Kind::Region => "region",
            Kind::ActorType => "actor type",
            Kind::Country => "country code",
        }
    }
}

impl Vocabulary {
    /// Loads the vocabulary of the site at `root`; `Ok(None)` when the site has none.
    pub fn load(root: &Path) -> Result<Option<Vocabulary>, Vec<Diagnostic>> {
        let path = root.join(VOCABULARY_FILE);
        if !path.is_file() {
            return Ok(None);
        }
        let mut diags = Vec::new();
        let read = |p: &Path, diags: &mut Vec<Diagnostic>| match std::fs::read_to_string(p) {
            Ok(t) => Some(t),
            Err(e) => {
                diags.push(Diagnostic::error(p, format!("cannot read: {e}")));
                None
            }
        };
        let vtext = read(&path, &mut diags);
        let mut vocab: Option<Vocabulary> = vtext.as_deref().and_then(|text| {
            toml::from_str(text)
                .map_err(|e| {
                    let pos = e.span().map(|s| Position::of_offset(text, s.start));
                    diags.push(Diagnostic::error(&path, crate::config::toml_message(&e)).at(pos));
                })
                .ok()
        });
        let cpath = root.join(COUNTRIES_FILE);
        let ctext = read(&cpath, &mut diags);
        let countries: Option<CountriesFile> = ctext.as_deref().and_then(|text| {
            toml::from_str(text)
                .map_err(|e| {
                    let pos = e.span().map(|s| Position::of_offset(text, s.start));
                    diags.push(Diagnostic::error(&cpath, crate::config::toml_message(&e)).at(pos));
                })
                .ok()
        });
        if let (Some(v), Some(c)) = (&mut vocab, countries) {
            v.countries = c.countries;
            v.source_key = crate::incremental::hash_texts([
                vtext.as_deref().unwrap_or_default(),
                ctext.as_deref().unwrap_or_default(),
            ]);
            for (id, s) in &v.sessions {
                if let Some(rt) = &s.round_table
                    && !v.round_tables.contains_key(rt)
                {
                    diags.push(Diagnostic::error(
                        &path,
                        format!("session `{id}` names round table `{rt}`, which is not defined"),
                    ));
                }
            }
        }
        if diags.is_empty() {
            Ok(vocab)
        } else {
            Err(diags)
        }
    }

    pub fn ids(&self, kind: Kind) -> Vec<&str> {
        let map: Box<dyn Iterator<Item = &String>> = match kind {
            Kind::RoundTable => Box::new(self.round_tables.keys()),
            Kind::Session => Box::new(self.sessions.keys()),
            Kind::Theme => Box::new(self.themes.keys()),
            Kind::Region => Box::new(self.regions.keys()),
            Kind::ActorType => Box::new(self.actor_types.keys()),
            Kind::Country => Box::new(self.countries.keys()),
        };
        map.map(String::as_str).collect()
    }

    /// The entries of a kind in display order (`order`, then identifier); none for countries.
    pub fn entries(&self, kind: Kind) -> Vec<(&str, &Entry)> {
        let map = match kind {
            Kind::RoundTable => &self.round_tables,
            Kind::Session => &self.sessions,
            Kind::Theme => &self.themes,
            Kind::Region => &self.regions,
            Kind::ActorType => &self.actor_types,
            Kind::Country => return Vec::new(),
        };
        let mut list: Vec<(&str, &Entry)> = map.iter().map(|(k, e)| (k.as_str(), e)).collect();
        list.sort_by_key(|(k, e)| (e.order.unwrap_or(u32::MAX), *k));
        list
    }

    pub fn contains(&self, kind: Kind, id: &str) -> bool {
        self.ids(kind).contains(&id)
    }

    /// The closest known identifier, for a "did you mean …?".
    pub fn suggest(&self, kind: Kind, wrong: &str) -> Option<String> {
        suggest(wrong, self.ids(kind))
    }

    /// The one-line description of an identifier in `lang` (none for countries).
    pub fn description(&self, kind: Kind, id: &str, lang: &str) -> Option<&str> {
        let text = match kind {
            Kind::RoundTable => self.round_tables.get(id),
            Kind::Session => self.sessions.get(id),
            Kind::Theme => self.themes.get(id),
            Kind::Region => self.regions.get(id),
            Kind::ActorType => self.actor_types.get(id),
            Kind::Country => None,
        }?;
        text.description.get(lang).map(String::as_str)
    }

    /// The label of an identifier in `lang` (the country name for countries).
    pub fn label(&self, kind: Kind, id: &str, lang: &str) -> Option<&str> {
        let text = match kind {
            Kind::RoundTable => self.round_tables.get(id).map(|e| &e.label),
            Kind::Session => self.sessions.get(id).map(|e| &e.label),
            Kind::Theme => self.themes.get(id).map(|e| &e.label),
            Kind::Region => self.regions.get(id).map(|e| &e.label),
            Kind::ActorType => self.actor_types.get(id).map(|e| &e.label),
            Kind::Country => self.countries.get(id),
        }?;
        text.get(lang).map(String::as_str)
    }
}

/// The candidate nearest to `wrong` by edit distance (case-insensitive), if near enough.
pub fn suggest<'a>(wrong: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let w = wrong.to_lowercase();
    candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(&w, &c.to_lowercase()), c))
        .filter(|(d, c)| *d <= (c.chars().count() / 3).max(1) || c.to_lowercase() == w)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions() {
        let ids = ["remittances", "trafficking", "smuggling"];
        assert_eq!(suggest("remitances", ids).as_deref(), Some("remittances"));
        assert_eq!(suggest("Trafficking", ids).as_deref(), Some("trafficking"));
        assert_eq!(suggest("completely-different", ids), None);
    }

    #[test]
    fn bundled_vocabulary_loads() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let v = Vocabulary::load(root).expect("valid").expect("present");
        assert_eq!(v.ids(Kind::RoundTable), vec!["rt1", "rt2", "rt3"]);
        assert_eq!(v.sessions.len(), 8);
        assert!(v.themes.len() >= 25 && v.themes.len() <= 40);
        assert_eq!(v.label(Kind::Country, "SN", "es"), Some("Senegal"));
        assert_eq!(
            v.label(Kind::Theme, "remittances", "fr"),
            Some("Transferts de fonds")
        );
    }
}
