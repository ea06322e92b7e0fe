//! Target `front_matter`: the front-matter splitter and the TOML/YAML parser
//! (`content::front_matter::{split, parse}`), then the whole of what `compendium check` does
//! with one content file (`walk::load_file`: size, UTF-8, file name, split, parse, typed
//! fields, URL paths; `Library::new`; `practice::check` with its translation comparison).
//!
//! Invariants: nothing panics; every span and error offset lies inside the file, on a
//! character boundary; every diagnostic's line and column lie inside the file it names; a file
//! that is not loaded has an error saying why; a page loaded without error has an output path
//! inside the site.

use std::path::Path;

use proptest::prelude::*;
use proptest::sample::select;

use compendium::config::Config;
use compendium::content::front_matter::{self, Node, Value};
use compendium::content::walk::{Loaded, load_file};
use compendium::content::{Library, Page};
use compendium::diagnostics::Diagnostic;
use compendium::practice;
use compendium::vocabulary::Vocabulary;

use crate::harness::{ensure, fuzz, repo, seed_bytes};
use crate::inputs::{deep, mutated, seed, soup, wide};

pub const TARGET: &str = "front_matter";

#[rustfmt::skip]
const TOKENS: &[&str] = &[
    "+++", "---", "+++\n", "---\n", "+++\r\n", "---\r\n", "\n+++\n", "\n---\n", "\n", "\r\n", "\r",
    "\u{feff}", " ", "\t", "=", " = ", ":", ": ", "\"", "'", "\"\"\"", "'''", "\\", "\\u0000",
    "\\uD800", "\\U0010FFFF", "\\U00110000", "[", "]", "[[", "]]", "{", "}", ",", "#", ".",
    "[extra]\n", "[taxonomies]\n", "[[extra.sources]]\n", "[extra.sources]\n",
    "[[extra.implementers]]\n", "title", "description", "date", "updated", "weight", "draft",
    "slug", "path", "aliases", "template", "authors", "taxonomies", "extra", "round_table",
    "session", "theme", "country", "region", "start_year", "end_year", "original_language",
    "implementers", "partners", "sources", "name", "type", "year", "url", "publisher",
    "translated_from", "2024-03-05", "2024-13-45", "1979-05-27T07:32:00Z", "07:32:00",
    "9223372036854775807", "-9223372036854775808", "18446744073709551616", "1e309", "nan", "inf",
    "-0", "0x7f", "true", "false", "null", "~", "- ", "  ", "&a ", "*a", "!!str ", "!!binary ",
    "!<tag:x> ", "? ", "|", ">", "...", "%YAML 1.2\n", "<<: ", "rt1", "1.1", "remittances", "fr",
    "en", "\"../../x\"", "\"/abs\"", "\"a\\\\b\"", "\"javascript:x\"", "\"<script>\"", "é", "𝕏",
    "\u{0}", "\u{85}", "\u{2028}", "title = \"t\"\n", "title: t\n",
];

#[rustfmt::skip]
const KEYS: &[&str] = &[
    "title", "description", "date", "updated", "weight", "draft", "slug", "path", "aliases",
    "template", "authors", "in_search_index", "render", "taxonomies", "extra", "round_table",
    "session", "theme", "country", "region", "start_year", "end_year", "original_language",
    "implementers", "partners", "sources", "name", "type", "year", "url", "publisher",
    "translated_from", "allow_html", "sort_by", "paginate_by", "\"quoted key\"", "'lit'", "\"\"",
    "a.b", "extra.sources", "taxonomies.theme", "é", "\"title\"",
];

#[rustfmt::skip]
const SCALARS: &[&str] = &[
    "\"text\"", "\"\"", "'lit'", "\"\"\"multi\nline\"\"\"", "'''x'''", "\"esc \\\" \\n \\u00e9\"",
    "\"\\uD800\"", "\"bad \\q\"", "1", "0", "-1", "9223372036854775807", "-9223372036854775808",
    "9223372036854775808", "1_000", "0x7f", "0o7", "0b1", "1.5", "1e309", "-0.0", "nan", "inf",
    "true", "false", "2024-03-05", "2024-13-45", "2024-02-30", "1979-05-27T07:32:00Z",
    "1979-05-27 07:32:00", "07:32:00", "1979-05-27T07:32:00.999999999999-07:00", "\"rt1\"",
    "\"rt9\"", "\"1.1\"", "\"4\"", "\"remittances\"", "\"remitances\"", "\"MX\"", "\"SN\"",
    "\"government\"", "\"fr\"", "\"../../x\"", "\"/abs/path\"", "\"a/../b\"", "\"c:x\"",
    "\"//evil\"", "\"https://example.org/\"", "\"javascript:alert(1)\"",
    "\"<script>alert(1)</script>\"", "\"x\\u0000y\"", "\"\\t\"",
];

