//! The practice schema: what a page under `content/practices/` must say, checked against the
//! vocabulary, and the consistency and freshness of its translations.

use rayon::prelude::*;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use crate::config::Config;
use crate::content::front_matter::{self, Node, Value};
use crate::content::{Library, Page};
use crate::diagnostics::{Diagnostic, LineIndex, Position};
use crate::vocabulary::{Kind, Vocabulary};

/// The section holding the practices.
pub const SECTION: &str = "practices";

/// Is this page a practice?
pub fn is_practice(page: &Page) -> bool {
    page.file.components.first().map(String::as_str) == Some(SECTION)
}

struct Checker<'a> {
    page: &'a Page,
    lines: LineIndex<'a>,
    vocab: &'a Vocabulary,
    config: &'a Config,
    this_year: i64,
    diags: Vec<Diagnostic>,
}

impl Checker<'_> {
    fn pos(&self, node: Option<&Node>) -> Option<Position> {
        node.and_then(|n| n.span.as_ref())
            .map(|s| self.lines.position(s.start))
    }

    fn error(&mut self, node: Option<&Node>, message: String, help: Option<String>) {
        let mut d = Diagnostic::error(&self.page.file.path, message)
            .at(self.pos(node).or(Some(Position { line: 1, col: 1 })));
        d.help = help;
        self.diags.push(d);
    }

    fn warn(&mut self, node: Option<&Node>, message: String) {
        let d = Diagnostic::warning(&self.page.file.path, message)
            .at(self.pos(node).or(Some(Position { line: 1, col: 1 })));
        self.diags.push(d);
    }

    fn check_id(&mut self, kind: Kind, node: &Node) {
        let Some(id) = node.as_str() else {
            self.error(
                Some(node),
                format!("a {} must be a string", kind.noun()),
                None,
            );
            return;
        };
        if !self.vocab.contains(kind, id) {
            let help = match self.vocab.suggest(kind, id) {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!(
                    "see {} for the list",
                    if kind == Kind::Country {
                        crate::vocabulary::COUNTRIES_FILE
                    } else {
                        crate::vocabulary::VOCABULARY_FILE
                    }
                ),
            };
            self.error(
                Some(node),
                format!("unknown {} `{id}`", kind.noun()),
                Some(help),
            );
        }
    }

    fn id_list(
        &mut self,
        tax: Option<&Node>,
        key: &str,
        kind: Kind,
        min: usize,
        max: usize,
    ) -> Vec<String> {
        let node = tax.and_then(|t| t.get(key));
        let Some(node) = node else {
            if min > 0 {
                self.error(
                    tax,
                    format!("missing `taxonomies.{key}`"),
                    Some(format!("add `{key} = [\"…\"]` under [taxonomies]")),
                );
            }
            return Vec::new();
        };
        let Value::Array(items) = &node.value else {
            self.error(
                Some(node),
                format!("`taxonomies.{key}` must be a list"),
                None,
            );
            return Vec::new();
        };
        if items.len() < min || items.len() > max {
            let want = if max == usize::MAX {
                format!("at least {min}")
            } else {
                format!("{min} to {max}")
            };
            self.error(
                Some(node),
                format!(
                    "`taxonomies.{key}` has {} value(s); {want} wanted",
                    items.len()
                ),
                None,
            );
        }
        for item in items {
            self.check_id(kind, item);
        }
        items
            .iter()
            .filter_map(|n| n.as_str().map(str::to_string))
            .collect()
    }

    fn year(&mut self, node: Option<&Node>, what: &str) -> Option<i64> {
        let n = node?;
        match n.value {
            Value::Integer(y) if (1900..=self.this_year).contains(&y) => Some(y),
            Value::Integer(y) => {
                self.error(
                    Some(n),
                    format!(
                        "`{what}` = {y} is not a year between 1900 and {}",
                        self.this_year
                    ),
                    None,
                );
                None
            }
            _ => {
                self.error(
                    Some(n),
                    format!("`{what}` must be a year (a number such as 2008)"),
                    None,
                );
                None
            }
        }
    }

    fn actors(&mut self, extra: Option<&Node>, key: &str, required: bool) {
        let node = extra.and_then(|e| e.get(key));
        let Some(node) = node else {
            if required {
                self.error(
                    extra,
                    format!("missing `extra.{key}`"),
                    Some(format!(
                        "add `{key} = [{{ name = \"…\", type = \"government\" }}]`"
                    )),
                );
            }
            return;
        };
        let Value::Array(items) = &node.value else {
            self.error(
                Some(node),
                format!("`extra.{key}` must be a list of {{ name, type }}"),
                None,
            );
            return;
        };
        if required && items.is_empty() {
            self.error(
                Some(node),
                format!("`extra.{key}` needs at least one entry"),
                None,
            );
        }
        for item in items {
            if item
                .get("name")
                .and_then(Node::as_str)
                .is_none_or(|s| s.trim().is_empty())
            {
                self.error(
                    Some(item),
                    format!("an entry of `extra.{key}` has no `name`"),
                    None,
                );
            }
            match item.get("type") {
                Some(t) => self.check_id(Kind::ActorType, t),
                None => self.error(
                    Some(item),
                    format!("an entry of `extra.{key}` has no `type`"),
                    Some(format!(
                        "one of: {}",
                        self.vocab.ids(Kind::ActorType).join(", ")
                    )),
                ),
            }
        }
    }

    fn sources(&mut self, extra: Option<&Node>) {
        let node = extra.and_then(|e| e.get("sources"));
        let Some(Node {
            value: Value::Array(items),
            ..
        }) = node
        else {
            self.error(
                node.or(extra),
                "missing `extra.sources`: a practice cites at least one source".into(),
                Some("add a [[extra.sources]] table with title, publisher, year and url".into()),
            );
            return;
        };
        if items.is_empty() {
            self.error(
                node,
                "`extra.sources` is empty: a practice cites at least one source".into(),
                None,
            );
        }
        for s in items {
            for key in ["title", "publisher"] {
                if s.get(key)
                    .and_then(Node::as_str)
                    .is_none_or(|v| v.trim().is_empty())
                {
                    self.error(Some(s), format!("a source has no `{key}`"), None);
                }
            }
            self.year(s.get("year"), "year").or_else(|| {
                if s.get("year").is_none() {
                    self.error(Some(s), "a source has no `year`".into(), None);
                }
                None
            });
            match s.get("url") {
                Some(u) => match u.as_str() {
                    Some(url) if valid_url(url) => {}
                    _ => self.error(
                        Some(u),
                        "a source `url` must be an http:// or https:// address".into(),
                        None,
                    ),
                },
                None => self.error(Some(s), "a source has no `url`".into(), None),
            }
        }
    }

    fn run(&mut self, node: &Node) {
        for key in ["title", "description"] {
            match node.get(key) {
                None => self.error(Some(node), format!("missing `{key}`"), None),
                Some(n) => match n.as_str() {
                    Some(s) if s.trim().is_empty() => {
                        self.error(Some(n), format!("missing `{key}`"), None)
                    }
                    // Not a string: reading the front matter said so already, on this line.
                    Some(_) | None => {}
                },
            }
        }
        for key in ["date", "updated"] {
            if node.get(key).is_none() {
                self.error(
                    Some(node),
                    format!("missing `{key}`"),
                    Some(format!(
                        "add `{key} = {}`",
                        chrono::Local::now().format("%Y-%m-%d")
                    )),
                );
            }
        }
        if let (Some(d), Some(u)) = (&self.page.meta.date, &self.page.meta.updated)
            && u.datetime < d.datetime
        {
            self.warn(
                node.get("updated"),
                "`updated` is earlier than `date`".into(),
            );
        }
        let tax = node.get("taxonomies");
        let rts = self.id_list(tax, "round_table", Kind::RoundTable, 1, usize::MAX);
        let sessions = self.id_list(tax, "session", Kind::Session, 1, usize::MAX);
        self.id_list(tax, "theme", Kind::Theme, 1, 5);
        self.id_list(tax, "country", Kind::Country, 1, usize::MAX);
        self.id_list(tax, "region", Kind::Region, 0, usize::MAX);
        for s in &sessions {
            if let Some(rt) = self
                .vocab
                .sessions
                .get(s)
                .and_then(|e| e.round_table.clone())
                && !rts.contains(&rt)
            {
                let n = tax.and_then(|t| t.get("session"));
                self.error(n, format!("session `{s}` belongs to round table `{rt}`, which `taxonomies.round_table` does not list"), Some(format!("add \"{rt}\" to round_table")));
            }
        }
        let extra = node.get("extra");
        if extra.is_none() {
            self.error(Some(node), "missing [extra] table".into(), None);
        }
        let start = match extra.and_then(|e| e.get("start_year")) {
            Some(n) => self.year(Some(n), "start_year"),
            None => {
                self.error(extra, "missing `extra.start_year`".into(), None);
                None
            }
        };
        let end_node = extra.and_then(|e| e.get("end_year"));
        if let (Some(s), Some(e)) = (start, self.year(end_node, "end_year"))
            && e < s
        {
            self.error(
                end_node,
                format!("`end_year` ({e}) is before `start_year` ({s})"),
                None,
            );
        }
        match extra.and_then(|e| e.get("original_language")) {
            Some(n) => match n.as_str() {
                Some(l) if self.config.languages.contains_key(l) => {}
                _ => self.error(
                    Some(n),
                    "`original_language` must be one of the site's languages".into(),
                    Some(format!(
                        "one of: {}",
                        self.config.language_codes().join(", ")
                    )),
                ),
            },
            None => self.error(extra, "missing `extra.original_language`".into(), None),
        }
        self.actors(extra, "implementers", true);
        self.actors(extra, "partners", false);
        self.sources(extra);
        self.placeholders(node);
    }

    /// `compendium new` writes `TODO` placeholders; they must all be replaced.
    fn placeholders(&mut self, node: &Node) {
        match &node.value {
            Value::String(s) if s.contains("TODO") => self.error(
                Some(node),
                "placeholder not filled in (`TODO`)".into(),
                None,
            ),
            Value::Array(a) => a.iter().for_each(|n| self.placeholders(n)),
            Value::Table(t) => t.iter().for_each(|(_, n)| self.placeholders(n)),
            _ => {}
        }
    }
}

