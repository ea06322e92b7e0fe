//! The search step of the pipeline: the library becomes one [`SearchDoc`] per practice, round
//! table and session, per language; `search-index` (the one crate that defines the index)
//! writes each language's packed index. Next to them go the WebAssembly module (prebuilt,
//! embedded in this binary), its JavaScript glue and a manifest naming the hashed files.

use std::collections::BTreeMap;

use search_index::{Lang, Packed, SearchDoc, write_index};
use serde_json::json;

use crate::config::Config;
use crate::content::{Library, Page, Section};
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

/// The text of rendered HTML for the index: tags dropped (each leaves a space), the content
/// of `<script>` and `<style>` dropped, entities decoded, in one pass. Whitespace is copied as
/// it is: the analyzer splits words on it, and on everything else that is not a letter or a
/// digit, so runs of it give the same words at the same positions as one space would, and
/// the body is not stored.
pub fn html_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
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
                out.push(' ');
                rest = &rest[e + end.len()..];
            }
            // An unclosed tag hides the rest.
            None => rest = "",
        }
    }
    out.push_str(rest);
    out
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

/// What a document of the index is made from.
enum Source<'a> {
    Page(&'a Page),
    /// A round table's or session's section, with those identifiers.
    Section(&'a Section, Option<&'a str>, Option<&'a str>),
}

impl Source<'_> {
    fn url(&self) -> &str {
        match self {
            Source::Page(p) => &p.permalink,
            Source::Section(s, ..) => &s.permalink,
        }
    }

    fn html(&self) -> &str {
        match self {
            Source::Page(p) => &p.markdown.html,
            Source::Section(s, ..) => &s.content,
        }
    }
}

/// What the documents of one language are made from, in the order of their URLs (the same
/// input always gives the same index): the pages, then the round tables and sessions (their
/// sections, found by their `[extra]` identifiers).
fn sources<'a>(lib: &'a Library, lang: &str) -> Vec<Source<'a>> {
    let pages = lib
        .pages
        .iter()
        .filter(|p| p.lang == lang && p.meta.render && p.meta.in_search_index)
        .map(Source::Page);
    let sections = lib
        .sections
        .iter()
        .filter(|s| s.lang == lang && s.meta.render && s.meta.in_search_index)
        .filter_map(|s| {
            let id = |key: &str| s.meta.extra.get(key).and_then(|v| v.as_str());
            let (rt, session) = (id("round_table"), id("session"));
            (rt.is_some() || session.is_some()).then_some(Source::Section(s, rt, session))
        });
    let mut sources: Vec<Source> = pages.chain(sections).collect();
    sources.sort_by(|a, b| a.url().cmp(b.url()));
    sources
}

/// The document of `source`, with `body` (the text of its HTML).
fn document(source: &Source, vocab: Option<&Vocabulary>, lang: &str, body: String) -> SearchDoc {
    let page = match source {
        Source::Page(page) => page,
        Source::Section(s, rt, session) => {
            return SearchDoc {
                lang: lang.to_string(),
                url: s.permalink.clone(),
                title: s.meta.title.clone().unwrap_or_default(),
                description: s.meta.description.clone().unwrap_or_default(),
                body,
                round_table: rt.iter().map(|id| id.to_string()).collect(),
                session: session.iter().map(|id| id.to_string()).collect(),
                ..SearchDoc::default()
            };
        }
    };
    let label = |kind: Kind, id: &str| -> String {
        vocab
            .and_then(|v| v.label(kind, id, lang))
            .map(str::to_string)
            .unwrap_or_else(|| id.to_string())
    };
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
                .into_iter()
                .flatten()
        })
        .filter_map(|x| x.get("type").and_then(|t| t.as_str()).map(str::to_string))
        .collect();
    actor_type.sort();
    actor_type.dedup();
    let theme = terms(t, "theme");
    let country = terms(t, "country");
    SearchDoc {
        lang: lang.to_string(),
        url: page.permalink.clone(),
        title: page.meta.title.clone().unwrap_or_default(),
        description: page.meta.description.clone().unwrap_or_default(),
        body,
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
    }
}

/// The documents of one language, with the texts of their HTML by hash (taken from
/// `previous` where it holds them).
fn documents(
    lib: &Library,
    vocab: Option<&Vocabulary>,
    lang: &str,
    previous: &Texts,
) -> (Vec<SearchDoc>, Texts) {
    let mut texts = Texts::new();
    let docs = sources(lib, lang)
        .iter()
        .map(|source| {
            let html = source.html();
            let key = crate::incremental::hash_bytes(html.as_bytes());
            let text = previous
                .get(&key)
                .cloned()
                .unwrap_or_else(|| html_text(html));
            texts.insert(key, text.clone());
            document(source, vocab, lang, text)
        })
        .collect();
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
        let failed = |e: search_index::Error| format!("search index ({code}): {e}");
        let Some(previous) = previous else {
            // A build: each document is made as the writer takes it, so that the texts of
            // the pages are not all in memory at once.
            let docs = sources(lib, code)
                .into_iter()
                .map(|s| document(&s, vocab, code, html_text(s.html())));
            return write_index(lang, docs)
                .map(|packed| (Vec::new(), Texts::new(), packed, true))
                .map_err(failed);
        };
        let texts = previous.texts.get(code).unwrap_or(&no_texts);
        let (docs, texts) = documents(lib, vocab, code, texts);
        let cached = previous
            .by_lang
            .get(code)
            .filter(|(d, _)| *d == docs)
            .map(|(_, packed)| packed.clone());
        match cached {
            Some(packed) => Ok((docs, texts, packed, false)),
            None => write_index(lang, &docs)
                .map(|packed| (docs, texts, packed, true))
                .map_err(failed),
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
            " Résultats \n A & B\u{a0}/  C   "
        );
        assert_eq!(
            html_text(" <p>été&nbsp;:\n\t<b>x</b>&amp</p> <STYLE>p{}</style>&#233;t&eacute; <i"),
            "  été\u{a0}:\n\t x &amp   ét&eacute; "
        );
        assert_eq!(html_text("a&#1114112;b &;c"), "a&#1114112;b &;c");
    }

    /// The index's words are those of the text with its whitespace collapsed.
    #[test]
    fn html_text_gives_the_words_of_the_collapsed_text() {
        let html = "<p>Les  migrants\u{a0}&amp;\n\t<em>leurs</em>familles</p>\u{2003}<ul>\n<li>x²</li></ul>";
        let collapsed = "Les migrants & leurs familles x²";
        for lang in search_index::Lang::ALL {
            let mut analyzer = search_index::analyzer::analyzer(lang);
            let mut words = |text: &str| -> Vec<(String, usize)> {
                search_index::analyzer::tokens(&mut analyzer, text)
                    .into_iter()
                    .map(|t| (t.text, t.position))
                    .collect()
            };
            let expected = words(collapsed);
            assert_eq!(words(&html_text(html)), expected, "{lang:?}");
            assert!(expected.len() >= 3, "{lang:?}: {expected:?}");
        }
    }
}
