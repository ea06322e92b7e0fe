//! What a template can read of the pages it is given, found in its syntax tree (and in those of
//! the templates it extends, includes and imports macros from).
//!
//! A page reaches a template as an object, and a template reads an object's field only by
//! naming it: `p.content`, `p["content"]`, or an `attribute="content"` argument (`sort`, `map`,
//! `group_by`, …). A field named nowhere cannot change the output, so lists (a section's pages,
//! a term's, a paginator's, a feed's) carry only the fields their template names, and their
//! render keys hash only those. Building every page's whole JSON for every list was most of the
//! time of a build with large lists, and a word added to one page re-rendered every list.
//!
//! What could read an unnamed field makes the template read everything: a field chosen by a
//! variable (`p[name]`, `get(key=name)`), a loop over an object's keys (`for k, v in p`), the
//! whole context (`__tera_context`), or a filter that prints a whole value (`json_encode`,
//! `json_script`) or that this module does not know. Unread fields are kept as `null`, so a
//! page object keeps its keys (`length`) and its identity (`relative_path` is always kept).
//! One case is not detected: comparing a list's page with an object built elsewhere
//! (`p == get_page(…)`) compares a reduced page with a whole one.

use std::collections::{HashMap, HashSet};

use tera::Tera;
use tera::ast::{Expr, ExprVal, FunctionCall, Node};

/// The fields of a page object, as [`crate::templates::context::page`] builds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Field {
    RelativePath,
    ColocatedPath,
    Content,
    Permalink,
    Slug,
    Ancestors,
    Title,
    Description,
    Updated,
    Date,
    Year,
    Month,
    Day,
    Taxonomies,
    Authors,
    Extra,
    Path,
    Components,
    Summary,
    Toc,
    WordCount,
    ReadingTime,
    Assets,
    Draft,
    Lang,
    Lower,
    Higher,
    Translations,
    Backlinks,
}

impl Field {
    /// Every field, in the order of a page object's keys.
    pub const ALL: [Field; 29] = [
        Field::RelativePath,
        Field::ColocatedPath,
        Field::Content,
        Field::Permalink,
        Field::Slug,
        Field::Ancestors,
        Field::Title,
        Field::Description,
        Field::Updated,
        Field::Date,
        Field::Year,
        Field::Month,
        Field::Day,
        Field::Taxonomies,
        Field::Authors,
        Field::Extra,
        Field::Path,
        Field::Components,
        Field::Summary,
        Field::Toc,
        Field::WordCount,
        Field::ReadingTime,
        Field::Assets,
        Field::Draft,
        Field::Lang,
        Field::Lower,
        Field::Higher,
        Field::Translations,
        Field::Backlinks,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Field::RelativePath => "relative_path",
            Field::ColocatedPath => "colocated_path",
            Field::Content => "content",
            Field::Permalink => "permalink",
            Field::Slug => "slug",
            Field::Ancestors => "ancestors",
            Field::Title => "title",
            Field::Description => "description",
            Field::Updated => "updated",
            Field::Date => "date",
            Field::Year => "year",
            Field::Month => "month",
            Field::Day => "day",
            Field::Taxonomies => "taxonomies",
            Field::Authors => "authors",
            Field::Extra => "extra",
            Field::Path => "path",
            Field::Components => "components",
            Field::Summary => "summary",
            Field::Toc => "toc",
            Field::WordCount => "word_count",
            Field::ReadingTime => "reading_time",
            Field::Assets => "assets",
            Field::Draft => "draft",
            Field::Lang => "lang",
            Field::Lower => "lower",
            Field::Higher => "higher",
            Field::Translations => "translations",
            Field::Backlinks => "backlinks",
        }
    }
}

/// A set of page fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PageFields(u32);

impl PageFields {
    pub const ALL: PageFields = PageFields((1 << Field::ALL.len()) - 1);

    pub fn has(self, f: Field) -> bool {
        self.0 & (1 << f as u32) != 0
    }