fn valid_url(url: &str) -> bool {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    match rest {
        Some(r) => {
            let host = r.split(['/', '?', '#']).next().unwrap_or("");
            !host.is_empty() && host.contains('.') && !url.chars().any(char::is_whitespace)
        }
        None => false,
    }
}

fn front(page: &Page) -> Option<Node> {
    let split = front_matter::split(&page.source).ok()?;
    front_matter::parse(&page.source, &split).ok()
}

/// What checking one practice gave: its front matter and its problems.
/// A practice's front matter (shared with later builds' caches, not copied) and what its
/// check found.
pub type Checked = (Option<Arc<Node>>, Arc<[Diagnostic]>);

/// Checks every practice of the library; warnings and errors together.
pub fn check(
    lib: &Library,
    vocab: &Vocabulary,
    config: &Config,
    this_year: i64,
) -> Vec<Diagnostic> {
    check_cached(lib, vocab, config, this_year, None)
}

/// [`check`], reusing the previous build's result for each practice whose file, config and
/// vocabulary are the same (`base` is a hash of the last two; `serve`).
pub fn check_cached(
    lib: &Library,
    vocab: &Vocabulary,
    config: &Config,
    this_year: i64,
    cache: Option<(&mut foldhash::HashMap<u64, Checked>, u64)>,
) -> Vec<Diagnostic> {
    let base = cache.as_ref().map(|(_, b)| *b);
    let previous = cache.as_ref().map(|(c, _)| &**c);
    let checked: Vec<(usize, Option<u64>, Checked)> = lib
        .pages
        .par_iter()
        .enumerate()
        .filter(|(_, p)| is_practice(p))
        .map(|(i, page)| {
            let key = base.map(|b| {
                let mut h = crate::incremental::hasher();
                (b, this_year, &page.file.path, &page.source).hash(&mut h);
                h.finish()
            });
            if let Some(hit) = key.and_then(|k| previous.and_then(|c| c.get(&k))) {
                return (i, key, hit.clone());
            }
            let Some(node) = front(page) else {
                return (i, key, (None, Arc::from([])));
            };
            let mut c = Checker {
                page,
                lines: LineIndex::new(&page.source),
                vocab,
                config,
                this_year,
                diags: Vec::new(),
            };
            c.run(&node);
            (i, key, (Some(Arc::new(node)), c.diags.into()))
        })
        .collect();
    let mut out = Vec::new();
    let mut nodes: BTreeMap<usize, Arc<Node>> = BTreeMap::new();
    let mut next = foldhash::HashMap::default();
    for (i, key, (node, diags)) in checked {
        if let Some(k) = key {
            next.insert(k, (node.clone(), diags.clone()));
        }
        out.extend(diags.iter().cloned());
        if let Some(n) = node {
            nodes.insert(i, n);
        }
    }
    if let Some((c, _)) = cache {
        *c = next;
    }
    out.extend(check_translations(lib, config, &nodes));
    out
}

