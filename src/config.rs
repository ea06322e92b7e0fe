//! `config.toml`: a raw serde view of what is written, resolved into [`Config`], what is used.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use crate::diagnostics::{Diagnostic, Position};
use crate::slugify::{Slugify, SlugifyStrategy};

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // some keys are accepted for Zola compatibility and not used
struct RawTaxonomy {
    name: String,
    #[serde(default)]
    paginate_by: Option<usize>,
    #[serde(default)]
    paginate_path: Option<String>,
    #[serde(default)]
    feed: bool,
    #[serde(default = "yes")]
    render: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // some keys are accepted for Zola compatibility and not used
struct RawLanguage {
    title: Option<String>,
    description: Option<String>,
    generate_feeds: Option<bool>,
    feed_filenames: Option<Vec<String>>,
    taxonomies: Option<Vec<RawTaxonomy>>,
    translations: Option<BTreeMap<String, String>>,
    // Zola keys we accept but do not act on.
    build_search_index: Option<toml::Value>,
    search: Option<toml::Value>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // some keys are accepted for Zola compatibility and not used
struct RawHighlighting {
    theme: Option<String>,
    style: Option<String>,
    light_theme: Option<toml::Value>,
    dark_theme: Option<toml::Value>,
    extra_grammars: Option<toml::Value>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // some keys are accepted for Zola compatibility and not used
struct RawMarkdown {
    smart_punctuation: Option<bool>,
    external_links_target_blank: Option<bool>,
    external_links_no_follow: Option<bool>,
    external_links_no_referrer: Option<bool>,
    insert_anchor_links: Option<String>,
    bottom_footnotes: Option<bool>,
    highlighting: Option<RawHighlighting>,
    // Before Zola 0.22; accepted with a warning.
    highlight_code: Option<bool>,
    highlight_theme: Option<String>,
    // Zola keys we accept but do not act on.
    render_emoji: Option<toml::Value>,
    lazy_async_image: Option<toml::Value>,
    definition_list: Option<toml::Value>,
    github_alerts: Option<toml::Value>,
    extra_syntaxes_and_themes: Option<toml::Value>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // some keys are accepted for Zola compatibility and not used
struct RawSlugify {
    paths: Option<SlugifyStrategy>,
    paths_keep_dates: Option<bool>,
    taxonomies: Option<SlugifyStrategy>,
    anchors: Option<SlugifyStrategy>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // some keys are accepted for Zola compatibility and not used
struct RawConfig {
    base_url: Option<String>,
    title: Option<String>,
    description: Option<String>,
    default_language: Option<String>,
    theme: Option<String>,
    output_dir: Option<String>,
    author: Option<String>,
    generate_feeds: Option<bool>,
    feed_filenames: Option<Vec<String>>,
    feed_limit: Option<usize>,
    taxonomies: Option<Vec<RawTaxonomy>>,
    translations: Option<BTreeMap<String, String>>,
    languages: Option<BTreeMap<String, RawLanguage>>,
    markdown: Option<RawMarkdown>,
    slugify: Option<RawSlugify>,
    generate_sitemap: Option<bool>,
    generate_robots_txt: Option<bool>,
    ignored_content: Option<Vec<String>>,
    ignored_static: Option<Vec<String>>,
    extra: Option<toml::Table>,
    /// Compendium's own options (not Zola's).
    compendium: Option<RawCompendium>,
    // Zola keys we accept but do not act on (a warning says so).
    compile_sass: Option<toml::Value>,
    minify_html: Option<toml::Value>,
    build_search_index: Option<toml::Value>,
    search: Option<toml::Value>,
    link_checker: Option<toml::Value>,
    hard_link_static: Option<toml::Value>,
    preserve_dotfiles_in_output: Option<toml::Value>,
    exclude_paginated_pages_in_sitemap: Option<toml::Value>,
    mode: Option<toml::Value>,
}

/// `[compendium]`: options of this generator that Zola does not have.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawCompendium {
    /// The largest content file read, in bytes.
    max_file_size: Option<u64>,
}

/// A taxonomy as declared for one language.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TaxonomyConfig {
    pub name: String,
    pub slug: String,
    pub paginate_by: Option<usize>,
    pub paginate_path: Option<String>,
    pub feed: bool,
    pub render: bool,
}

impl TaxonomyConfig {
    pub fn paginate_path(&self) -> &str {
        self.paginate_path.as_deref().unwrap_or("page")
    }
}

/// The options of one language (the default language's come from the top level).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LanguageOptions {
    pub title: Option<String>,
    pub description: Option<String>,
    pub generate_feeds: bool,
    pub feed_filenames: Vec<String>,
    pub taxonomies: Vec<TaxonomyConfig>,
    #[serde(skip)]
    pub translations: BTreeMap<String, String>,
}

/// Markdown options.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct MarkdownConfig {
    pub smart_punctuation: bool,
    pub external_links_target_blank: bool,
    pub external_links_no_follow: bool,
    pub external_links_no_referrer: bool,
    pub bottom_footnotes: bool,
    pub insert_anchor_links: String,
    /// Highlighting is on when this is set: the syntect theme used for the generated stylesheet.
    pub highlight_theme: Option<String>,
}

/// The resolved configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub base_url: String,
    pub default_language: String,
    pub languages: BTreeMap<String, LanguageOptions>,
    pub theme: Option<String>,
    pub output_dir: String,
    pub author: Option<String>,
    pub feed_limit: Option<usize>,
    pub markdown: MarkdownConfig,
    pub slugify: Slugify,
    pub generate_sitemap: bool,
    pub generate_robots_txt: bool,
    /// Zola's `build_search_index`: here it builds compendium's tantivy index (not
    /// elasticlunr) under `search/`.
    pub build_search_index: bool,
    pub ignored_content: globset::GlobSet,
    pub ignored_static: globset::GlobSet,
    pub extra: Json,
    /// The largest content file read, in bytes (`[compendium] max_file_size`).
    pub max_file_size: u64,
}