    fn with(self, f: Field) -> PageFields {
        PageFields(self.0 | (1 << f as u32))
    }

    /// The fields of `ALL` that are in this set, in order.
    pub fn iter(self) -> impl Iterator<Item = Field> {
        Field::ALL.into_iter().filter(move |f| self.has(*f))
    }
}

/// What a template can read of the pages and lists it is given.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Reads {
    /// The fields of every page object in its context.
    pub fields: PageFields,
    /// Whether it can read the `pages` of a section, a term or a paginator (when it cannot,
    /// they are given empty).
    pub pages: bool,
}

impl Reads {
    pub const ALL: Reads = Reads {
        fields: PageFields::ALL,
        pages: true,
    };
}

/// [`Reads`] of every template of `tera`, by name.
pub fn all(tera: &Tera) -> HashMap<String, Reads> {
    tera.templates
        .keys()
        .map(|name| (name.clone(), of(tera, name)))
        .collect()
}

/// [`Reads`] of the template `name`.
pub fn of(tera: &Tera, name: &str) -> Reads {
    let mut names = Names::default();
    let mut seen = HashSet::new();
    names.template(tera, name, &mut seen);
    if names.everything || names.a_check_fails() {
        return Reads::ALL;
    }
    let mut fields = PageFields(0).with(Field::RelativePath);
    for f in Field::ALL {
        if names.read.contains(f.name()) {
            fields = fields.with(f);
        }
    }
    Reads {
        fields,
        pages: names.read.contains("pages"),
    }
}

/// Filters whose result is never a page object (a string, a number, a list of strings).
const SCALAR_FILTERS: &[&str] = &[
    "upper",
    "lower",
    "trim",
    "trim_start",
    "trim_end",
    "trim_start_matches",
    "trim_end_matches",
    "truncate",
    "wordcount",
    "replace",
    "capitalize",
    "title",
    "linebreaksbr",
    "indent",
    "striptags",
    "spaceless",
    "urlencode",
    "urlencode_strict",
    "escape",
    "escape_xml",
    "slugify",
    "addslashes",
    "split",
    "int",
    "float",
    "join",
    "abs",
    "pluralize",
    "round",
    "filesizeformat",
    "length",
    "date",
    "as_str",
    "markdown",
    "json_encode",
    "json_script",
];

/// Filters that give back (part of) what they are given, or an argument: a page stays one.
const PASSING_FILTERS: &[&str] = &[
    "first",
    "last",
    "nth",
    "sort",
    "unique",
    "slice",
    "group_by",
    "filter",
    "map",
    "concat",
    "reverse",
    "get",
    "default",
    "safe",
    "sort_folded",
];

/// Filters that print the whole value they are given.
const WHOLE_VALUE_FILTERS: &[&str] = &["json_encode", "json_script"];

/// Filter arguments naming a field, which must then be written out.
const FIELD_ARGUMENTS: &[&str] = &["attribute", "key"];

/// Attributes that may hold page objects (`page.lower`, `section.pages`, `terms[0].pages`).
const PAGE_ATTRIBUTES: &[&str] = &[
    "lower",
    "higher",
    "page",
    "pages",
    "items",
    "terms",
    "term",
    "section",
    "paginator",
];

/// Context variables that hold page objects, whatever a template does.
const PAGE_VARIABLES: &[&str] = &["page", "section", "term", "terms", "paginator", "pages"];

/// Context variables that hold none.
const OTHER_VARIABLES: &[&str] = &[
    "config",
    "lang",
    "current_url",
    "current_path",
    "feed_url",
    "last_updated",
    "entries",
    "url",
    "loop",
    "taxonomy",
];

/// A place where a page object would be looked into as a whole.
enum Check<'t> {
    /// An expression's value before its first `n` filters.
    Value(&'t Expr, usize),
    /// A variable path (its part before a subscript by a variable).
    Path(String),
}