/// All language versions carry the same facts; missing translations are named.
fn check_translations(
    lib: &Library,
    config: &Config,
    nodes: &BTreeMap<usize, Arc<Node>>,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for group in practice_groups(lib) {
        let Some(&reference) = group
            .iter()
            .find(|&&i| lib.pages[i].lang == config.default_language)
            .or(group.first())
        else {
            continue;
        };
        let present: Vec<&str> = group.iter().map(|&i| lib.pages[i].lang.as_str()).collect();
        let missing: Vec<&str> = config
            .language_codes()
            .into_iter()
            .filter(|l| !present.contains(l))
            .collect();
        if !missing.is_empty() {
            out.push(
                Diagnostic::warning(
                    &lib.pages[reference].file.path,
                    format!("missing translation(s): {}", missing.join(", ")),
                )
                .at(Some(Position { line: 1, col: 1 })),
            );
        }
        let Some(ref_node) = nodes.get(&reference) else {
            continue;
        };
        for &i in group.iter().filter(|&&i| i != reference) {
            let Some(node) = nodes.get(&i) else { continue };
            let page = &lib.pages[i];
            // Made only for a difference to locate.
            let lines = std::cell::OnceCell::new();
            let lines = || lines.get_or_init(|| LineIndex::new(&page.source));
            for (table, skip) in [("taxonomies", &[][..]), ("extra", &["translated_from"][..])] {
                let (a, b) = (ref_node.get(table), node.get(table));
                let (a_keys, b_keys) = (by_name(a), by_name(b));
                for (key, value) in b.map(Node::entries).unwrap_or_default() {
                    if skip.contains(&key.name.as_str()) {
                        continue;
                    }
                    let other = a_keys.get(key.name.as_str());
                    if other.map(|o| o.to_json()) != Some(value.to_json()) {
                        let pos = value.span.as_ref().map(|s| lines().position(s.start));
                        out.push(
                            Diagnostic::error(
                                &page.file.path,
                                format!(
                                    "`{table}.{}` differs from the {} version",
                                    key.name, lib.pages[reference].lang
                                ),
                            )
                            .at(pos)
                            .with_help(format!(
                                "translations share their facts; copy it from {}",
                                lib.pages[reference].file.relative
                            )),
                        );
                    }
                }
                for (key, _) in a.map(Node::entries).unwrap_or_default() {
                    if !skip.contains(&key.name.as_str()) && !b_keys.contains_key(key.name.as_str())
                    {
                        out.push(
                            Diagnostic::error(
                                &page.file.path,
                                format!(
                                    "`{table}.{}` is missing (the {} version has it)",
                                    key.name, lib.pages[reference].lang
                                ),
                            )
                            .at(b
                                .and_then(|n| n.span.as_ref())
                                .map(|s| lines().position(s.start))
                                .or(Some(Position { line: 1, col: 1 }))),
                        );
                    }
                }
            }
        }
    }
    out
}