#[rustfmt::skip]
const TABLES: &[&str] = &[
    "extra", "taxonomies", "extra.sources", "extra.implementers", "extra.partners", "extra.x.y",
    "\"quoted\"", "title", "extra.sources.url",
];

#[rustfmt::skip]
const YAML_VALUES: &[&str] = &[
    "text", "'single'", "\"double\\n\"", "\"\\uD800\"", "[a, b]", "[rt1, rt2]", "{a: b}",
    "{name: N, type: government}", "&a x", "*a", "!!str 1", "!!int x", "!!binary aGk=", "|", ">-",
    "~", "null", "2024-03-05", "2024-03-05T09:15:00Z", "1.1", "yes", "0x1F", ".inf", "-.inf",
    ".nan", "12345678901234567890", "-", "- a", "\"unclosed", "'it''s'", "é", "", ": x", "? k", "[",
    "{", "]", "}", "*undefined",
];

#[rustfmt::skip]
const DEEP: &[&str] = &[
    "[", "{a=", "a.", "[[a]]\n", "- ", "  ", "{", "a: [", "a:\n  ", "\"\\\"", "\n", "a = [",
    "x = 1\n", "a: &a x\n", "+++\n", "---\n",
];

fn toml_value() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        4 => select(SCALARS).prop_map(str::to_string),
        1 => "\"[^\"\\\\\n]{0,12}\"",
        1 => any::<i64>().prop_map(|i| i.to_string()),
    ];
    leaf.prop_recursive(4, 24, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6)
                .prop_map(|v| format!("[{}]", v.join(", "))),
            proptest::collection::vec((select(KEYS), inner), 0..5).prop_map(|v| {
                let items: Vec<String> = v.into_iter().map(|(k, v)| format!("{k} = {v}")).collect();
                format!("{{ {} }}", items.join(", "))
            }),
        ]
    })
}

fn toml_line() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => (select(KEYS), toml_value()).prop_map(|(k, v)| format!("{k} = {v}")),
        2 => select(TABLES).prop_map(|t| format!("[{t}]")),
        2 => select(TABLES).prop_map(|t| format!("[[{t}]]")),
        1 => Just("# comment".to_string()),
        1 => Just(String::new()),
        1 => select(TOKENS).prop_map(str::to_string),
    ]
}

fn yaml_line() -> impl Strategy<Value = String> {
    let indent = (0..4usize).prop_map(|n| "  ".repeat(n));
    prop_oneof![
        6 => (indent.clone(), select(KEYS), select(YAML_VALUES))
            .prop_map(|(i, k, v)| format!("{i}{k}: {v}")),
        2 => (indent.clone(), select(KEYS)).prop_map(|(i, k)| format!("{i}{k}:")),
        3 => (indent.clone(), select(YAML_VALUES)).prop_map(|(i, v)| format!("{i}- {v}")),
        2 => (indent, select(KEYS), select(YAML_VALUES))
            .prop_map(|(i, k, v)| format!("{i}- {k}: {v}")),
        1 => Just("# comment".to_string()),
        1 => select(TOKENS).prop_map(str::to_string),
    ]
}

/// A content file built from the grammar: front matter of either format with its delimiters
/// (or broken ones), a body, a BOM, line endings of either kind.
fn document() -> impl Strategy<Value = Vec<u8>> {
    let toml = proptest::collection::vec(toml_line(), 0..16).prop_map(|l| ("+++", l));
    let yaml = proptest::collection::vec(yaml_line(), 0..16).prop_map(|l| ("---", l));
    (
        any::<bool>(),
        select(&["", "\n", "  \n", "\r\n", " "][..]),
        prop_oneof![toml, yaml],
        select(&["\n", "\r\n", "\r"][..]),
        select(&["=", "= ", "=\t", "", "=x", "-", "=\n=", "=="][..]),
        crate::markdown::body(),
    )
        .prop_map(|(bom, lead, (delim, lines), nl, close, body)| {
            let close = close.replace('=', delim);
            let mut s = String::new();
            if bom {
                s.push('\u{feff}');
            }
            s.push_str(lead);
            s.push_str(delim);
            s.push_str(nl);
            for l in lines {
                s.push_str(&l);
                s.push_str(nl);
            }
            s.push_str(&close);
            s.push_str(nl);
            s.push_str(&body);
            s.into_bytes()
        })
}