/// Errors that make a config unusable.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
}

impl Config {
    /// Loads `config.toml`; problems go to `diags`. Returns `None` when the config is unusable.
    pub fn load(path: &Path, diags: &mut Vec<Diagnostic>) -> Option<Config> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => {
                diags.push(Diagnostic::error(
                    path,
                    format!("cannot read the config: {e}"),
                ));
                return None;
            }
        };
        Self::parse(path, &text, diags)
    }

    pub fn parse(path: &Path, text: &str, diags: &mut Vec<Diagnostic>) -> Option<Config> {
        let raw: RawConfig = match toml::from_str(text) {
            Ok(r) => r,
            Err(e) => {
                let pos = e.span().map(|s| Position::of_offset(text, s.start));
                diags.push(Diagnostic::error(path, toml_message(&e)).at(pos));
                return None;
            }
        };
        let warn = |diags: &mut Vec<Diagnostic>, key: &str, why: &str| {
            diags.push(
                Diagnostic::warning(path, format!("`{key}` is not supported yet: {why}"))
                    .at(find_key_line(text, key)),
            );
        };
        if raw.compile_sass == Some(toml::Value::Boolean(true)) {
            warn(diags, "compile_sass", "Sass files are not compiled");
        }
        if raw.minify_html == Some(toml::Value::Boolean(true)) {
            warn(diags, "minify_html", "HTML is written as rendered");
        }
        for (key, v) in [
            ("link_checker", &raw.link_checker),
            ("hard_link_static", &raw.hard_link_static),
            ("search", &raw.search),
            ("mode", &raw.mode),
        ] {
            if v.is_some() {
                warn(diags, key, "it is ignored");
            }
        }

        let slugify_raw = raw.slugify.clone().unwrap_or_default();
        let slugify = Slugify {
            paths: slugify_raw.paths.unwrap_or(SlugifyStrategy::On),
            paths_keep_dates: slugify_raw.paths_keep_dates.unwrap_or(false),
            taxonomies: slugify_raw.taxonomies.unwrap_or(SlugifyStrategy::On),
            anchors: slugify_raw.anchors.unwrap_or(SlugifyStrategy::On),
        };
        let make_taxonomies = |list: &Option<Vec<RawTaxonomy>>| -> Vec<TaxonomyConfig> {
            list.iter()
                .flatten()
                .map(|t| TaxonomyConfig {
                    name: t.name.clone(),
                    slug: slugify.taxonomy(&t.name),
                    paginate_by: t.paginate_by,
                    paginate_path: t.paginate_path.clone(),
                    feed: t.feed,
                    render: t.render,
                })
                .collect()
        };

        let default_language = raw.default_language.clone().unwrap_or_else(|| "en".into());
        let default_feeds = vec!["atom.xml".to_string()];
        let mut languages = BTreeMap::new();
        languages.insert(
            default_language.clone(),
            LanguageOptions {
                title: raw.title.clone(),
                description: raw.description.clone(),
                generate_feeds: raw.generate_feeds.unwrap_or(false),
                feed_filenames: raw.feed_filenames.clone().unwrap_or(default_feeds.clone()),
                taxonomies: make_taxonomies(&raw.taxonomies),
                translations: raw.translations.clone().unwrap_or_default(),
            },
        );
        let mut ok = true;
        for (code, l) in raw.languages.iter().flatten() {
            if code == &default_language {
                // Zola refuses to declare the default language twice.
                diags.push(
                    Diagnostic::error(
                        path,
                        format!(
                            "the default language `{code}` must not be declared in [languages]: its options go at the top level"
                        ),
                    )
                    .at(find_key_line(text, &format!("languages.{code}"))),
                );
                ok = false;
                continue;
            }
            languages.insert(
                code.clone(),
                LanguageOptions {
                    title: l.title.clone(),
                    description: l.description.clone(),
                    generate_feeds: l.generate_feeds.unwrap_or(false),
                    feed_filenames: l.feed_filenames.clone().unwrap_or(default_feeds.clone()),
                    taxonomies: make_taxonomies(&l.taxonomies),
                    translations: l.translations.clone().unwrap_or_default(),
                },
            );
        }

        let md = raw.markdown.clone().unwrap_or_default();
        if md.highlight_code.is_some() || md.highlight_theme.is_some() {
            diags.push(
                Diagnostic::warning(
                    path,
                    "`highlight_code` and `highlight_theme` are the names used before Zola 0.22",
                )
                .at(find_key_line(text, "highlight_code"))
                .with_help("use a [markdown.highlighting] table with `theme = \"…\"`"),
            );
        }
        let highlight_theme = match (&md.highlighting, md.highlight_code) {
            (Some(h), _) => Some(
                h.theme
                    .clone()
                    .unwrap_or_else(|| "base16-ocean.dark".into()),
            ),
            (None, Some(true)) => Some(
                md.highlight_theme
                    .clone()
                    .unwrap_or_else(|| "base16-ocean.dark".into()),
            ),
            _ => None,
        };
        let markdown = MarkdownConfig {
            smart_punctuation: md.smart_punctuation.unwrap_or(false),
            external_links_target_blank: md.external_links_target_blank.unwrap_or(false),
            external_links_no_follow: md.external_links_no_follow.unwrap_or(false),
            external_links_no_referrer: md.external_links_no_referrer.unwrap_or(false),
            bottom_footnotes: md.bottom_footnotes.unwrap_or(false),
            insert_anchor_links: md.insert_anchor_links.unwrap_or_else(|| "none".into()),
            highlight_theme,
        };

        let globs = |list: &Option<Vec<String>>, key: &str, diags: &mut Vec<Diagnostic>| {
            let mut b = globset::GlobSetBuilder::new();
            for g in list.iter().flatten() {
                match globset::Glob::new(g) {
                    Ok(g) => {
                        b.add(g);
                    }
                    Err(e) => diags.push(
                        Diagnostic::error(path, format!("invalid glob in `{key}`: {e}"))
                            .at(find_key_line(text, key)),
                    ),
                }
            }
            b.build().unwrap_or_else(|_| globset::GlobSet::empty())
        };
        let ignored_content = globs(&raw.ignored_content, "ignored_content", diags);
        let ignored_static = globs(&raw.ignored_static, "ignored_static", diags);

        let base_url = raw.base_url.clone().unwrap_or_default();
        if base_url.is_empty() {
            diags.push(
                Diagnostic::error(path, "`base_url` is required")
                    .at(Some(Position { line: 1, col: 1 })),
            );
            ok = false;
        }
        let extra = raw
            .extra
            .as_ref()
            .map(|t| serde_json::to_value(t).unwrap_or(Json::Null))
            .unwrap_or_else(|| Json::Object(Default::default()));

        if !ok {
            return None;
        }
        Some(Config {
            base_url,
            default_language,
            languages,
            theme: raw.theme,
            output_dir: raw.output_dir.unwrap_or_else(|| "public".into()),
            author: raw.author,
            feed_limit: raw.feed_limit,
            markdown,
            slugify,
            generate_sitemap: raw.generate_sitemap.unwrap_or(true),
            generate_robots_txt: raw.generate_robots_txt.unwrap_or(true),
            build_search_index: raw.build_search_index == Some(toml::Value::Boolean(true)),
            ignored_content,
            ignored_static,
            extra,
            max_file_size: raw
                .compendium
                .and_then(|c| c.max_file_size)
                .unwrap_or(crate::content::walk::MAX_FILE_BYTES),
        })
    }

    /// The base URL without its trailing slash.
    pub fn base(&self) -> &str {
        self.base_url.trim_end_matches('/')
    }

    /// `base_url` joined with a site path, as Zola does: the path keeps its trailing slash.
    pub fn make_permalink(&self, path: &str) -> String {
        // Zola leaves the slash off feeds named like the *default* language's feeds only.
        let is_feed = self
            .lang(&self.default_language)
            .feed_filenames
            .iter()
            .any(|f| path.ends_with(f.as_str()));
        let trailing = if is_feed || path.is_empty() || path.ends_with('/') {
            ""
        } else {
            "/"
        };
        let p = path.trim_start_matches('/');
        if p.is_empty() {
            format!("{}/", self.base())
        } else {
            format!("{}/{}{}", self.base(), p, trailing)
        }
    }

    pub fn is_multilingual(&self) -> bool {
        self.languages.len() > 1
    }

    pub fn lang(&self, code: &str) -> &LanguageOptions {
        self.languages
            .get(code)
            .or_else(|| self.languages.get(&self.default_language))
            .expect("the default language is always present")
    }

    /// The languages, default first, then the others in code order.
    pub fn language_codes(&self) -> Vec<&str> {
        let mut v = vec![self.default_language.as_str()];
        v.extend(
            self.languages
                .keys()
                .map(String::as_str)
                .filter(|c| *c != self.default_language),
        );
        v
    }

    /// The URL prefix of a language: empty for the default one, `/xx` for the others.
    pub fn lang_prefix(&self, lang: &str) -> String {
        if lang == self.default_language {
            String::new()
        } else {
            format!("/{lang}")
        }
    }

    pub fn taxonomy(&self, lang: &str, name: &str) -> Option<&TaxonomyConfig> {
        self.lang(lang).taxonomies.iter().find(|t| t.name == name)
    }

    /// What templates see as `config`, for one language (as Zola: the language's own title,
    /// description, feeds and taxonomies; `languages` lists only the other languages).
    pub fn to_template_json(&self, lang: &str) -> Json {
        let l = self.lang(lang);
        let others: serde_json::Map<String, Json> = self
            .languages
            .iter()
            .filter(|(c, _)| *c != lang)
            .map(|(c, o)| (c.clone(), serde_json::to_value(o).unwrap_or(Json::Null)))
            .collect();
        serde_json::json!({
            "base_url": self.base_url,
            "mode": "build",
            "title": l.title,
            "description": l.description,
            "languages": others,
            "default_language": self.default_language,
            "generate_feeds": l.generate_feeds,
            "feed_filenames": l.feed_filenames,
            "taxonomies": l.taxonomies,
            "author": self.author,
            "build_search_index": self.build_search_index,
            "extra": self.extra,
            "markdown": self.markdown,
            "generate_sitemap": self.generate_sitemap,
            "generate_robots_txt": self.generate_robots_txt,
        })
    }
}

