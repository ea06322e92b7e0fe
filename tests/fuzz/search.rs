//! Target `search`: what the WebAssembly search module does with a request, natively: the
//! wire decoder (`search_index::wire::decode_request`), the query parser
//! (`search_index::query::parse`), then compile and search against the small trilingual
//! index of `search-index/tests/common/` (every language), and the JSON answer
//! (`wire::results_json`, `wire::error_json`).
//!
//! Invariants: nothing panics; a decoded request encodes back to itself; a parsed query
//! holds no empty word, no word with a space or a quote, no `OR` as a word, and at most one
//! prefix word (the last, only while it is being typed); a search never fails, returns at
//! most `limit` hits and no more than its total; snippets are escaped text with `<mark>`
//! only; the JSON answer parses and says the same.

use proptest::prelude::*;

use search_index::query::{self, Atom};
use search_index::{Filters, Lang, Searcher, wire};

use crate::harness::{ensure, fuzz, seed_bytes};
use crate::inputs::{deep, mutated, seed, soup};

#[path = "../../search-index/tests/common/mod.rs"]
mod common;

pub const TARGET: &str = "search";

#[rustfmt::skip]
const TOKENS: &[&str] = &[
    "remesas", "migrants", "migrant", "transferts", "fonds", "recrut", "réintégrati", "fee",
    "frais de", "de", "the", "los", "OR", "or", "Or", "-", "\"", " ", "  ", "\t", "\n", "\r",
    "\r\n", "=", "theme=remittances", "country=mx", "country=sn", "round_table=rt1",
    "session=rt1-1", "region=americas", "actor_type=ngo", "theme=", "nope=1", "theme", "\u{3000}",
    "\u{85}", "\u{a0}", "é", "É", "ß", "İ", "ﬁ", "\u{301}", "\u{0}", "*", "?", "~", "^", "+", ":",
    "(", ")", "[", "]", "{", "}", "\\", "/", "title:", "AND", "NOT", "<mark>", "<script>", "&",
    "\u{feff}", "\u{200b}", "日本語", "🦀", "a", "xx", "remittance", "reintegration", "contratación",
    "-\"", "\"a phrase\"", "OR OR", "- -",
];

#[rustfmt::skip]
const DEEP: &[&str] = &[
    "\"", "-", "OR ", "a ", "migrants ", "\ntheme=x", "é", "-\"a\" ", "x",
];

pub fn strategy() -> impl Strategy<Value = Vec<u8>> {
    let base = prop_oneof![
        6 => soup(TOKENS, 24),
        3 => seed(seed_bytes(TARGET)),
        1 => deep(DEEP).prop_map(|mut b| {
            b.truncate(20_000);
            b
        }),
    ];
    mutated(base, TOKENS, 4)
}

pub struct Env {
    searchers: Vec<Searcher>,
}

impl Env {
    pub fn new() -> Env {
        Env {
            searchers: [Lang::Fr, Lang::En, Lang::Es]
                .into_iter()
                .map(common::open)
                .collect(),
        }
    }
}

fn check_query(text: &str) -> Result<(), String> {
    let q = query::parse(text);
    let mut prefixes = 0;
    let atoms = q.groups.iter().flatten().chain(&q.excluded);
    for group in &q.groups {
        ensure(!group.is_empty(), || format!("empty group in {q:?}"))?;
    }
    for atom in atoms {
        match atom {
            Atom::Word { text: w, prefix } => {
                ensure(
                    !w.is_empty() && !w.contains(char::is_whitespace) && !w.contains('"'),
                    || format!("word {w:?} in {q:?}"),
                )?;
                if *prefix {
                    prefixes += 1;
                }
            }
            Atom::Phrase(p) => {
                ensure(!p.trim().is_empty() && !p.contains('"'), || {
                    format!("phrase {p:?} in {q:?}")
                })?;
            }
        }
    }
    for group in &q.groups {
        for atom in group {
            ensure(
                !matches!(atom, Atom::Word { text, .. } if text == "OR"),
                || format!("`OR` kept as a word in {q:?}"),
            )?;
        }
    }
    ensure(
        prefixes <= 1 && (prefixes == 0 || !text.ends_with(char::is_whitespace)),
        || format!("prefix words in {q:?} of {text:?}"),
    )?;
    ensure(
        q.excluded
            .iter()
            .all(|a| !matches!(a, Atom::Word { prefix: true, .. })),
        || format!("excluded prefix in {q:?}"),
    )
}