#[derive(Default)]
struct Names<'t> {
    /// Every attribute name and string literal.
    read: HashSet<String>,
    /// Something may read a field without naming it.
    everything: bool,
    /// Each name a template binds (`for`, `set`, a macro's argument), with its value (`None`
    /// for one that never holds a page: a loop's key).
    bindings: Vec<(&'t str, Option<&'t Expr>)>,
    checks: Vec<Check<'t>>,
}

impl<'t> Names<'t> {
    fn template(&mut self, tera: &'t Tera, name: &str, seen: &mut HashSet<String>) {
        if !seen.insert(name.to_string()) {
            return;
        }
        let Some(t) = tera.templates.get(name) else {
            self.everything = true;
            return;
        };
        self.nodes(&t.ast, tera, seen);
        for m in t.macros.values() {
            self.macro_definition(m, tera, seen);
        }
        for parent in &t.parents {
            self.template(tera, parent, seen);
        }
        for (file, _) in &t.imported_macro_files {
            self.template(tera, file, seen);
        }
    }

    fn macro_definition(
        &mut self,
        m: &'t tera::ast::MacroDefinition,
        tera: &'t Tera,
        seen: &mut HashSet<String>,
    ) {
        self.nodes(&m.body, tera, seen);
        for (name, default) in &m.args {
            if let Some(e) = default {
                self.bindings.push((name, Some(e)));
                self.expr(e);
            }
        }
    }

    fn nodes(&mut self, nodes: &'t [Node], tera: &'t Tera, seen: &mut HashSet<String>) {
        for n in nodes {
            match n {
                Node::VariableBlock(_, e) => self.expr(e),
                Node::MacroDefinition(_, m, _) => self.macro_definition(m, tera, seen),
                Node::Include(_, names, ignore_missing) => {
                    for name in names {
                        if tera.templates.contains_key(name) || !ignore_missing {
                            self.template(tera, name, seen);
                        }
                    }
                }
                Node::Set(_, set) => {
                    self.bindings.push((&set.key, Some(&set.value)));
                    self.expr(&set.value);
                }
                Node::FilterSection(_, section, _) => {
                    self.filter(&section.filter);
                    self.nodes(&section.body, tera, seen);
                }
                Node::Block(_, block, _) => self.nodes(&block.body, tera, seen),
                Node::Forloop(_, l, _) => {
                    self.bindings.push((&l.value, Some(&l.container)));
                    if let Some(key) = &l.key {
                        // A loop over an object's keys.
                        self.bindings.push((key, None));
                        self.checks
                            .push(Check::Value(&l.container, l.container.filters.len()));
                    }
                    self.expr(&l.container);
                    self.nodes(&l.body, tera, seen);
                    if let Some(body) = &l.empty_body {
                        self.nodes(body, tera, seen);
                    }
                }
                Node::If(i, _) => {
                    for (_, e, body) in &i.conditions {
                        self.expr(e);
                        self.nodes(body, tera, seen);
                    }
                    if let Some((_, body)) = &i.otherwise {
                        self.nodes(body, tera, seen);
                    }
                }
                Node::Super
                | Node::Text(_)
                | Node::Extends(..)
                | Node::ImportMacro(..)
                | Node::Raw(..)
                | Node::Break(_)
                | Node::Continue(_)
                | Node::Comment(..) => {}
            }
        }
    }

    fn expr(&mut self, e: &'t Expr) {
        self.value(&e.val);
        for (n, f) in e.filters.iter().enumerate() {
            if WHOLE_VALUE_FILTERS.contains(&f.name.as_str()) {
                self.checks.push(Check::Value(e, n));
            }
            self.filter(f);
        }
    }

    fn filter(&mut self, f: &'t FunctionCall) {
        let name = f.name.as_str();
        if !SCALAR_FILTERS.contains(&name) && !PASSING_FILTERS.contains(&name) {
            // A filter not known here may do anything.
            self.everything = true;
        }
        for (name, arg) in &f.args {
            if FIELD_ARGUMENTS.contains(&name.as_str()) && !is_string(arg) {
                self.everything = true;
            }
            self.expr(arg);
        }
    }