/// A table's values by key name (the first of each), so that tables of many keys compare in
/// linear time.
fn by_name(table: Option<&Node>) -> HashMap<&str, &Node> {
    let mut out = HashMap::new();
    for (k, v) in table.map(Node::entries).unwrap_or_default() {
        out.entry(k.name.as_str()).or_insert(v);
    }
    out
}

/// Practices grouped by language versions (each group: page indices).
fn practice_groups(lib: &Library) -> Vec<Vec<usize>> {
    let mut groups: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, p) in lib.pages.iter().enumerate().filter(|(_, p)| is_practice(p)) {
        groups.entry(p.file.canonical.as_str()).or_default().push(i);
    }
    groups.into_values().collect()
}

/// The hash a translation records in `extra.translated_from` to say which text of the original
/// it translates: the original's body, line endings normalized.
pub fn content_hash(page: &Page) -> String {
    let body = page.body().replace("\r\n", "\n");
    format!(
        "{:016x}",
        crate::templates::functions::fnv1a(body.trim().as_bytes())
    )
}

/// Whether one language version of a practice is there and current.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Original,
    UpToDate,
    Outdated,
    Missing,
}

#[derive(Debug, Clone, Serialize)]
pub struct TranslationRow {
    pub slug: String,
    pub title: String,
    pub original_language: String,
    pub original_hash: String,
    /// Language → status and, when present, its permalink.
    pub languages: BTreeMap<String, (Status, Option<String>)>,
}

