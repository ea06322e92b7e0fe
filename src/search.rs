//! The search step of the pipeline: the library becomes one [`SearchDoc`] per practice, round
//! table and session, per language; `search-index` (the one crate that defines the index)
//! writes each language's packed index. Next to them go the WebAssembly module (prebuilt,
//! embedded in this binary), its JavaScript glue and a manifest naming the hashed files.

use std::collections::BTreeMap;

use search_index::{Lang, Packed, SearchDoc, write_index};
use serde_json::json;

use crate::config::Config;
use crate::content::Library;
use crate::output::OutputFile;
use crate::vocabulary::{Kind, Vocabulary};

/// The prebuilt module (`search-index/build-wasm.sh` rebuilds it).
const MODULE: &[u8] = include_bytes!("../search-index/dist/search.wasm");
/// The glue every theme imports, at a stable name: `<base_url>/search/search.js`.
const GLUE: &str = include_str!("../search-index/js/search.js");

pub const FOLDER: &str = "search";

/// `name.<16 hex digits>.ext`, from the content (so browsers may cache the file forever).
fn hashed(stem: &str, ext: &str, bytes: &[u8]) -> String {
    format!(
        "{stem}.{:016x}.{ext}",
        crate::templates::functions::fnv1a(bytes)
    )
}

/// The text of rendered HTML: tags dropped (each counts as a space), the content of
/// `<script>` and `<style>` dropped, entities decoded, whitespace collapsed to single spaces,
/// in one pass.
pub fn html_text(html: &str) -> String {
    let mut out = Text::with_capacity(html.len() / 2);
    let mut rest = html;
    while let Some(i) = memchr::memchr2(b'<', b'&', rest.as_bytes()) {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        if rest.starts_with('&') {
            match decode_entity(rest) {
                Some((c, len)) => {
                    out.push(c);
                    rest = &rest[len..];
                }
                None => {
                    out.push('&');
                    rest = &rest[1..];
                }
            }
            continue;
        }
        let starts = |tag: &[u8]| {
            rest.as_bytes()
                .get(..tag.len())
                .is_some_and(|b| b.eq_ignore_ascii_case(tag))
        };
        let end: &str = if starts(b"<script") {
            "</script>"
        } else if starts(b"<style") {
            "</style>"
        } else {
            ">"
        };
        let found = match end {
            ">" => memchr::memchr(b'>', rest.as_bytes()),
            _ => rest.find(end),
        };
        match found {
            Some(e) => {
                out.space();
                rest = &rest[e + end.len()..];
            }
            // An unclosed tag hides the rest.
            None => rest = "",
        }
    }
    out.push_str(rest);
    out.text
}

/// Text whose runs of whitespace become one space, with none at either end.
struct Text {
    text: String,
    /// Whitespace (or a tag) came after the last word.
    space: bool,
}

impl Text {
    fn with_capacity(n: usize) -> Text {
        Text {
            text: String::with_capacity(n),
            space: false,
        }
    }

    fn space(&mut self) {
        self.space = true;
    }

    fn push(&mut self, c: char) {
        self.push_str(c.encode_utf8(&mut [0; 4]));
    }

    fn push_str(&mut self, s: &str) {
        let bytes = s.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let len = whitespace_at(s, i);
            if len > 0 {
                self.space = true;
                i += len;
                continue;
            }
            // A run of words each followed by one ASCII space is copied whole.
            let start = i;
            let mut end;
            loop {
                // Bytes that cannot start whitespace, skipped by the table alone.
                while i < bytes.len() && !MAY_START_WHITESPACE[usize::from(bytes[i])] {
                    i += 1;
                }
                if i < bytes.len() && whitespace_at(s, i) == 0 {
                    // A lead byte of a character that is not whitespace.
                    i += 1;
                    continue;
                }
                end = i;
                let single_space = bytes.get(i) == Some(&b' ')
                    && i + 1 < bytes.len()
                    && whitespace_at(s, i + 1) == 0;
                if !single_space {
                    break;
                }
                i += 1;
            }
            // `start` and `end` lie at characters' boundaries: a run ends only before
            // whitespace or at the end.
            self.word(&s[start..end]);
        }
    }

    fn word(&mut self, w: &str) {
        if w.is_empty() {
            return;
        }
        if self.space && !self.text.is_empty() {
            self.text.push(' ');
        }
        self.space = false;
        self.text.push_str(w);
    }
}