/// YAML aliases expanding exponentially ("billion laughs").
fn laughs() -> impl Strategy<Value = Vec<u8>> {
    (2..12usize, 2..10usize).prop_map(|(levels, width)| {
        let mut s = String::from("---\ntitle: t\nl0: &l0 [x]\n");
        for l in 1..levels {
            let refs = vec![format!("*l{}", l - 1); width].join(", ");
            s.push_str(&format!("l{l}: &l{l} [{refs}]\n"));
        }
        s.push_str("---\n");
        s.into_bytes()
    })
}

/// Front matter of a few generated lines repeated thousands of times.
fn long_document() -> impl Strategy<Value = Vec<u8>> {
    let toml = proptest::collection::vec(toml_line(), 1..4).prop_map(|l| ("+++", l));
    let yaml = proptest::collection::vec(yaml_line(), 1..4).prop_map(|l| ("---", l));
    (prop_oneof![toml, yaml], 1_000..40_000usize).prop_map(|((delim, lines), n)| {
        let block: String = lines.iter().map(|l| format!("{l}\n")).collect();
        let n = n.min(crate::inputs::max_input() / (block.len() + 1));
        format!("{delim}\n{}{delim}\nbody\n", block.repeat(n)).into_bytes()
    })
}

pub fn strategy() -> impl Strategy<Value = Vec<u8>> {
    let base = prop_oneof![
        6 => document(),
        1 => long_document(),
        1 => wide(TOKENS),
        4 => seed(seed_bytes(TARGET)),
        2 => soup(TOKENS, 60),
        1 => deep(DEEP),
        1 => laughs(),
    ];
    mutated(base, TOKENS, 6)
}

/// The site every case is loaded into: the bundled config and vocabulary.
struct Env {
    dir: tempfile::TempDir,
    config: Config,
    vocab: Vocabulary,
}

impl Env {
    fn new() -> Env {
        let mut d = Vec::new();
        let config = Config::load(&repo().join("config.toml"), &mut d).expect("bundled config");
        let vocab = Vocabulary::load(&repo())
            .expect("vocabulary")
            .expect("bundled vocabulary");
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("content/practices")).expect("mkdir");
        std::fs::create_dir_all(dir.path().join("content/fuzz")).expect("mkdir");
        Env { dir, config, vocab }
    }

    fn content(&self) -> std::path::PathBuf {
        self.dir.path().join("content")
    }
}

/// The length in characters of each line of `bytes` (as `Position::of_offset` counts them:
/// without a leading BOM or a trailing `\r`).
fn line_lengths(bytes: &[u8]) -> Vec<usize> {
    String::from_utf8_lossy(bytes)
        .split('\n')
        .map(|l| {
            l.trim_start_matches('\u{feff}')
                .trim_end_matches('\r')
                .chars()
                .count()
        })
        .collect()
}

fn check_diagnostics(diags: &[Diagnostic], files: &[(&Path, &[u8])]) -> Result<(), String> {
    let lengths: Vec<Vec<usize>> = files.iter().map(|(_, b)| line_lengths(b)).collect();
    for d in diags {
        let Some(f) = files.iter().position(|(p, _)| *p == d.path) else {
            return Err(format!("diagnostic for a file that was not loaded: {d}"));
        };
        if let Some(line) = d.line {
            // Columns count from 1; the end of a line (and of the file) counts.
            let col = d.col.unwrap_or(1);
            let inside = line
                .checked_sub(1)
                .and_then(|l| lengths[f].get(l))
                .is_some_and(|&len| col >= 1 && col <= len + 1);
            ensure(inside, || {
                format!("diagnostic outside its file ({line}:{col}): {d}")
            })?;
        }
    }
    Ok(())
}

fn check_span(text: &str, span: &Option<std::ops::Range<usize>>, what: &str) -> Result<(), String> {
    if let Some(s) = span {
        ensure(
            s.start <= s.end
                && s.end <= text.len()
                && text.is_char_boundary(s.start)
                && text.is_char_boundary(s.end),
            || format!("{what} span {s:?} outside the text ({} bytes)", text.len()),
        )?;
    }
    Ok(())
}

fn check_node(text: &str, node: &Node) -> Result<(), String> {
    check_span(text, &node.span, "value")?;
    match &node.value {
        Value::Array(items) => items.iter().try_for_each(|n| check_node(text, n)),
        Value::Table(entries) => entries.iter().try_for_each(|(k, n)| {
            check_span(text, &k.span, "key")?;
            check_node(text, n)
        }),
        _ => Ok(()),
    }
}