    fn value(&mut self, v: &'t ExprVal) {
        match v {
            ExprVal::String(s) => {
                // A field named in a string (`attribute="extra.year"`) is read by its first
                // segment.
                self.read.insert(s.clone());
                if let Some((first, _)) = s.split_once('.') {
                    self.read.insert(first.to_string());
                }
            }
            ExprVal::Int(_) | ExprVal::Float(_) | ExprVal::Bool(_) => {}
            ExprVal::Ident(path) => self.ident(path),
            ExprVal::Math(m) => {
                self.expr(&m.lhs);
                self.expr(&m.rhs);
            }
            ExprVal::Logic(l) => {
                self.expr(&l.lhs);
                self.expr(&l.rhs);
            }
            ExprVal::Test(t) => {
                self.ident(&t.ident);
                for a in &t.args {
                    self.expr(a);
                }
            }
            ExprVal::MacroCall(m) => {
                // An argument binds the macro's parameter of that name.
                for (name, a) in &m.args {
                    self.bindings.push((name, Some(a)));
                    self.expr(a);
                }
            }
            ExprVal::FunctionCall(f) => {
                for a in f.args.values() {
                    self.expr(a);
                }
            }
            ExprVal::Array(items) => {
                for e in items {
                    self.expr(e);
                }
            }
            ExprVal::StringConcat(c) => {
                for v in &c.values {
                    self.value(v);
                }
            }
            ExprVal::In(i) => {
                // `name in p` looks at an object's keys.
                if !is_string(&i.lhs) {
                    self.checks.push(Check::Value(&i.rhs, i.rhs.filters.len()));
                }
                self.expr(&i.lhs);
                self.expr(&i.rhs);
            }
        }
    }

    /// Reads the attribute names of a variable path: `a.b["c"][0]` reads `b` and `c`; a
    /// subscript by a variable (`a[b]`) may read any field of `a`.
    fn ident(&mut self, path: &str) {
        if path == "__tera_context" {
            self.everything = true;
            return;
        }
        let mut done = path.find(['.', '[']).unwrap_or(path.len());
        while done < path.len() {
            let rest = &path[done..];
            if let Some(after) = rest.strip_prefix('.') {
                let end = after.find(['.', '[']).unwrap_or(after.len());
                self.read.insert(after[..end].to_string());
                done += 1 + end;
            } else if let Some(after) = rest.strip_prefix('[') {
                let Some(close) = after.find(']') else {
                    self.everything = true;
                    return;
                };
                let inside = after[..close].trim();
                match unquote(inside) {
                    Some(name) => {
                        self.read.insert(name.to_string());
                    }
                    None if inside.chars().all(|c| c.is_ascii_digit()) => {}
                    None => {
                        self.checks.push(Check::Path(path[..done].to_string()));
                        self.ident(inside);
                    }
                }
                done += 1 + close + 1;
            } else {
                self.everything = true;
                return;
            }
        }
    }

    /// Whether any check may look into a page as a whole.
    fn a_check_fails(&self) -> bool {
        let holders = self.holders();
        self.checks.iter().any(|c| match c {
            Check::Value(e, n) => {
                let filters = &e.filters[..*n];
                // Pages grouped by a field are not looked into by a loop over the groups or
                // `in`; printed whole, they are.
                let grouped = filters.last().is_some_and(|f| f.name == "group_by")
                    && !(*n < e.filters.len()
                        && WHOLE_VALUE_FILTERS.contains(&e.filters[*n].name.as_str()));
                !grouped && holds(&e.val, filters, &holders)
            }
            Check::Path(p) => path_holds(p, &holders),
        })
    }