/// The bytes that may start a whitespace character: ASCII whitespace, and the lead bytes of
/// [`whitespace_at`].
const MAY_START_WHITESPACE: [bool; 256] = {
    let mut table = [false; 256];
    let bytes = [
        b' ', b'\t', b'\n', 0x0b, 0x0c, b'\r', 0xc2, 0xe1, 0xe2, 0xe3,
    ];
    let mut k = 0;
    while k < bytes.len() {
        table[bytes[k] as usize] = true;
        k += 1;
    }
    table
};

/// The length in bytes of the whitespace character (as `char::is_whitespace` says) that starts
/// at byte `i` of `s`, or 0. A byte inside a character is never whitespace.
fn whitespace_at(s: &str, i: usize) -> usize {
    match s.as_bytes()[i] {
        b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r' => 1,
        b if b < 0x80 => 0,
        // Whitespace beyond ASCII runs from U+0085 to U+3000: lead bytes C2 and E1 to E3,
        // which always start a character.
        0xc2 | 0xe1..=0xe3 => s
            .get(i..)
            .and_then(|t| t.chars().next())
            .filter(|c| c.is_whitespace())
            .map_or(0, char::len_utf8),
        _ => 0,
    }
}

/// The character an entity at the start of `s` (`&name;`, `&#nn;`, `&#xhh;`) stands for, and
/// the entity's length.
fn decode_entity(s: &str) -> Option<(char, usize)> {
    let e = s.as_bytes().iter().take(11).position(|&b| b == b';')?;
    let name = &s[1..e];
    let ch = match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" | "#39" => '\'',
        "nbsp" => '\u{a0}',
        "hellip" => '…',
        _ => name
            .strip_prefix("#x")
            .or_else(|| name.strip_prefix("#X"))
            .and_then(|h| u32::from_str_radix(h, 16).ok())
            .or_else(|| name.strip_prefix('#').and_then(|d| d.parse().ok()))
            .and_then(char::from_u32)?,
    };
    Some((ch, e + 1))
}

fn terms(
    meta: &[(String, Vec<String>, Option<crate::diagnostics::Position>)],
    name: &str,
) -> Vec<String> {
    meta.iter()
        .find(|(n, _, _)| n == name)
        .map(|(_, t, _)| t.clone())
        .unwrap_or_default()
}

/// The text of each page's HTML, by a hash of the HTML (`serve` keeps them between builds).
pub type Texts = std::collections::HashMap<u64, String>;

/// The text of `html`, from `previous` when it holds it.
fn text_of(html: &str, previous: Option<&Texts>) -> (u64, String) {
    let key = crate::incremental::hash_bytes(html.as_bytes());
    let text = previous
        .and_then(|t| t.get(&key).cloned())
        .unwrap_or_else(|| html_text(html));
    (key, text)
}

