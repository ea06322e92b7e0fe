//! The controlled vocabulary (`data/vocabulary.toml`) and country names (`data/countries.toml`):
//! the single place where identifiers and their labels live.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

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

/// The last vocabulary [`Vocabulary::load_cached`] parsed (or failed to), by a hash of its
/// two files.
#[derive(Default)]
pub struct VocabularyCache(Option<(u64, VocabularyResult)>);

type VocabularyResult = Result<Option<Arc<Vocabulary>>, Vec<Diagnostic>>;

/// The texts of the vocabulary and countries files (`None` where one could not be read, with
/// the error in the diagnostics); `None` when the site has no vocabulary.
fn read_files(root: &Path) -> Option<(Option<String>, Option<String>, Vec<Diagnostic>)> {
    let path = root.join(VOCABULARY_FILE);
    if !path.is_file() {
        return None;
    }
    let mut diags = Vec::new();
    let mut read = |p: &Path| match std::fs::read_to_string(p) {
        Ok(t) => Some(t),
        Err(e) => {
            diags.push(Diagnostic::error(p, format!("cannot read: {e}")));
            None
        }
    };
    let vtext = read(&path);
    let ctext = read(&root.join(COUNTRIES_FILE));
    Some((vtext, ctext, diags))
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
        match read_files(root) {
            None => Ok(None),
            Some((vtext, ctext, diags)) => Vocabulary::parse(root, vtext, ctext, diags).map(Some),
        }
    }

    /// [`Vocabulary::load`], parsing the files again only if their bytes changed since the
    /// last call with the same `cache`.
    pub fn load_cached(
        root: &Path,
        cache: Option<&mut VocabularyCache>,
    ) -> Result<Option<Arc<Vocabulary>>, Vec<Diagnostic>> {
        let Some((vtext, ctext, diags)) = read_files(root) else {
            return Ok(None);
        };
        let key = match (&vtext, &ctext) {
            (Some(v), Some(c)) => Some(crate::incremental::hash_texts([v.as_str(), c.as_str()])),
            _ => None,
        };
        if let (Some(cache), Some(key)) = (&cache, key)
            && let Some((k, known)) = &cache.0
            && *k == key
        {
            return known.clone();
        }
        let parsed = Vocabulary::parse(root, vtext, ctext, diags).map(|v| Some(Arc::new(v)));
        if let (Some(cache), Some(key)) = (cache, key) {
            cache.0 = Some((key, parsed.clone()));
        }
        parsed
    }

    /// Parses the vocabulary and countries files' texts (`None` where they could not be read,
    /// which `diags` already tells).
    fn parse(
        root: &Path,
        vtext: Option<String>,
        ctext: Option<String>,
        mut diags: Vec<Diagnostic>,
    ) -> Result<Vocabulary, Vec<Diagnostic>> {
        let path = root.join(VOCABULARY_FILE);
        let mut vocab: Option<Vocabulary> = vtext.as_deref().and_then(|text| {
            toml::from_str(text)
                .map_err(|e| {
                    let pos = e.span().map(|s| Position::of_offset(text, s.start));
                    diags.push(Diagnostic::error(&path, crate::config::toml_message(&e)).at(pos));
                })
                .ok()
        });
        let cpath = root.join(COUNTRIES_FILE);
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
        match vocab {
            Some(v) if diags.is_empty() => Ok(v),
            _ => Err(diags),
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
        match kind {
            Kind::RoundTable => self.round_tables.contains_key(id),
            Kind::Session => self.sessions.contains_key(id),
            Kind::Theme => self.themes.contains_key(id),
            Kind::Region => self.regions.contains_key(id),
            Kind::ActorType => self.actor_types.contains_key(id),
            Kind::Country => self.countries.contains_key(id),
        }
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