    /// The names that may hold a page object: the context's, names a template never binds
    /// (unknown: they may), and those bound to a value that may.
    fn holders(&self) -> HashSet<&str> {
        let bound: HashSet<&str> = self.bindings.iter().map(|(n, _)| *n).collect();
        let mut holders: HashSet<&str> = PAGE_VARIABLES.iter().copied().collect();
        let unbound = |n: &str| {
            !bound.contains(n) && !OTHER_VARIABLES.contains(&n) && !PAGE_VARIABLES.contains(&n)
        };
        loop {
            let before = holders.len();
            for (name, value) in &self.bindings {
                if let Some(e) = value
                    && !holders.contains(name)
                    && holds_with(&e.val, &e.filters, &holders, &unbound)
                {
                    holders.insert(name);
                }
            }
            if holders.len() == before {
                break;
            }
        }
        // Names used but bound nowhere count as holders from here on.
        let mut all = holders;
        for c in &self.checks {
            let root = match c {
                Check::Value(e, _) => match &e.val {
                    ExprVal::Ident(p) => root_of(p),
                    _ => continue,
                },
                Check::Path(p) => root_of(p),
            };
            if unbound(root) {
                all.insert(root);
            }
        }
        all
    }
}

fn root_of(path: &str) -> &str {
    &path[..path.find(['.', '[']).unwrap_or(path.len())]
}

