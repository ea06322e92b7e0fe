//! A page: one Markdown file that is not a section's `_index.md`.

use std::path::Path;

use serde_json::Value as Json;

use super::dates::DateValue;
use super::fields::Fields;
use super::file_info::FileInfo;
use super::front_matter::Node;
use crate::config::Config;
use crate::diagnostics::{Diagnostic, Position};

/// What a page's front matter says.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PageMeta {
    pub title: Option<String>,
    pub description: Option<String>,
    pub date: Option<DateValue>,
    pub updated: Option<DateValue>,
    pub weight: Option<usize>,
    pub draft: bool,
    pub slug: Option<String>,
    pub path: Option<String>,
    pub aliases: Vec<String>,
    pub template: Option<String>,
    pub authors: Vec<String>,
    pub in_search_index: bool,
    pub render: bool,
    /// Taxonomy name → terms, in the order written, with the position of the name.
    pub taxonomies: Vec<(String, Vec<String>, Option<Position>)>,
    pub extra: Json,
}

impl PageMeta {
    pub fn read(node: &Node, text: &str, path: &Path) -> (PageMeta, Vec<Diagnostic>) {
        let mut f = Fields::new(node, text, path);
        let meta = PageMeta {
            title: f.string("title"),
            description: f.string("description"),
            date: f.date("date"),
            updated: f.date("updated"),
            weight: f.usize("weight"),
            draft: f.bool("draft").unwrap_or(false),
            slug: f.string("slug"),
            path: f.string("path"),
            aliases: f.strings("aliases"),
            template: f.string("template"),
            authors: f.strings("authors"),
            in_search_index: f.bool("in_search_index").unwrap_or(true),
            render: f.bool("render").unwrap_or(true),
            taxonomies: f.taxonomies(),
            extra: f.table_json("extra"),
        };
        f.check_url_path("path", false);
        f.check_url_path("slug", true);
        f.check_url_path("aliases", false);
        (meta, f.finish("page"))
    }
}

/// A page, as loaded and then completed by the library and the Markdown renderer.
#[derive(Debug, Clone, Default)]
pub struct Page {
    /// Shared: they do not change once the file is read, and the preview's next build copies
    /// every page it did not read again.
    pub file: std::sync::Arc<FileInfo>,
    pub meta: std::sync::Arc<PageMeta>,
    /// The template that renders the page: its own `template`, or the `page_template` of the
    /// nearest section above that has one (set by the library).
    pub template: Option<String>,
    pub lang: String,
    /// The whole file, kept for diagnostics.
    pub source: std::sync::Arc<str>,
    /// Byte offset of the Markdown body in `source`.
    pub body_offset: usize,
    /// A hash of the file's bytes, made when the preview's cache read it (0 otherwise): its
    /// Markdown's cache key uses it instead of hashing the whole file on every build.
    pub source_key: u64,
    /// A hash of `meta.extra`, made with `source_key` (0 otherwise): render keys use it
    /// instead of hashing every page's `extra` on every build.
    pub extra_key: u64,
    pub slug: String,
    /// Site path, always starting and ending with `/`.
    pub path: String,
    pub components: Vec<String>,
    pub permalink: String,
    /// Site-root paths of colocated files (`/blog/walk/map.svg`).
    pub assets: Vec<String>,
    /// Files next to the page, relative to `content/`.
    pub asset_files: Vec<String>,
    /// Relative paths of the sections above, root first.
    pub ancestors: Vec<String>,
    pub lower: Option<usize>,
    pub higher: Option<usize>,
    pub word_count: usize,
    pub reading_time: usize,
    /// What the Markdown renderer made of the body: HTML (and its hash, in the preview),
    /// summary, table of contents, links. Shared with the preview's Markdown cache: the next
    /// build does not copy it.
    pub markdown: std::sync::Arc<crate::markdown::Rendered>,
}

impl Page {
    pub fn body(&self) -> &str {
        &self.source[self.body_offset..]
    }