/// The splitter and parser on their own.
fn check_split(text: &str) -> Result<(), String> {
    match front_matter::split(text) {
        Ok(s) => {
            ensure(
                s.front_offset <= s.body_offset
                    && s.body_offset <= text.len()
                    && text[s.front_offset..].starts_with(s.front)
                    && &text[s.body_offset..] == s.body,
                || format!("split parts do not match the text: {s:?}"),
            )?;
            match front_matter::parse(text, &s) {
                Ok(node) => check_node(text, &node),
                Err(e) => {
                    if let Some(o) = e.offset {
                        ensure(o <= text.len() && text.is_char_boundary(o), || {
                            format!("parse error offset {o} outside the text: {e:?}")
                        })?;
                    }
                    Ok(())
                }
            }
        }
        Err(e) => {
            let o = e.offset(text);
            ensure(o <= text.len() && text.is_char_boundary(o), || {
                format!("split error offset {o} outside the text: {e:?}")
            })
        }
    }
}

fn check_page_path(page: &Page) -> Result<(), String> {
    for p in std::iter::once(&page.path).chain(&page.meta.aliases) {
        ensure(
            !p.split('/').any(|seg| seg == ".." || seg == ".")
                && !p.contains(['\\', '\0'])
                && !p.contains("://"),
            || format!("page path {p:?} could leave the site"),
        )?;
    }
    Ok(())
}

/// The practice every case is compared with, as its English translation.
const TRANSLATION: &str = "+++\ntitle = \"T\"\ndescription = \"D\"\ndate = 2024-01-01\n\n[taxonomies]\nround_table = [\"rt1\"]\nsession = [\"1.1\"]\ntheme = [\"remittances\"]\ncountry = [\"MX\"]\n\n[extra]\nstart_year = 2008\noriginal_language = \"fr\"\nimplementers = [{ name = \"N\", type = \"government\" }]\n\n[[extra.sources]]\ntitle = \"S\"\npublisher = \"P\"\nyear = 2008\nurl = \"https://example.org/\"\n+++\nBody.\n";

fn check(env: &Env, bytes: &[u8]) -> Result<(), String> {
    check_split(&String::from_utf8_lossy(bytes))?;
    if let Ok(text) = std::str::from_utf8(bytes) {
        // The same text with Windows line endings and a BOM.
        check_split(&format!("\u{feff}{}", text.replace('\n', "\r\n")))?;
    }

    let content = env.content();
    let practice = content.join("practices/fuzz.md");
    let translation = content.join("practices/fuzz.en.md");
    let section = content.join("fuzz/_index.md");
    std::fs::write(&practice, bytes).map_err(|e| e.to_string())?;
    std::fs::write(&translation, TRANSLATION).map_err(|e| e.to_string())?;
    std::fs::write(&section, bytes).map_err(|e| e.to_string())?;
    let files: [(&Path, &[u8]); 3] = [
        (&practice, bytes),
        (&translation, TRANSLATION.as_bytes()),
        (&section, bytes),
    ];

    let mut diags = Vec::new();
    let mut pages = Vec::new();
    let mut sections = Vec::new();
    for path in [&practice, &translation, &section] {
        let (loaded, d) = load_file(path, &content, &env.config);
        ensure(
            loaded.is_some() || d.iter().any(Diagnostic::is_error),
            || {
                format!(
                    "{} not loaded, and no error says why: {d:?}",
                    path.display()
                )
            },
        )?;
        let errors = d.iter().any(Diagnostic::is_error);
        diags.extend(d);
        match loaded {
            Some(Loaded::Page(p)) => {
                if !errors {
                    check_page_path(&p)?;
                }
                pages.push(*p);
            }
            Some(Loaded::Section(s)) => sections.push(*s),
            None => {}
        }
    }
    let library = Library::new(pages, sections, &env.config, &mut diags);
    diags.extend(practice::check(&library, &env.vocab, &env.config, 2026));
    check_diagnostics(&diags, &files)
}

/// The target's check of one input, in a fresh site (for regression tests).
pub fn check_bytes(bytes: &[u8]) -> Result<(), String> {
    check(&Env::new(), bytes)
}

#[test]
fn front_matter() {
    let env = Env::new();
    fuzz(TARGET, 96, strategy(), |bytes: &Vec<u8>| check(&env, bytes));
}