/// The documents of one language (with the texts of their HTML, by hash, when `previous`
/// texts are given).
pub fn documents(
    lib: &Library,
    vocab: Option<&Vocabulary>,
    lang: &str,
    previous: Option<&Texts>,
) -> (Vec<SearchDoc>, Texts) {
    let mut texts = Texts::new();
    let mut text = |html: &str| {
        let (key, t) = text_of(html, previous);
        if previous.is_some() {
            texts.insert(key, t.clone());
        }
        t
    };
    let label = |kind: Kind, id: &str| -> String {
        vocab
            .and_then(|v| v.label(kind, id, lang))
            .map(str::to_string)
            .unwrap_or_else(|| id.to_string())
    };
    let mut docs = Vec::new();
    for page in lib
        .pages
        .iter()
        .filter(|p| p.lang == lang && p.meta.render && p.meta.in_search_index)
    {
        let t = &page.meta.taxonomies;
        let extra = &page.meta.extra;
        let names = |key: &str| -> Vec<String> {
            extra
                .get(key)
                .and_then(|v| v.as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.get("name").and_then(|n| n.as_str()).map(str::to_string))
                        .collect()
                })
                .unwrap_or_default()
        };
        let mut actor_type: Vec<String> = ["implementers", "partners"]
            .iter()
            .flat_map(|k| {
                extra
                    .get(*k)
                    .and_then(|v| v.as_array())
                    .cloned()
                    .unwrap_or_default()
            })
            .filter_map(|x| x.get("type").and_then(|t| t.as_str()).map(str::to_string))
            .collect();
        actor_type.sort();
        actor_type.dedup();
        let theme = terms(t, "theme");
        let country = terms(t, "country");
        docs.push(SearchDoc {
            lang: lang.to_string(),
            url: page.permalink.clone(),
            title: page.meta.title.clone().unwrap_or_default(),
            description: page.meta.description.clone().unwrap_or_default(),
            body: text(&page.markdown.html),
            theme_labels: theme.iter().map(|id| label(Kind::Theme, id)).collect(),
            country_names: country.iter().map(|id| label(Kind::Country, id)).collect(),
            implementers: names("implementers"),
            round_table: terms(t, "round_table"),
            session: terms(t, "session"),
            theme,
            country,
            region: terms(t, "region"),
            actor_type,
            start_year: extra.get("start_year").and_then(|v| v.as_i64()),
            end_year: extra.get("end_year").and_then(|v| v.as_i64()),
        });
    }
    // Round tables and sessions: their sections, found by their `[extra]` identifiers.
    for s in lib
        .sections
        .iter()
        .filter(|s| s.lang == lang && s.meta.render && s.meta.in_search_index)
    {
        let rt = s
            .meta
            .extra
            .get("round_table")
            .and_then(|v| v.as_str())
            .map(str::to_string);
        let session = s
            .meta
            .extra
            .get("session")
            .and_then(|v| v.as_str())
            .map(str::to_string);
        if rt.is_none() && session.is_none() {
            continue;
        }
        docs.push(SearchDoc {
            lang: lang.to_string(),
            url: s.permalink.clone(),
            title: s.meta.title.clone().unwrap_or_default(),
            description: s.meta.description.clone().unwrap_or_default(),
            body: text(&s.content),
            round_table: rt.into_iter().collect(),
            session: session.into_iter().collect(),
            ..SearchDoc::default()
        });
    }
    // Pages in path order: the same input always gives the same index.
    docs.sort_by(|a, b| a.url.cmp(&b.url));
    (docs, texts)
}

/// Every file of `search/`: one index per language, the module, the glue and the manifest.
/// The indexes of the last build, by language, with the documents they hold: `serve` reuses
/// an index whose documents did not change.
#[derive(Default)]
pub struct IndexCache {
    by_lang: std::collections::HashMap<String, (Vec<SearchDoc>, Packed)>,
    /// The texts of the pages' HTML, by language.
    texts: std::collections::HashMap<String, Texts>,
}

/// A language's documents, their texts, its index, and whether the index was written afresh.
type Built = (Vec<SearchDoc>, Texts, Packed, bool);