    /// Computes slug, path and permalink as Zola does.
    pub fn resolve_path(&mut self, config: &Config) {
        let file_slug_source = match &self.file.colocated_path {
            Some(folder) => folder
                .trim_end_matches('/')
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .to_string(),
            None => self.file.name.clone(),
        };
        let (date_part, rest) = split_dated_name(&file_slug_source);
        let mut slug_source = file_slug_source.clone();
        if let Some(date) = date_part {
            if self.meta.date.is_none() {
                std::sync::Arc::make_mut(&mut self.meta).date = DateValue::parse(date);
            }
            if let Some(rest) = rest
                && !config.slugify.paths_keep_dates
            {
                slug_source = rest.to_string();
            }
        }
        self.slug = match &self.meta.slug {
            Some(s) => config.slugify.path(s),
            None => config.slugify.path(&slug_source),
        };
        let mut path = match &self.meta.path {
            Some(p) => {
                let p = p.trim();
                if p.starts_with('/') {
                    p.to_string()
                } else {
                    format!("/{p}")
                }
            }
            None => {
                let mut p = if self.file.components.is_empty() {
                    self.slug.clone()
                } else {
                    format!("{}/{}", self.file.components.join("/"), self.slug)
                };
                if self.lang != config.default_language {
                    p = format!("{}/{}", self.lang, p);
                }
                format!("/{p}")
            }
        };
        if !path.ends_with('/') {
            path.push('/');
        }
        self.components = path
            .split('/')
            .filter(|c| !c.is_empty())
            .map(str::to_string)
            .collect();
        self.permalink = config.make_permalink(&path);
        self.path = path;
    }
}

/// Splits `2024-04-01-fog-signals` into its date and the rest, as Zola reads dated file names.
fn split_dated_name(name: &str) -> (Option<&str>, Option<&str>) {
    let re = dated_name_regex();
    match re.captures(name) {
        Some(c) => (
            c.name("datetime").map(|m| m.as_str()),
            c.name("slug").map(|m| m.as_str()),
        ),
        None => (None, None),
    }
}

fn dated_name_regex() -> &'static regex::Regex {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| {
        regex::Regex::new(
            r"^(?P<datetime>(\d{4})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])(T([01][0-9]|2[0-3]):([0-5][0-9]):([0-5][0-9]|60)(\.[0-9]+)?(Z|(\+|-)([01][0-9]|2[0-3]):([0-5][0-9])))?)(\s?(_|-)(?P<slug>.+$))?",
        )
        .expect("valid regex")
    })
}

/// Words and reading time (200 words a minute, rounded up), as Zola counts them: fenced code
/// blocks do not count.
pub fn reading_analytics(text: &str) -> (usize, usize) {
    use unicode_segmentation::UnicodeSegmentation;
    let mut words = 0;
    let mut fence: Option<&str> = None;
    for line in crate::diagnostics::lines_inclusive(text) {
        // As `str::lines` gives them: without `\n` or `\r\n`.
        let line = match line.strip_suffix('\n') {
            Some(l) => l.strip_suffix('\r').unwrap_or(l),
            None => line,
        };
        let t = line.trim_start();
        match fence {
            Some(f) => {
                if t.starts_with(f) {
                    fence = None;
                }
            }
            None if t.starts_with("```") || t.starts_with("~~~") => fence = Some(&t[..3]),
            None => words += latin_word_count(line).unwrap_or_else(|| line.unicode_words().count()),
        }
    }
    (words, words.div_ceil(200))
}

/// A character's class under the word-boundary rules of Unicode (UAX #29), for the
/// characters [`latin_word_count`] knows.
#[derive(Clone, Copy, PartialEq, Eq)]
enum WordClass {
    /// A letter (`ALetter`).
    Letter,
    /// `Numeric`.
    Digit,
    /// `_` (`ExtendNumLet`).
    Connector,
    /// `:` (`MidLetter`): joins letters.
    MidLetter,
    /// `.` and `'` (`MidNumLet`, `Single_Quote`): join letters, and digits.
    MidBoth,
    /// `,` and `;` (`MidNum`): join digits.
    MidDigit,
    /// Anything else known: spaces, other ASCII punctuation and controls.
    Other,
}

/// The class of each ASCII character.
const ASCII_CLASSES: [WordClass; 128] = {
    let mut classes = [WordClass::Other; 128];
    let mut b = 0;
    while b < 128 {
        classes[b] = match b as u8 {
            b'a'..=b'z' | b'A'..=b'Z' => WordClass::Letter,
            b'0'..=b'9' => WordClass::Digit,
            b'_' => WordClass::Connector,
            b':' => WordClass::MidLetter,
            b'.' | b'\'' => WordClass::MidBoth,
            b',' | b';' => WordClass::MidDigit,
            _ => WordClass::Other,
        };
        b += 1;
    }
    classes
};

/// The class of the character starting at byte `i` of `bytes` (valid UTF-8) and its length,
/// if [`latin_word_count`] knows it: ASCII, and the letters of Latin-1 Supplement, Latin
/// Extended-A and -B (U+00C0 to U+024F, not × or ÷).
fn word_class(bytes: &[u8], i: usize) -> Option<(WordClass, usize)> {
    let b = bytes[i];
    if b < 0x80 {
        return Some((ASCII_CLASSES[usize::from(b)], 1));
    }
    if b & 0xe0 != 0xc0 {
        return None;
    }
    let c = (u32::from(b & 0x1f) << 6) | u32::from(bytes.get(i + 1)? & 0x3f);
    ((0xc0..=0x24f).contains(&c) && c != 0xd7 && c != 0xf7).then_some((WordClass::Letter, 2))
}