/// The translation status of every practice.
pub fn translation_status(lib: &Library, config: &Config) -> Vec<TranslationRow> {
    let mut rows = Vec::new();
    for group in practice_groups(lib) {
        let orig_lang = group
            .iter()
            .find_map(|&i| {
                lib.pages[i]
                    .meta
                    .extra
                    .get("original_language")
                    .and_then(|v| v.as_str())
                    .map(str::to_string)
            })
            .unwrap_or_else(|| config.default_language.clone());
        let Some(&orig) = group
            .iter()
            .find(|&&i| lib.pages[i].lang == orig_lang)
            .or(group.first())
        else {
            continue;
        };
        let original = &lib.pages[orig];
        let hash = content_hash(original);
        let mut languages = BTreeMap::new();
        for code in config.language_codes() {
            let entry = match group.iter().find(|&&i| lib.pages[i].lang == code) {
                None => (Status::Missing, None),
                Some(&i) if i == orig => (Status::Original, Some(original.permalink.clone())),
                Some(&i) => {
                    let t = &lib.pages[i];
                    let recorded = t.meta.extra.get("translated_from").and_then(|v| v.as_str());
                    let older = match (&original.meta.updated, &t.meta.updated) {
                        (Some(o), Some(tu)) => tu.datetime < o.datetime,
                        _ => false,
                    };
                    let stale = recorded.is_some_and(|r| r != hash) || older;
                    (
                        if stale {
                            Status::Outdated
                        } else {
                            Status::UpToDate
                        },
                        Some(t.permalink.clone()),
                    )
                }
            };
            languages.insert(code.to_string(), entry);
        }
        rows.push(TranslationRow {
            slug: original.slug.clone(),
            title: original.meta.title.clone().unwrap_or_default(),
            original_language: orig_lang,
            original_hash: hash,
            languages,
        });
    }
    rows
}
