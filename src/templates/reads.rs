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
//! What could read an unnamed field of a page makes the template read everything: a field
//! chosen by a variable (`p[name]`, `get(key=name)`), a loop over a page's keys (`for k, v in
//! p`), `name in p`, the whole context (`__tera_context`), `json_encode` or `json_script` of a
//! value that may hold a page, or a filter this module does not know. Whether a value may hold
//! a page is found from where each name is bound (`for`, `set`, a macro's arguments, by name
//! across all the templates read): `page.title | json_script` or `config.extra.names[lang]` are
//! fine, `p | json_encode` in a loop over `section.pages` is not.
//!
//! Unread fields are kept as `null`, so a page object keeps its keys (`length`) and its
//! identity (`relative_path` is always kept). The fields are those named anywhere in the
//! template: `section.content` makes the pages' `content` read too.
//!
//! The site functions that return pages (`get_page`, `get_section`, `get_taxonomy_term`,
//! `get_taxonomy`) build them with the same fields, for the template being rendered (see
//! `SiteData::rendering`): their results are values like the context's, so a page from
//! `get_page(…)` compares equal to the same page in a list.

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

    /// The set as bits, one per field in the order of [`Field::ALL`].
    pub fn bits(self) -> u64 {
        u64::from(self.0)
    }

    /// The set of [`PageFields::bits`] (unknown bits left out).
    pub fn from_bits(bits: u64) -> PageFields {
        PageFields((bits & u64::from(PageFields::ALL.0)) as u32)
    }

    /// The set of `fields`.
    pub const fn of(fields: &[Field]) -> PageFields {
        let mut bits = 0;
        let mut i = 0;
        while i < fields.len() {
            bits |= 1 << fields[i] as u32;
            i += 1;
        }
        PageFields(bits)
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

    /// The fields of the pages of the lists it reads (a section's, a term's, a paginator's),
    /// or `None` when it reads no such list.
    pub fn listed(self) -> Option<PageFields> {
        self.pages.then_some(self.fields)
    }
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
    let kinds = names.kinds();
    if names.everything || names.a_check_fails(&kinds) {
        return Reads::ALL;
    }
    // Fields named on what may be a page (`p.title`, not `section.title`), and fields named in
    // strings (`attribute="title"`).
    let mut read: HashSet<&str> = names.literals.iter().map(String::as_str).collect();
    let mut pages = read.contains("pages");
    for (prefix, attribute) in &names.accesses {
        let k = kind_of_path(prefix, &kinds);
        if k & PAGE != 0 {
            read.insert(attribute);
        }
        if k & HOLDER != 0 && attribute == "pages" {
            pages = true;
        }
    }
    let mut fields = PageFields(0).with(Field::RelativePath);
    for f in Field::ALL {
        if read.contains(f.name()) {
            fields = fields.with(f);
        }
    }
    Reads { fields, pages }
}

/// What a value may be, as a set of bits: a page, a list of pages, what holds lists of pages
/// (a section, a term, a paginator, a taxonomy), a list of those, pages grouped by a field.
/// `0` is anything else (a string, a page's `extra`).
type Kind = u8;
const PAGE: Kind = 1;
const PAGES: Kind = 2;
const HOLDER: Kind = 4;
const HOLDERS: Kind = 8;
const GROUPS: Kind = 16;
/// Unknown: it may be anything.
const ANY: Kind = 31;

/// The kinds of the context's variables.
fn variable_kind(name: &str) -> Option<Kind> {
    match name {
        "page" => Some(PAGE),
        "section" | "term" | "paginator" => Some(HOLDER),
        "terms" => Some(HOLDERS),
        "pages" => Some(PAGES),
        "config" | "lang" | "current_url" | "current_path" | "feed_url" | "last_updated"
        | "entries" | "url" | "loop" | "taxonomy" => Some(0),
        _ => None,
    }
}

/// The kind of `k.name`.
fn attribute(k: Kind, name: &str) -> Kind {
    if k == ANY {
        return ANY;
    }
    let mut r = 0;
    if k & PAGE != 0 && (name == "lower" || name == "higher") {
        r |= PAGE;
    }
    if k & HOLDER != 0 {
        match name {
            "pages" => r |= PAGES,
            "items" => r |= HOLDERS,
            _ => {}
        }
    }
    if k & GROUPS != 0 {
        r |= PAGES;
    }
    r
}