/// The number of words `unicode_words` finds in `line`, counted without its tables when
/// every character is ASCII or a Latin letter (most lines of most practices); `None`
/// otherwise. The rules are those of UAX #29 that such characters can meet: letters, digits
/// and `_` join (WB5, WB8–WB10, WB13a–b); `:`, `.` or `'` between two letters (WB6–7) and
/// `,`, `;`, `.` or `'` between two digits (WB11–12) join too; a segment is a word if it
/// holds a letter or a digit.
fn latin_word_count(line: &str) -> Option<usize> {
    use WordClass::*;
    let bytes = line.as_bytes();
    let mut words = 0;
    // The segment being read: the class of its last letter, digit or `_`, and whether it
    // holds a letter or a digit.
    let mut segment: Option<(WordClass, bool)> = None;
    let mut i = 0;
    while i < bytes.len() {
        let (c, len) = word_class(bytes, i)?;
        i += len;
        match (segment, c) {
            (_, Letter | Digit | Connector) => {
                let alphanumeric = segment.is_some_and(|(_, a)| a) || c != Connector;
                segment = Some((c, alphanumeric));
                // More ASCII characters of the same class would leave the segment as it is:
                // a run of them (the rest of most words) is skipped at once.
                match c {
                    Letter => {
                        while bytes.get(i).is_some_and(u8::is_ascii_alphabetic) {
                            i += 1;
                        }
                    }
                    Digit => {
                        while bytes.get(i).is_some_and(u8::is_ascii_digit) {
                            i += 1;
                        }
                    }
                    _ => {}
                }
            }
            (Some((last, alphanumeric)), mid @ (MidLetter | MidBoth | MidDigit)) => {
                let next = if i < bytes.len() {
                    Some(word_class(bytes, i)?.0)
                } else {
                    None
                };
                let joins = matches!(
                    (last, mid, next),
                    (Letter, MidLetter | MidBoth, Some(Letter))
                        | (Digit, MidDigit | MidBoth, Some(Digit))
                );
                if !joins {
                    words += usize::from(alphanumeric);
                    segment = None;
                }
            }
            (Some((_, alphanumeric)), _) => {
                words += usize::from(alphanumeric);
                segment = None;
            }
            (None, _) => {}
        }
    }
    if let Some((_, alphanumeric)) = segment {
        words += usize::from(alphanumeric);
    }
    Some(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dated_names() {
        assert_eq!(
            split_dated_name("2024-04-01-fog-signals"),
            (Some("2024-04-01"), Some("fog-signals"))
        );
        assert_eq!(split_dated_name("fog"), (None, None));
    }

    /// The fast count agrees with `unicode_words` on every string of up to five characters
    /// over an alphabet of each class (and on longer ones, pseudo-randomly), and gives way on
    /// characters it does not know.
    #[test]
    fn latin_word_count_is_unicode_words_count() {
        use unicode_segmentation::UnicodeSegmentation;
        let alphabet: Vec<char> = "aZé\u{1c5}09_:.',; -!\t\r\u{ff}".chars().collect();
        let check = |s: &str| {
            assert_eq!(
                latin_word_count(s),
                Some(s.unicode_words().count()),
                "{s:?}"
            );
        };
        let mut s = String::new();
        let n = alphabet.len();
        for len in 0..=5u32 {
            for mut k in 0..n.pow(len) {
                s.clear();
                for _ in 0..len {
                    s.push(alphabet[k % n]);
                    k /= n;
                }
                check(&s);
            }
        }
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..20_000 {
            s.clear();
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            for j in 0..(seed >> 59) + 6 {
                let r = seed.rotate_left(7 * j as u32) ^ (j * 0x2545_f491);
                s.push(alphabet[(r as usize) % n]);
            }
            check(&s);
        }
        check("L'intégration des diasporas : 1.5 million, 2,3 % (l'OIM) ; e.g. mi_casa.");
        assert_eq!(latin_word_count("l’homme"), None);
        assert_eq!(latin_word_count("à\u{a0}:"), None);
        assert_eq!(latin_word_count("日本"), None);
    }

    #[test]
    fn analytics() {
        assert_eq!(reading_analytics("one two three"), (3, 1));
        assert_eq!(reading_analytics(""), (0, 0));
        assert_eq!(reading_analytics("a b\n```text\nc d e\n```\nf"), (3, 1));
        assert_eq!(
            reading_analytics("a b\r\n```text\r\nc d e\r\n```\r\nf\r"),
            (3, 1)
        );
    }
}