fn unquote(s: &str) -> Option<&str> {
    s.strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .or_else(|| s.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')))
}

/// May `val` with `filters` applied be, or contain, a page object?
fn holds(val: &ExprVal, filters: &[FunctionCall], holders: &HashSet<&str>) -> bool {
    holds_with(val, filters, holders, &|_| false)
}

fn holds_with(
    val: &ExprVal,
    filters: &[FunctionCall],
    holders: &HashSet<&str>,
    unknown: &dyn Fn(&str) -> bool,
) -> bool {
    let mut h = match val {
        ExprVal::Ident(path) => unknown(root_of(path)) || path_holds(path, holders),
        ExprVal::Array(items) => items
            .iter()
            .any(|e| holds_with(&e.val, &e.filters, holders, unknown)),
        _ => false,
    };
    for f in filters {
        if SCALAR_FILTERS.contains(&f.name.as_str()) {
            h = false;
        } else {
            h = h
                || f.args
                    .values()
                    .any(|e| holds_with(&e.val, &e.filters, holders, unknown));
        }
    }
    h
}

/// May the variable path `path` be, or contain, a page object?
fn path_holds(path: &str, holders: &HashSet<&str>) -> bool {
    let root = root_of(path);
    if !holders.contains(root) {
        return false;
    }
    let rest = &path[root.len()..];
    if rest.is_empty() {
        return true;
    }
    if let Some(last) = rest.strip_suffix(']') {
        // An element, or a field chosen by a subscript.
        let open = last.rfind('[').unwrap_or(0);
        return match unquote(last[open + 1..].trim()) {
            Some(name) => PAGE_ATTRIBUTES.contains(&name),
            None => true,
        };
    }
    let last = &rest[rest.rfind('.').map_or(0, |i| i + 1)..];
    PAGE_ATTRIBUTES.contains(&last)
}

fn is_string(e: &Expr) -> bool {
    matches!(e.val, ExprVal::String(_)) && e.filters.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reads(templates: &[(&str, &str)], name: &str) -> Reads {
        let mut tera = Tera::default();
        tera.add_raw_templates(templates.to_vec())
            .expect("templates parse");
        of(&tera, name)
    }

    fn one(source: &str) -> Reads {
        reads(&[("t.html", source)], "t.html")
    }

    fn names(r: Reads) -> Vec<&'static str> {
        r.fields.iter().map(Field::name).collect()
    }

    #[test]
    fn a_list_reads_the_fields_it_names() {
        let r = one(
            "{% for p in section.pages %}<a href='{{ p.permalink }}'>{{ p.title }}</a>\
             {{ p['date'] }}{{ p.taxonomies.theme | join(sep=', ') }}{% endfor %}",
        );
        assert_eq!(
            names(r),
            ["relative_path", "permalink", "title", "date", "taxonomies"]
        );
        assert!(r.pages);
    }

    #[test]
    fn a_list_of_terms_without_their_pages_reads_no_pages() {
        let r = one(
            "{% for term in terms %}<a href='{{ term.permalink }}'>{{ term.name }}</a> \
             ({{ term.page_count }}){% endfor %}",
        );
        assert!(!r.pages);
        assert!(!r.fields.has(Field::Content));
    }

    #[test]
    fn fields_named_in_filter_arguments_are_read() {
        let r = one(
            "{% for g, ps in section.pages | group_by(attribute='extra.year') %}\
             {{ ps | map(attribute='summary') | join(sep='') }}{% endfor %}",
        );
        assert!(r.fields.has(Field::Extra));
        assert!(r.fields.has(Field::Summary));
        assert!(!r.fields.has(Field::Content));
    }

    #[test]
    fn what_may_read_an_unnamed_field_reads_everything() {
        for source in [
            "{% for p in pages %}{{ p[key] }}{% endfor %}",
            "{% for k, v in page %}{{ k }}{% endfor %}",
            "{% for p in pages %}{% for k, v in p %}{{ k }}{% endfor %}{% endfor %}",
            "{{ page.lower | json_encode }}",
            "{{ page | json_script }}",
            "{{ page | get(key=name) }}",
            "{{ pages | map(attribute=name) }}",
            "{{ __tera_context }}",
            "{% if name in page %}x{% endif %}",
            "{{ page | some_new_filter }}",
            "{% for p in section.pages %}{{ p | json_encode }}{% endfor %}",
            "{% set x = page.lower %}{% set y = x %}{{ y | json_script }}",
            "{% macro f(p) %}{{ p | json_encode }}{% endmacro f %}{{ self::f(p=page) }}",
            "{{ section.pages | group_by(attribute='year') | json_encode }}",
            "{{ undefined_here | json_encode }}",
        ] {
            assert_eq!(one(source), Reads::ALL, "{source}");
        }
    }

    #[test]
    fn what_cannot_read_an_unnamed_field_reads_only_what_it_names() {
        for source in [
            "{% for name, terms in page.taxonomies %}{{ name }}{% endfor %}",
            "{% for k, v in page.extra %}{{ k }}{% endfor %}",
            "{% if lang in config.languages %}x{% endif %}",
            "{% if 'title' in page %}x{% endif %}",
            "{{ page.title | upper | truncate(length=3) }}{{ pages | length }}",
            "{{ page.title | json_script }}{{ lang | json_script }}\
             {{ page.updated | default(value=page.date) | json_encode }}",
            "{% for c in page.taxonomies.country %}{{ c | json_script }}{% endfor %}",
            "{{ config.extra.names[lang] }}{% for t in page.translations %}\
             {{ config.extra.names[t.lang] }}{% endfor %}",
            "{% set counts = get_taxonomy(kind='theme') %}{{ counts[lang] | json_encode }}",
        ] {
            let r = one(source);
            assert!(!r.fields.has(Field::Content), "{source}");
            assert!(!r.pages, "{source}");
        }
    }

    #[test]
    fn parents_includes_and_macros_are_read_too() {
        let templates = [
            (
                "base.html",
                "{% block body %}{% endblock %}{% include 'footer.html' %}",
            ),
            (
                "macros.html",
                "{% macro card(p) %}{{ p.summary }}{% endmacro %}",
            ),
            ("footer.html", "{{ page.word_count }}"),
            (
                "list.html",
                "{% extends 'base.html' %}{% import 'macros.html' as m %}{% block body %}\
                 {% for p in section.pages %}{{ m::card(p=p) }}{% endfor %}{% endblock %}",
            ),
        ];
        let r = reads(&templates, "list.html");
        assert!(r.fields.has(Field::Summary));
        assert!(r.fields.has(Field::WordCount));
        assert!(!r.fields.has(Field::Content));
        assert!(r.pages);
    }
}