/// The kind of an element of `k` (`k[0]`, a loop's value).
fn element(k: Kind) -> Kind {
    if k == ANY {
        return ANY;
    }
    let mut r = 0;
    if k & PAGES != 0 {
        r |= PAGE;
    }
    if k & HOLDERS != 0 {
        r |= HOLDER;
    }
    if k & GROUPS != 0 {
        r |= PAGES;
    }
    r
}

/// The kind of a list of `k`.
fn list_of(k: Kind) -> Kind {
    let mut r = 0;
    if k & PAGE != 0 {
        r |= PAGES;
    }
    if k & HOLDER != 0 {
        r |= HOLDERS;
    }
    if k & (PAGES | HOLDERS | GROUPS) != 0 {
        // Lists of lists are not followed.
        r = ANY;
    }
    r
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

/// Filters that give back what they are given, reordered or cut.
const SAME_KIND_FILTERS: &[&str] = &[
    "sort",
    "unique",
    "slice",
    "filter",
    "reverse",
    "safe",
    "sort_folded",
];

/// The other filters this module knows.
const OTHER_FILTERS: &[&str] = &[
    "first", "last", "nth", "group_by", "map", "concat", "get", "default",
];

/// Filters that print the whole value they are given.
const WHOLE_VALUE_FILTERS: &[&str] = &["json_encode", "json_script"];

/// Filter arguments naming a field, which must then be written out.
const FIELD_ARGUMENTS: &[&str] = &["attribute", "key"];

/// How a template binds a name.
enum Binding<'t> {
    /// `set name = e`, or a macro's argument.
    Value(&'t Expr),
    /// `for name in e`.
    Element(&'t Expr),
    /// `for k, name in e`.
    Field(&'t Expr),
}

/// A place where a page object would be looked into as a whole.
enum Check<'t> {
    /// An expression's value before its first `n` filters, printed whole.
    Printed(&'t Expr, usize),
    /// A value whose keys are looked at (`for k, v in e`, `name in e`).
    Keys(&'t Expr),
    /// A variable path subscripted by a variable.
    Subscript(String),
}

#[derive(Default)]
struct Names<'t> {
    /// Every string literal (a field named in a filter's argument).
    literals: HashSet<String>,
    /// Each attribute read: the path it is read on, and its name (`p.title`: `p`, `title`).
    accesses: Vec<(String, String)>,
    /// Something may read a field without naming it.
    everything: bool,
    /// Each name a template binds (by name: scopes are not told apart).
    bindings: Vec<(&'t str, Binding<'t>)>,
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
                self.bindings.push((name, Binding::Value(e)));
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
                    self.bindings.push((&set.key, Binding::Value(&set.value)));
                    self.expr(&set.value);
                }
                Node::FilterSection(_, section, _) => {
                    self.filter(&section.filter);
                    self.nodes(&section.body, tera, seen);
                }
                Node::Block(_, block, _) => self.nodes(&block.body, tera, seen),
                Node::Forloop(_, l, _) => {
                    match &l.key {
                        Some(_) => {
                            self.bindings.push((&l.value, Binding::Field(&l.container)));
                            self.checks.push(Check::Keys(&l.container));
                        }
                        None => self
                            .bindings
                            .push((&l.value, Binding::Element(&l.container))),
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
                self.checks.push(Check::Printed(e, n));
            }
            self.filter(f);
        }
    }

    fn filter(&mut self, f: &'t FunctionCall) {
        let name = f.name.as_str();
        if !SCALAR_FILTERS.contains(&name)
            && !SAME_KIND_FILTERS.contains(&name)
            && !OTHER_FILTERS.contains(&name)
        {
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
                self.literals.insert(s.clone());
                if let Some((first, _)) = s.split_once('.') {
                    self.literals.insert(first.to_string());
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
                    self.bindings.push((name, Binding::Value(a)));
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
                    self.checks.push(Check::Keys(&i.rhs));
                }
                self.expr(&i.lhs);
                self.expr(&i.rhs);
            }
        }
    }

    /// Records the attributes read along a variable path: `a.b["c"][0]` reads `b` on `a` and
    /// `c` on `a.b`; a subscript by a variable (`a[b]`) may read any field of `a`.
    fn ident(&mut self, path: &str) {
        if path == "__tera_context" {
            self.everything = true;
            return;
        }
        let mut done = path.find(['.', '[']).unwrap_or(path.len());
        while done < path.len() {
            let prefix = &path[..done];
            let rest = &path[done..];
            if let Some(after) = rest.strip_prefix('.') {
                let end = after.find(['.', '[']).unwrap_or(after.len());
                self.accesses
                    .push((prefix.to_string(), after[..end].to_string()));
                done += 1 + end;
            } else if let Some(after) = rest.strip_prefix('[') {
                let Some(close) = after.find(']') else {
                    self.everything = true;
                    return;
                };
                let inside = after[..close].trim();
                match unquote(inside) {
                    Some(name) => self.accesses.push((prefix.to_string(), name.to_string())),
                    None if inside.chars().all(|c| c.is_ascii_digit()) => {}
                    None => {
                        self.checks.push(Check::Subscript(prefix.to_string()));
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

    /// The kind of each bound name: the union of what each of its bindings may give, up to a
    /// fixed point (bindings refer to one another).
    fn kinds(&self) -> HashMap<&'t str, Kind> {
        let mut kinds: HashMap<&'t str, Kind> =
            self.bindings.iter().map(|(n, _)| (*n, 0)).collect();
        loop {
            let mut changed = false;
            for (name, binding) in &self.bindings {
                let k = match binding {
                    Binding::Value(e) => kind_of(e, e.filters.len(), &kinds),
                    Binding::Element(e) => element(kind_of(e, e.filters.len(), &kinds)),
                    Binding::Field(e) => {
                        let k = kind_of(e, e.filters.len(), &kinds);
                        if k == ANY {
                            ANY
                        } else {
                            // A page's fields hold pages (`lower`); a section's, lists.
                            (if k & PAGE != 0 { PAGE } else { 0 })
                                | (if k & HOLDER != 0 { PAGES | HOLDERS } else { 0 })
                                | (if k & GROUPS != 0 { PAGES } else { 0 })
                        }
                    }
                };
                let entry = kinds.entry(name).or_insert(0);
                if *entry | k != *entry {
                    *entry |= k;
                    changed = true;
                }
            }
            if !changed {
                return kinds;
            }
        }
    }

    /// Whether any check may look into a page as a whole.
    fn a_check_fails(&self, kinds: &HashMap<&str, Kind>) -> bool {
        self.checks.iter().any(|c| match c {
            Check::Printed(e, n) => kind_of(e, *n, kinds) != 0,
            Check::Keys(e) => kind_of(e, e.filters.len(), kinds) & (PAGE | HOLDER) != 0,
            Check::Subscript(prefix) => kind_of_path(prefix, kinds) & (PAGE | HOLDER) != 0,
        })
    }
}

/// The kind of `e` with its first `n` filters applied.
fn kind_of(e: &Expr, n: usize, kinds: &HashMap<&str, Kind>) -> Kind {
    let mut k = match &e.val {
        ExprVal::Ident(path) => kind_of_path(path, kinds),
        ExprVal::Array(items) => items
            .iter()
            .map(|i| list_of(kind_of(i, i.filters.len(), kinds)))
            .fold(0, |a, b| a | b),
        ExprVal::FunctionCall(f) => function_kind(&f.name),
        // Literals, arithmetic, tests, strings.
        _ => 0,
    };
    for f in &e.filters[..n] {
        let arg = |name: &str| f.args.get(name).map(|a| kind_of(a, a.filters.len(), kinds));
        let literal = |name: &str| match f.args.get(name).map(|a| &a.val) {
            Some(ExprVal::String(s)) => Some(s.as_str()),
            _ => None,
        };
        k = match f.name.as_str() {
            name if SCALAR_FILTERS.contains(&name) => 0,
            name if SAME_KIND_FILTERS.contains(&name) => k,
            "first" | "last" | "nth" => element(k),
            "group_by" if k == ANY => ANY,
            "group_by" if k != 0 => GROUPS,
            "group_by" => 0,
            "map" => match literal("attribute") {
                Some(a) => list_of(a.split('.').fold(element(k), attribute)),
                None => ANY,
            },
            "get" => match literal("key") {
                Some(a) => attribute(k, a),
                None => ANY,
            },
            "concat" => {
                let with = arg("with").unwrap_or(0);
                k | with | list_of(with & (PAGE | HOLDER))
            }
            "default" => k | arg("value").unwrap_or(0),
            _ => ANY,
        };
    }
    k
}

/// The kind of what a site function returns. Their pages are built with the fields the
/// calling template reads, as its context's are (`SiteData::rendering`).
fn function_kind(name: &str) -> Kind {
    match name {
        "get_page" => PAGE,
        "get_section" | "get_taxonomy_term" | "get_taxonomy" => HOLDER,
        "get_pages" | "related_pages" => PAGES,
        _ => 0,
    }
}

/// The kind of a variable path: `section.pages[0].lower` is a page.
fn kind_of_path(path: &str, kinds: &HashMap<&str, Kind>) -> Kind {
    let root = &path[..path.find(['.', '[']).unwrap_or(path.len())];
    let mut k = match (variable_kind(root), kinds.get(root)) {
        (Some(v), bound) => v | bound.copied().unwrap_or(0),
        (None, Some(bound)) => *bound,
        // A name nothing binds: unknown.
        (None, None) => ANY,
    };
    let mut done = root.len();
    while done < path.len() {
        let rest = &path[done..];
        if let Some(after) = rest.strip_prefix('.') {
            let end = after.find(['.', '[']).unwrap_or(after.len());
            k = attribute(k, &after[..end]);
            done += 1 + end;
        } else if let Some(after) = rest.strip_prefix('[') {
            let Some(close) = after.find(']') else {
                return ANY;
            };
            let inside = after[..close].trim();
            k = match unquote(inside) {
                Some(name) => attribute(k, name),
                // An element, or (by a variable) a field: `lower` of a page, `pages` of a
                // section.
                None => element(k) | attribute(k, "lower") | attribute(k, "pages"),
            };
            done += 1 + close + 1;
        } else {
            return ANY;
        }
    }
    k
}

fn unquote(s: &str) -> Option<&str> {
    s.strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .or_else(|| s.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')))
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
            "{% set counts = term_counts(kind='theme') %}{{ counts[lang] | json_encode }}",
        ] {
            let r = one(source);
            assert!(!r.fields.has(Field::Content), "{source}");
            assert!(!r.pages, "{source}");
        }
    }

    #[test]
    fn fields_are_those_named_on_pages_not_on_sections() {
        let r = one(
            "{{ section.content }}{{ section.title }}{{ config.extra.summary }}\
             {% for p in section.pages %}{{ p.title }}{{ p.lower.word_count }}{% endfor %}",
        );
        assert_eq!(names(r), ["relative_path", "title", "word_count", "lower"]);
        assert!(r.pages);
        let r = one("{% set list = section.pages | sort(attribute='title') %}\
             {% for p in list | slice(end=3) %}{{ p.summary }}{% endfor %}\
             {% set first = list | first %}{{ first.toc }}\
             {% for year, ps in list | group_by(attribute='year') %}\
             {% for p in ps %}{{ p.reading_time }}{% endfor %}{% endfor %}");
        assert_eq!(
            names(r),
            [
                "relative_path",
                "title",
                "year",
                "summary",
                "toc",
                "reading_time"
            ]
        );
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

    #[test]
    fn fields_read_on_functions_results_count() {
        let r = one("{% set t = get_taxonomy_term(kind='theme', term='a') %}\
             {% for p in t.pages | sort(attribute='title') %}{{ p.permalink }}{% endfor %}\
             {% set a = get_page(path='a.md') %}{{ a.description }}\
             {% set tax = get_taxonomy(kind='theme') %}\
             {% for term in tax.items %}{{ term.pages[0].slug }}{% endfor %}\
             {% set b = get_section(path='b/_index.md') %}{% for p in b.pages %}{{ p.toc }}{% endfor %}");
        assert_eq!(
            names(r),
            [
                "relative_path",
                "permalink",
                "slug",
                "title",
                "description",
                "toc"
            ]
        );
        assert!(r.pages);
        let r = one("{% set a = get_page(path='a.md') %}{{ a | json_encode }}");
        assert_eq!(r, Reads::ALL);
        let r =
            one("{{ get_url(path='a.md') }}{% set d = load_data(path='d.toml') %}{{ d.title }}");
        assert_eq!(names(r), ["relative_path"]);
    }
}