/// The snippet once its `<mark>` tags are taken out has no markup left.
fn check_snippet(html: &str) -> Result<(), String> {
    let plain = html.replace("<mark>", "").replace("</mark>", "");
    ensure(!plain.contains(['<', '>']), || {
        format!("snippet not escaped: {html:?}")
    })
}

fn check_request(env: &Env, request: &str, limit: usize) -> Result<(), String> {
    check_query(request)?;
    let (query, filters) = match wire::decode_request(request) {
        Ok(x) => x,
        Err(e) => {
            let json: serde_json::Value = serde_json::from_str(&wire::error_json(&e.to_string()))
                .map_err(|x| format!("error JSON does not parse: {x}"))?;
            return ensure(json["error"] == e.to_string(), || {
                format!("error JSON says {json} for {e}")
            });
        }
    };
    ensure(!query.contains('\n'), || {
        format!("query {query:?} has a line break")
    })?;
    let (query2, filters2) = wire::decode_request(&wire::encode_request(&query, &filters))
        .map_err(|e| format!("an encoded request does not decode: {e}"))?;
    ensure(
        query2 == query.replace('\r', " ") && filters2 == filters,
        || format!("round trip: {query:?} {filters:?} → {query2:?} {filters2:?}"),
    )?;
    check_query(&query)?;
    for searcher in &env.searchers {
        run_search(searcher, &query, &filters, limit)?;
        run_search(searcher, &query, &Filters::new(), limit)?;
    }
    Ok(())
}

fn run_search(
    searcher: &Searcher,
    query: &str,
    filters: &Filters,
    limit: usize,
) -> Result<(), String> {
    let results = searcher
        .search(query, filters, limit)
        .map_err(|e| format!("search {query:?} {filters:?} failed: {e}"))?;
    ensure(
        results.hits.len() <= limit && results.hits.len() <= results.total,
        || {
            format!(
                "{} hits, limit {limit}, total {}",
                results.hits.len(),
                results.total
            )
        },
    )?;
    for hit in &results.hits {
        check_snippet(&hit.snippet_html)?;
    }
    let json: serde_json::Value = serde_json::from_str(&wire::results_json(&results))
        .map_err(|e| format!("results JSON does not parse: {e}"))?;
    ensure(
        json["total"] == results.total
            && json["hits"].as_array().map(Vec::len) == Some(results.hits.len()),
        || format!("results JSON {json} differs from {results:?}"),
    )?;
    for (hit, j) in results
        .hits
        .iter()
        .zip(json["hits"].as_array().into_iter().flatten())
    {
        ensure(
            j["title"] == hit.title.as_str() && j["url"] == hit.url.as_str(),
            || format!("hit JSON {j} differs from {hit:?}"),
        )?;
    }
    Ok(())
}

pub fn check(env: &Env, bytes: &[u8]) -> Result<(), String> {
    let limit = bytes.len() % 12;
    match std::str::from_utf8(bytes) {
        Ok(request) => check_request(env, request, limit),
        // The module refuses such a request before decoding; the parser still takes any text.
        Err(_) => check_request(env, &String::from_utf8_lossy(bytes), limit),
    }
}

#[test]
fn search() {
    let env = Env::new();
    fuzz(TARGET, 40, strategy(), |bytes: &Vec<u8>| check(&env, bytes));
}