/// A TOML error message without the location and source excerpt the toml crate adds.
pub fn toml_message(e: &toml::de::Error) -> String {
    e.message().trim().to_string()
}

/// The position of `key = …` (or of a `[key]` table header) in a TOML text, if found.
pub fn find_key_line(text: &str, key: &str) -> Option<Position> {
    let last = key.rsplit('.').next().unwrap_or(key);
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let t = line.trim_start();
        let indent = line.len() - t.len();
        let header = format!("[{key}]");
        let is_key = t.starts_with(last) && t[last.len()..].trim_start().starts_with(['=', '.'])
            || t.starts_with(&format!("\"{last}\""));
        if is_key || t.starts_with(&header) {
            return Some(Position::of_offset(text, offset + indent));
        }
        offset += line.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> (Option<Config>, Vec<Diagnostic>) {
        let mut d = vec![];
        let c = Config::parse(Path::new("config.toml"), text, &mut d);
        (c, d)
    }

    #[test]
    fn unknown_key_is_an_error_with_its_line() {
        let (c, d) = parse("base_url = \"https://a.org\"\n\ntitel = \"x\"\n");
        assert!(c.is_none());
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].line, Some(3));
        assert!(d[0].message.contains("titel"), "{}", d[0].message);
    }

    #[test]
    fn default_language_options_come_from_top_level() {
        let (c, d) = parse(
            "base_url = \"https://a.org/\"\ntitle = \"T\"\ndefault_language = \"fr\"\n[languages.en]\ntitle = \"E\"\n",
        );
        assert!(d.is_empty(), "{d:?}");
        let c = c.expect("config");
        assert_eq!(c.lang("fr").title.as_deref(), Some("T"));
        assert_eq!(c.lang("en").title.as_deref(), Some("E"));
        assert_eq!(c.make_permalink("/en/a/"), "https://a.org/en/a/");
        assert_eq!(c.language_codes(), vec!["fr", "en"]);
    }

    #[test]
    fn unsupported_zola_key_is_a_warning() {
        let (c, d) = parse("base_url = \"https://a.org\"\nminify_html = true\n");
        assert!(c.is_some());
        assert_eq!(d.len(), 1);
        assert!(!d[0].is_error());
        assert_eq!(d[0].line, Some(2));
    }
}