pub fn files(
    lib: &Library,
    config: &Config,
    vocab: Option<&Vocabulary>,
    mut cache: Option<&mut IndexCache>,
) -> Result<Vec<OutputFile>, String> {
    let mut out = Vec::new();
    let module = hashed("search", "wasm", MODULE);
    out.push(OutputFile {
        path: format!("{FOLDER}/{module}"),
        content: crate::output::Content::Bytes(MODULE.to_vec()),
    });
    out.push(OutputFile::text(
        format!("{FOLDER}/search.js"),
        GLUE.to_string(),
    ));
    // Per language, in parallel: the documents, and the index (the cache's if it holds one
    // for the same documents; each writer is single-threaded).
    let langs: Vec<(&str, Lang)> = config
        .language_codes()
        .into_iter()
        // A language the search crate has no analyzer for gets no index.
        .filter_map(|code| code.parse::<Lang>().ok().map(|lang| (code, lang)))
        .collect();
    let previous = cache.as_deref();
    let no_texts = Texts::new();
    let build = |&(code, lang): &(&str, Lang)| -> Result<Built, String> {
        let texts = previous.map(|c| c.texts.get(code).unwrap_or(&no_texts));
        let (docs, texts) = documents(lib, vocab, code, texts);
        let cached = previous
            .and_then(|c| c.by_lang.get(code))
            .filter(|(d, _)| *d == docs)
            .map(|(_, packed)| packed.clone());
        match cached {
            Some(packed) => Ok((docs, texts, packed, false)),
            None => write_index(lang, &docs)
                .map(|packed| (docs, texts, packed, true))
                .map_err(|e| format!("search index ({code}): {e}")),
        }
    };
    // A thread per language rather than rayon tasks: the pages render on rayon's threads at
    // the same time, and a language waiting there for a free one was built after the others,
    // on one core, after the pages were done.
    let built: Vec<Result<Built, String>> = std::thread::scope(|scope| {
        let running: Vec<_> = langs.iter().map(|l| scope.spawn(|| build(l))).collect();
        running
            .into_iter()
            .map(|t| {
                t.join()
                    .unwrap_or_else(|_| Err("search index: a thread panicked".to_string()))
            })
            .collect()
    });
    let mut indexes = BTreeMap::new();
    for ((code, _), result) in langs.into_iter().zip(built) {
        let (docs, texts, packed, fresh) = result?;
        if let Some(c) = cache.as_deref_mut() {
            c.texts.insert(code.to_string(), texts);
            if fresh {
                c.by_lang.insert(code.to_string(), (docs, packed.clone()));
            }
        }
        // The head first (the manifest names it), then the chunks it refers to.
        for (i, (name, bytes)) in packed.published(code).into_iter().enumerate() {
            if i == 0 {
                indexes.insert(code.to_string(), name.clone());
            }
            out.push(OutputFile {
                path: format!("{FOLDER}/{name}"),
                content: crate::output::Content::Bytes(bytes.to_vec()),
            });
        }
    }
    let manifest =
        json!({ "module": module, "default_lang": config.default_language, "indexes": indexes });
    out.push(OutputFile::text(
        format!("{FOLDER}/manifest.json"),
        format!("{manifest}\n"),
    ));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_text_drops_markup_and_decodes() {
        assert_eq!(
            html_text(
                "<h2 id=\"a\">Résultats</h2>\n<p>A &amp; B&nbsp;&#x2F; <em>C</em></p><script>x()</script>"
            ),
            "Résultats A & B / C"
        );
        assert_eq!(
            html_text(" <p>été&nbsp;:\n\t<b>x</b>&amp</p> <STYLE>p{}</style>&#233;t&eacute; <i"),
            "été : x &amp ét&eacute;"
        );
        assert_eq!(html_text("a&#1114112;b &;c"), "a&#1114112;b &;c");
    }

    #[test]
    fn html_text_collapses_every_kind_of_whitespace() {
        let spaces: Vec<char> = (0..=0x3000u32)
            .filter_map(char::from_u32)
            .filter(|c| c.is_whitespace())
            .collect();
        assert_eq!(spaces.len(), 25, "{spaces:?}");
        let words = [
            "é",
            "a",
            "mañana",
            "\u{1681}",
            "\u{2010}x",
            "日本",
            "\u{c2}",
        ];
        for (n, space) in spaces.iter().enumerate() {
            for other in [' ', '\n', *space] {
                let text: String = words
                    .iter()
                    .enumerate()
                    .flat_map(|(k, w)| {
                        let gap = if (n + k) % 2 == 0 {
                            vec![*space]
                        } else {
                            vec![other, *space]
                        };
                        gap.into_iter().chain(w.chars())
                    })
                    .chain([other])
                    .collect();
                let expected: Vec<&str> = text
                    .split(char::is_whitespace)
                    .filter(|w| !w.is_empty())
                    .collect();
                assert_eq!(html_text(&text), expected.join(" "), "{text:?}");
            }
        }
    }
}
