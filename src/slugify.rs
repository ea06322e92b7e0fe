//! How names become URL segments and anchors (Zola's `[slugify]` options).

use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SlugifyStrategy {
    /// ASCII, lowercase, `-` between words.
    On,
    /// Only characters unsafe in paths are removed.
    Safe,
    /// Left as written.
    Off,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slugify {
    pub paths: SlugifyStrategy,
    pub paths_keep_dates: bool,
    pub taxonomies: SlugifyStrategy,
    pub anchors: SlugifyStrategy,
}

impl Default for Slugify {
    fn default() -> Self {
        Slugify {
            paths: SlugifyStrategy::On,
            paths_keep_dates: false,
            taxonomies: SlugifyStrategy::On,
            anchors: SlugifyStrategy::On,
        }
    }
}

impl Slugify {
    pub fn path(&self, s: &str) -> String {
        apply(s, self.paths)
    }
    pub fn taxonomy(&self, s: &str) -> String {
        apply(s, self.taxonomies)
    }
    pub fn anchor(&self, s: &str) -> String {
        apply(s, self.anchors)
    }
}

/// Is `s` its own slug (lowercase ASCII letters and digits, single inner hyphens)? Most
/// taxonomy terms are: `slug::slugify` need not transliterate them.
fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with('-')
        && !s.ends_with('-')
        && !s.contains("--")
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn apply(s: &str, strategy: SlugifyStrategy) -> String {
    match strategy {
        SlugifyStrategy::On if is_slug(s) => s.to_string(),
        SlugifyStrategy::On => slug::slugify(s),
        SlugifyStrategy::Safe => s
            .chars()
            .filter(|c| !"<>:/|?*#\\\"()[]\n\t\r".contains(*c))
            .collect::<String>()
            .trim()
            .replace(' ', "_"),
        SlugifyStrategy::Off => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_slugs_are_what_slugify_gives() {
        for s in [
            "remittances",
            "a-b",
            "rt1",
            "1-2",
            "-a",
            "a-",
            "a--b",
            "A",
            "é",
            "a b",
            "",
            "-",
            "a_b",
            "a.b",
            "x9-y8-z7",
        ] {
            if is_slug(s) {
                assert_eq!(slug::slugify(s), s, "{s:?}");
            }
            assert_eq!(apply(s, SlugifyStrategy::On), slug::slugify(s), "{s:?}");
        }
        assert!(is_slug("x9-y8-z7") && !is_slug("a--b") && !is_slug("-a") && !is_slug("A"));
    }

    #[test]
    fn strategies() {
        let s = Slugify::default();
        assert_eq!(s.path("Été à Paris"), "ete-a-paris");
        assert_eq!(s.taxonomy("Œufs"), "oeufs");
        assert_eq!(apply("a/b c", SlugifyStrategy::Safe), "ab_c");
        assert_eq!(apply("A b", SlugifyStrategy::Off), "A b");
    }
}
