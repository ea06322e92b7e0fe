//! Zola's template functions: `get_url`, `get_section`, `get_page`, `get_taxonomy`,
//! `get_taxonomy_url`, `get_taxonomy_term`, `trans`, `load_data` and `now`.
//!
//! They read a [`SiteData`] snapshot, built once per build and shared (no globals).

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde_json::Value as Json;
use tera::{Error, Filter, Function, Result, Tera};

use super::context;
use super::reads::PageFields;
use crate::config::Config;
use crate::content::library::Library;
use crate::diagnostics::Diagnostic;
use crate::incremental::{Keyed, Recorded, Recorder};

/// The argument a recorded call of a function returning pages gets: the fields it built them
/// with, so that checking the call again builds the same.
const FIELDS_ARG: &str = "__fields";

/// What the functions can see of the site.
pub struct SiteData {
    pub root: PathBuf,
    pub config: Config,
    pub library: Arc<Library>,
    /// Every page reduced for lists (see [`context::page_light`]), by page index, built when
    /// first asked for.
    light_pages: std::sync::OnceLock<Vec<Json>>,
    /// Warnings raised while rendering (a missing translation key, for instance).
    pub warnings: Mutex<Vec<Diagnostic>>,
    /// The controlled vocabulary, when the site has one.
    pub vocabulary: Option<Arc<crate::vocabulary::Vocabulary>>,
    /// Data files already parsed by `load_data`, by path and format.
    pub data_cache: Mutex<HashMap<(PathBuf, String), Json>>,
    /// A hash of each field of each page's JSON, computed when first asked for (incremental
    /// builds).
    field_keys: std::sync::OnceLock<Vec<context::FieldKeys>>,
    /// A hash of each page's JSON reduced to some of its fields, by page index.
    page_keys: Mutex<HashMap<PageFields, Arc<[u64]>>>,
    /// A hash of each section's JSON without its pages, by section index.
    section_keys: std::sync::OnceLock<Vec<u64>>,
    /// The fields read by the template each thread is rendering ([`SiteData::rendering`]).
    rendering: Mutex<HashMap<std::thread::ThreadId, PageFields>>,
}

impl SiteData {
    /// A snapshot of the site for the template functions (shared with the site, not copied).
    pub fn new(
        root: &Path,
        config: &Config,
        library: Arc<Library>,
        vocabulary: &Option<Arc<crate::vocabulary::Vocabulary>>,
    ) -> Arc<SiteData> {
        Arc::new(SiteData {
            root: root.to_path_buf(),
            config: config.clone(),
            light_pages: std::sync::OnceLock::new(),
            library,
            vocabulary: vocabulary.clone(),
            warnings: Mutex::new(Vec::new()),
            data_cache: Mutex::new(HashMap::new()),
            field_keys: std::sync::OnceLock::new(),
            page_keys: Mutex::new(HashMap::new()),
            section_keys: std::sync::OnceLock::new(),
            rendering: Mutex::new(HashMap::new()),
        })
    }

    /// Runs `render` on this thread with `fields` as the fields the functions that return
    /// pages build them with: those the template being rendered reads ([`super::reads`]).
    /// Renders may nest on a thread (work stolen while waiting); each gets back its own.
    pub fn rendering<R>(&self, fields: PageFields, render: impl FnOnce() -> R) -> R {
        let thread = std::thread::current().id();
        let set = |f: Option<PageFields>| {
            let mut map = self.rendering.lock().unwrap_or_else(|e| e.into_inner());
            match f {
                Some(f) => map.insert(thread, f),
                None => map.remove(&thread),
            }
        };
        let outer = set(Some(fields));
        let result = render();
        set(outer);
        result
    }

    /// The fields of the pages functions build for this call: `__fields` when a recorded call
    /// gave it ([`crate::incremental::Keyed::implicit_arg`]), else those of the template this
    /// thread renders, else all.
    fn fields_for(&self, args: &HashMap<String, Json>) -> PageFields {
        if let Some(bits) = args.get(FIELDS_ARG).and_then(Json::as_u64) {
            return PageFields::from_bits(bits);
        }
        self.fields_now()
    }

    /// [`FIELDS_ARG`] with the fields of the template this thread renders.
    fn fields_arg(&self) -> (&'static str, Json) {
        (FIELDS_ARG, Json::from(self.fields_now().bits()))
    }

    fn fields_now(&self) -> PageFields {
        let map = self.rendering.lock().unwrap_or_else(|e| e.into_inner());
        map.get(&std::thread::current().id())
            .copied()
            .unwrap_or(PageFields::ALL)
    }

    /// The hash of each section's JSON without its pages, by section index (render keys and
    /// `get_section`'s fingerprints).
    pub fn section_keys(&self) -> &[u64] {
        self.section_keys.get_or_init(|| {
            self.each(self.library.sections.len(), |i| {
                let mut h = crate::incremental::hasher();
                let json = context::section(&self.library, i, Vec::new());
                crate::incremental::hash_json(&json, &mut h);
                h.finish()
            })
        })
    }

    /// A hash of the pages `found` reduced to `fields`, in their order, for the fingerprint
    /// of a function `name` returning them: their JSON is not built to be hashed.
    fn hash_pages(&self, name: &str, fields: PageFields, found: &[usize]) -> u64 {
        let keys = self.page_keys(fields);
        let mut h = crate::incremental::hasher();
        name.hash(&mut h);
        found.len().hash(&mut h);
        for &p in found {
            keys.get(p).hash(&mut h);
        }
        h.finish()
    }

    /// [`context::field_keys`] of each page, by page index.
    pub fn field_keys(&self) -> &[context::FieldKeys] {
        self.field_keys
            .get_or_init(|| self.each_page(context::field_keys))
    }

    /// [`context::page_key`] of each page for `fields`, by page index: what render keys and
    /// fingerprints are made of.
    pub fn page_keys(&self, fields: PageFields) -> Arc<[u64]> {
        let field_keys = self.field_keys();
        let combine = || -> Arc<[u64]> {
            field_keys
                .iter()
                .map(|k| context::page_key(k, fields))
                .collect()
        };
        match self.page_keys.lock() {
            Ok(mut known) => known.entry(fields).or_insert_with(combine).clone(),
            Err(_) => combine(),
        }
    }

    /// Every page reduced for lists ([`context::page_light`]), by page index.
    pub fn light_pages(&self) -> &[Json] {
        self.light_pages
            .get_or_init(|| self.each_page(context::page_light))
    }

    /// `f` of each page, by page index: see [`SiteData::each`].
    fn each_page<T: Send>(&self, f: impl Fn(&Library, usize) -> T + Sync) -> Vec<T> {
        self.each(self.library.pages.len(), |i| f(&self.library, i))
    }

    /// `f` of `0..n`: in parallel, unless called from a parallel task (a render asking first).
    /// There, a parallel loop could pick up another render that waits for the same table, on
    /// the same thread: a deadlock.
    fn each<T: Send>(&self, n: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
        use rayon::prelude::*;
        if rayon::current_thread_index().is_some() {
            (0..n).map(f).collect()
        } else {
            (0..n).into_par_iter().map(&f).collect()
        }
    }

    /// The relative path of `path`'s version in `lang` (`blog/_index.md` → `blog/_index.en.md`).
    pub fn localized(&self, path: &str, lang: Option<&str>) -> String {
        let path = path.trim_start_matches("@/");
        match lang {
            Some(l) if l != self.config.default_language => match path.strip_suffix(".md") {
                Some(stem) => format!("{stem}.{l}.md"),
                None => path.to_string(),
            },
            _ => path.to_string(),
        }
    }

    pub fn section_json(&self, i: usize, metadata_only: bool, fields: PageFields) -> Json {
        let pages = if metadata_only {
            Vec::new()
        } else {
            context::pages(&self.library, &self.library.sections[i].pages, fields)
        };
        context::section(&self.library, i, pages)
    }
}

fn arg_str<'a>(args: &'a HashMap<String, Json>, name: &str, f: &str) -> Result<Option<&'a str>> {
    match args.get(name) {
        None | Some(Json::Null) => Ok(None),
        Some(Json::String(s)) => Ok(Some(s)),
        Some(other) => Err(Error::msg(format!(
            "`{f}`: `{name}` must be a string, not {other}"
        ))),
    }
}

fn arg_bool(args: &HashMap<String, Json>, name: &str, default: bool) -> bool {
    args.get(name).and_then(Json::as_bool).unwrap_or(default)
}

fn required_str<'a>(args: &'a HashMap<String, Json>, name: &str, f: &str) -> Result<&'a str> {
    arg_str(args, name, f)?.ok_or_else(|| Error::msg(format!("`{f}` needs a `{name}` argument")))
}

struct GetUrl(Arc<SiteData>);
impl Keyed for GetUrl {}
impl Function for GetUrl {
    fn call(&self, args: &HashMap<String, Json>) -> Result<Json> {
        let d = &self.0;
        let path = required_str(args, "path", "get_url")?;
        let lang = arg_str(args, "lang", "get_url")?;
        if let Some(lang) = lang
            && !d.config.languages.contains_key(lang)
        {
            return Err(Error::msg(format!("`get_url`: unknown language `{lang}`")));
        }
        if path.starts_with("@/") {
            let (file, anchor) = match path.split_once('#') {
                Some((f, a)) => (f, Some(a)),
                None => (path, None),
            };
            let rel = d.localized(file, lang);
            let permalink = d.library.permalink_of(&rel).ok_or_else(|| {
                Error::msg(format!("`get_url`: no content file `{rel}` for `{path}`"))
            })?;
            return Ok(Json::String(match anchor {
                Some(a) => format!("{permalink}#{a}"),
                None => permalink.to_string(),
            }));
        }
        if path.starts_with("http://") || path.starts_with("https://") {
            return Ok(Json::String(path.to_string()));
        }
        let trimmed = path.trim_start_matches('/');
        let full = match lang {
            Some(l) if l != d.config.default_language => format!("{l}/{trimmed}"),
            _ => trimmed.to_string(),
        };
        let mut permalink = d.config.make_permalink(&full);
        let trailing = arg_bool(args, "trailing_slash", false);
        if !trailing && permalink.ends_with('/') && !full.is_empty() && !full.ends_with('/') {
            permalink.pop();
        }
        if trailing && !permalink.ends_with('/') {
            permalink.push('/');
        }
        if arg_bool(args, "cachebust", false) {
            let file = static_file(d, trimmed)
                .map_err(|e| Error::msg(format!("`get_url`: cannot cachebust: {e}")))?;
            let bytes = std::fs::read(&file)
                .map_err(|e| Error::msg(format!("`get_url`: cannot cachebust `{path}`: {e}")))?;
            permalink.push_str(&format!("?h={:016x}", fnv1a(&bytes)));
        }
        Ok(Json::String(permalink))
    }
    fn is_safe(&self) -> bool {
        true
    }
}

/// A small stable hash for cache-busting query strings.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf29ce484222325u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x100000001b3)
    })
}

struct GetSection(Arc<SiteData>);
impl Keyed for GetSection {
    fn implicit_arg(&self) -> Option<(&'static str, Json)> {
        Some(self.0.fields_arg())
    }

    /// The section's key and, unless `metadata_only`, its pages' keys: hashing the section as
    /// JSON would first copy every page of it.
    fn fingerprint(&self, args: &HashMap<String, Json>) -> Option<u64> {
        let d = &self.0;
        let path = required_str(args, "path", "get_section").ok()?;
        let rel = d.localized(path, arg_str(args, "lang", "get_section").ok()?);
        let i = d.library.find_section(&rel)?;
        let pages: &[usize] = if arg_bool(args, "metadata_only", false) {
            &[]
        } else {
            &d.library.sections[i].pages
        };
        let mut h = crate::incremental::hasher();
        d.section_keys().get(i).hash(&mut h);
        d.hash_pages("get_section", d.fields_for(args), pages)
            .hash(&mut h);
        Some(h.finish())
    }
}
impl Function for GetSection {
    fn call(&self, args: &HashMap<String, Json>) -> Result<Json> {
        let d = &self.0;
        let path = required_str(args, "path", "get_section")?;
        let rel = d.localized(path, arg_str(args, "lang", "get_section")?);
        match d.library.find_section(&rel) {
            Some(i) => Ok(d.section_json(
                i,
                arg_bool(args, "metadata_only", false),
                d.fields_for(args),
            )),
            None if !arg_bool(args, "required", true) => Ok(Json::Null),
            None => Err(Error::msg(format!("`get_section`: no section `{rel}`"))),
        }
    }
}

/// `get_pages(section=…, lang=…, sort_by=…, reverse=false, limit=…)`: a section's pages
/// (in the section's order, or by the value of `sort_by`), without their contents — a
/// compendium extension for lists shown on every page (Zola's `get_section` copies every
/// page's content each time).
struct GetPages(Arc<SiteData>);
impl GetPages {
    /// The pages' indexes, in the order asked for.
    fn find(&self, args: &HashMap<String, Json>) -> Result<Vec<usize>> {
        let d = &self.0;
        let path = required_str(args, "section", "get_pages")?;
        let rel = d.localized(path, arg_str(args, "lang", "get_pages")?);
        let Some(i) = d.library.find_section(&rel) else {
            if arg_bool(args, "required", true) {
                return Err(Error::msg(format!("`get_pages`: no section `{rel}`")));
            }
            return Ok(Vec::new());
        };
        let mut pages = d.library.sections[i].pages.clone();
        if let Some(key) = arg_str(args, "sort_by", "get_pages")? {
            let value = |p: usize| {
                context::light_field(&d.library, p, key)
                    .map(|v| sort_key(&v))
                    .unwrap_or_default()
            };
            pages.sort_by_cached_key(|&p| value(p));
        }
        if arg_bool(args, "reverse", false) {
            pages.reverse();
        }
        if let Some(n) = args.get("limit") {
            let n = n
                .as_u64()
                .ok_or_else(|| Error::msg("`get_pages`: `limit` must be a whole number"))?;
            pages.truncate(usize::try_from(n).unwrap_or(usize::MAX));
        }
        Ok(pages)
    }
}

impl Keyed for GetPages {
    /// The found pages' keys: their JSON is not copied to be hashed.
    fn fingerprint(&self, args: &HashMap<String, Json>) -> Option<u64> {
        let found = self.find(args).ok()?;
        Some(self.0.hash_pages("get_pages", PageFields::LIGHT, &found))
    }
}

impl Function for GetPages {
    fn call(&self, args: &HashMap<String, Json>) -> Result<Json> {
        let light = self.0.light_pages();
        Ok(Json::Array(
            self.find(args)?.iter().map(|&p| light[p].clone()).collect(),
        ))
    }
}

/// A sort key for a JSON value: strings as they are (dates are ISO 8601), numbers padded so
/// that they sort by value, nothing before everything.
fn sort_key(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        Json::Number(n) => n
            .as_f64()
            .map(|f| format!("{:020.6}", f + 1e12))
            .unwrap_or_default(),
        Json::Bool(b) => b.to_string(),
        _ => String::new(),
    }
}

/// Every entry of a kind, in display order, as `{id, label, description, …}` in `lang`
/// (countries: `{id, label}`, by name).
fn vocabulary_list(d: &SiteData, kind: crate::vocabulary::Kind, lang: &str) -> Json {
    let Some(v) = &d.vocabulary else {
        return Json::Array(Vec::new());
    };
    let text = |t: &crate::vocabulary::Text| t.get(lang).cloned().unwrap_or_default();
    if kind == crate::vocabulary::Kind::Country {
        let mut list: Vec<(String, &String)> = v
            .countries
            .iter()
            .map(|(id, names)| (text(names), id))
            .collect();
        list.sort_by(|a, b| lexical_sort::natural_lexical_cmp(&a.0, &b.0));
        return Json::Array(
            list.into_iter()
                .map(|(label, id)| serde_json::json!({ "id": id, "label": label }))
                .collect(),
        );
    }
    Json::Array(
        v.entries(kind)
            .into_iter()
            .map(|(id, e)| {
                serde_json::json!({
                    "id": id,
                    "label": text(&e.label),
                    "description": text(&e.description),
                    "number": e.number,
                    "round_table": e.round_table,
                    "sessions": e.sessions,
                })
            })
            .collect(),
    )
}

/// `term_counts(kind=…, lang=…, within_kind=…, within_term=…)`: how many pages each term of a
/// taxonomy has, as `{term name: count}`, optionally counting only the pages of one term of
/// another taxonomy (a compendium extension, for cross tables).
struct TermCounts(Arc<SiteData>);
impl Keyed for TermCounts {}
impl Function for TermCounts {
    fn call(&self, args: &HashMap<String, Json>) -> Result<Json> {
        let d = &self.0;
        let Some(tax) = find_taxonomy(d, args, "term_counts")? else {
            return Ok(Json::Object(serde_json::Map::new()));
        };
        let within: Option<std::collections::HashSet<usize>> =
            match arg_str(args, "within_kind", "term_counts")? {
                None => None,
                Some(kind) => {
                    let term = match args.get("within_term") {
                        Some(Json::String(s)) => s.clone(),
                        Some(Json::Number(n)) => n.to_string(),
                        _ => {
                            return Err(Error::msg(
                                "`term_counts`: `within_kind` needs a `within_term`",
                            ));
                        }
                    };
                    let pages = d
                        .library
                        .taxonomies
                        .iter()
                        .find(|t| t.lang == tax.lang && t.kind.name == kind)
                        .and_then(|t| t.term(&term, &d.config))
                        .map(|t| t.pages.iter().copied().collect())
                        .unwrap_or_default();
                    Some(pages)
                }
            };
        let counts = tax
            .items
            .iter()
            .map(|t| {
                let n = match &within {
                    None => t.pages.len(),
                    Some(set) => t.pages.iter().filter(|p| set.contains(p)).count(),
                };
                (t.name.clone(), Json::from(n))
            })
            .collect();
        Ok(Json::Object(counts))
    }
}

/// `related_pages(path=…, by="session:2,theme:1", min_score=2, limit=6)`: the pages of the same
/// language sharing the most weighted taxonomy terms with a page, best first (a compendium
/// extension; see [`crate::content::related`]).
struct RelatedPages(Arc<SiteData>);
impl RelatedPages {
    /// The related pages' indexes.
    fn find(&self, args: &HashMap<String, Json>) -> Result<Vec<usize>> {
        let d = &self.0;
        let path = required_str(args, "path", "related_pages")?;
        let by = required_str(args, "by", "related_pages")?;
        let weights = crate::content::related::parse_weights(by)
            .map_err(|e| Error::msg(format!("`related_pages`: {e}")))?;
        let number = |name: &str, default: u64| -> Result<u64> {
            match args.get(name) {
                None => Ok(default),
                Some(v) => v.as_u64().ok_or_else(|| {
                    Error::msg(format!("`related_pages`: `{name}` must be a whole number"))
                }),
            }
        };
        let min_score = u32::try_from(number("min_score", 1)?).unwrap_or(u32::MAX);
        let limit = usize::try_from(number("limit", 5)?).unwrap_or(usize::MAX);
        let Some(i) = d.library.find_page(path.trim_start_matches("@/")) else {
            return Err(Error::msg(format!("`related_pages`: no page `{path}`")));
        };
        Ok(crate::content::related::related(
            &d.library, &d.config, i, &weights, min_score, limit,
        ))
    }
}

impl RelatedPages {
    /// The related pages' keys: their JSON is not copied to be hashed.
    fn hash_found(&self, related: &[usize]) -> u64 {
        self.0
            .hash_pages("related_pages", PageFields::LIGHT, related)
    }
}

impl Keyed for RelatedPages {
    fn fingerprint(&self, args: &HashMap<String, Json>) -> Option<u64> {
        let related = self.find(args).ok()?;
        Some(self.hash_found(&related))
    }

    /// The fingerprint of the pages the call found (taken back from their paths), so that
    /// recording a call does not rank the pages a second time.
    fn result_hash(&self, _args: &HashMap<String, Json>, result: &Result<Json>) -> u64 {
        let found = result
            .as_ref()
            .ok()
            .and_then(Json::as_array)
            .and_then(|list| {
                list.iter()
                    .map(|p| {
                        let rel = p.get("relative_path")?.as_str()?;
                        self.0.library.find_page(rel)
                    })
                    .collect::<Option<Vec<usize>>>()
            });
        match found {
            Some(related) => self.hash_found(&related),
            None => crate::incremental::hash_result(result),
        }
    }
}

impl Function for RelatedPages {
    fn call(&self, args: &HashMap<String, Json>) -> Result<Json> {
        let related = self.find(args)?;
        Ok(Json::Array(
            related
                .iter()
                .map(|&p| self.0.light_pages()[p].clone())
                .collect(),
        ))
    }
}

/// `vocabulary(kind=…, id=…, lang=…, field="label")`: the label (or `description`) of a
/// vocabulary identifier, or a country's name, in a language — a compendium extension, so that
/// templates need not carry the whole vocabulary around. Unknown identifiers come back as they
/// are (`compendium check` reports them).
struct VocabularyFn(Arc<SiteData>);
impl Keyed for VocabularyFn {
    /// The vocabulary is part of the generation.
    fn stable(&self) -> bool {
        true
    }
}
impl Function for VocabularyFn {
    fn call(&self, args: &HashMap<String, Json>) -> Result<Json> {
        use crate::vocabulary::Kind;
        let d = &self.0;
        let kind = required_str(args, "kind", "vocabulary")?;
        let lang = arg_str(args, "lang", "vocabulary")?.unwrap_or(&d.config.default_language);
        let field = arg_str(args, "field", "vocabulary")?.unwrap_or("label");
        let kind = match kind {
            "round_table" | "round_tables" => Kind::RoundTable,
            "session" | "sessions" => Kind::Session,
            "theme" | "themes" => Kind::Theme,
            "region" | "regions" => Kind::Region,
            "actor_type" | "actor_types" => Kind::ActorType,
            "country" | "countries" => Kind::Country,
            other => return Err(Error::msg(format!("`vocabulary`: unknown kind `{other}`"))),
        };
        let id = match args.get("id") {
            Some(Json::String(s)) => s.clone(),
            Some(Json::Number(n)) => n.to_string(),
            None => return Ok(vocabulary_list(d, kind, lang)),
            Some(other) => {
                return Err(Error::msg(format!(
                    "`vocabulary`: `id` must be a string, not {other}"
                )));
            }
        };
        let Some(v) = &d.vocabulary else {
            return Ok(Json::String(id));
        };
        let text = if field == "description" {
            v.description(kind, &id, lang)
        } else {
            v.label(kind, &id, lang)
        };
        Ok(Json::String(text.map(str::to_string).unwrap_or(id)))
    }
}

struct GetPage(Arc<SiteData>);
impl Keyed for GetPage {
    fn implicit_arg(&self) -> Option<(&'static str, Json)> {
        Some(self.0.fields_arg())
    }
}
impl Function for GetPage {
    fn call(&self, args: &HashMap<String, Json>) -> Result<Json> {
        let d = &self.0;
        let path = required_str(args, "path", "get_page")?;
        let rel = d.localized(path, arg_str(args, "lang", "get_page")?);
        match d.library.find_page(&rel) {
            Some(i) => Ok(context::page(&d.library, i, d.fields_for(args))),
            None if !arg_bool(args, "required", true) => Ok(Json::Null),
            None => Err(Error::msg(format!("`get_page`: no page `{rel}`"))),
        }
    }
}

fn find_taxonomy<'a>(
    d: &'a SiteData,
    args: &HashMap<String, Json>,
    f: &str,
) -> Result<Option<&'a crate::content::taxonomy::Taxonomy>> {
    let kind = required_str(args, "kind", f)?;
    let lang = arg_str(args, "lang", f)?.unwrap_or(&d.config.default_language);
    let found = d
        .library
        .taxonomies
        .iter()
        .find(|t| t.kind.name == kind && t.lang == lang);
    if found.is_none() && arg_bool(args, "required", true) {
        return Err(Error::msg(format!(
            "`{f}`: no taxonomy `{kind}` in language `{lang}`"
        )));
    }
    Ok(found)
}

struct GetTaxonomy(Arc<SiteData>);
impl Keyed for GetTaxonomy {
    fn implicit_arg(&self) -> Option<(&'static str, Json)> {
        Some(self.0.fields_arg())
    }
}
impl Function for GetTaxonomy {
    fn call(&self, args: &HashMap<String, Json>) -> Result<Json> {
        let with_pages = arg_bool(args, "include_pages", true);
        Ok(find_taxonomy(&self.0, args, "get_taxonomy")?
            .map(|t| {
                let pages = with_pages.then(|| self.0.fields_for(args));
                context::taxonomy(&self.0.library, t, pages)
            })
            .unwrap_or(Json::Null))
    }
}

struct GetTaxonomyUrl(Arc<SiteData>);
impl Keyed for GetTaxonomyUrl {}
impl Function for GetTaxonomyUrl {
    fn call(&self, args: &HashMap<String, Json>) -> Result<Json> {
        let d = &self.0;
        let name = required_str(args, "name", "get_taxonomy_url")?;
        let Some(t) = find_taxonomy(d, args, "get_taxonomy_url")? else {
            return Ok(Json::Null);
        };
        match t.term(name, &d.config) {
            Some(term) => Ok(Json::String(term.permalink.clone())),
            None if !arg_bool(args, "required", true) => Ok(Json::Null),
            None => Err(Error::msg(format!(
                "`get_taxonomy_url`: no term `{name}` in `{}`",
                t.kind.name
            ))),
        }
    }
    fn is_safe(&self) -> bool {
        true
    }
}

struct GetTaxonomyTerm(Arc<SiteData>);
impl Keyed for GetTaxonomyTerm {
    fn implicit_arg(&self) -> Option<(&'static str, Json)> {
        Some(self.0.fields_arg())
    }

    /// The term's own fields and its pages' keys: hashing the term as JSON would first copy
    /// every page of it.
    fn fingerprint(&self, args: &HashMap<String, Json>) -> Option<u64> {
        let d = &self.0;
        let name = required_str(args, "term", "get_taxonomy_term").ok()?;
        let t = find_taxonomy(d, args, "get_taxonomy_term").ok()??;
        let term = t.term(name, &d.config)?;
        let mut h = crate::incremental::hasher();
        (&term.name, &term.slug, &term.path, &term.permalink).hash(&mut h);
        term.pages.len().hash(&mut h);
        if arg_bool(args, "include_pages", true) {
            let keys = d.page_keys(d.fields_for(args));
            for &p in &term.pages {
                keys.get(p).hash(&mut h);
            }
        }
        Some(h.finish())
    }
}

impl Function for GetTaxonomyTerm {
    fn call(&self, args: &HashMap<String, Json>) -> Result<Json> {
        let d = &self.0;
        let name = required_str(args, "term", "get_taxonomy_term")?;
        let Some(t) = find_taxonomy(d, args, "get_taxonomy_term")? else {
            return Ok(Json::Null);
        };
        match t.term(name, &d.config) {
            Some(term) => Ok(context::term(
                &d.library,
                term,
                arg_bool(args, "include_pages", true).then(|| d.fields_for(args)),
            )),
            None if !arg_bool(args, "required", true) => Ok(Json::Null),
            None => Err(Error::msg(format!(
                "`get_taxonomy_term`: no term `{name}` in `{}`",
                t.kind.name
            ))),
        }
    }
}

struct Trans(Arc<SiteData>);
impl Keyed for Trans {}
impl Function for Trans {
    fn call(&self, args: &HashMap<String, Json>) -> Result<Json> {
        let d = &self.0;
        let key = required_str(args, "key", "trans")?;
        let lang = arg_str(args, "lang", "trans")?.unwrap_or(&d.config.default_language);
        if let Some(v) = d
            .config
            .languages
            .get(lang)
            .and_then(|l| l.translations.get(key))
        {
            return Ok(Json::String(v.clone()));
        }
        // Zola fails here; we fall back to the default language and warn.
        let default = &d.config.default_language;
        match d.config.lang(default).translations.get(key) {
            Some(v) => {
                if let Ok(mut w) = d.warnings.lock() {
                    let msg = format!(
                        "translation key `{key}` is missing in language `{lang}`; using `{default}`"
                    );
                    let diag = Diagnostic::warning(d.root.join("config.toml"), msg);
                    if !w.contains(&diag) {
                        w.push(diag);
                    }
                }
                Ok(Json::String(v.clone()))
            }
            None => Err(Error::msg(format!(
                "`trans`: no translation key `{key}` in language `{lang}`"
            ))),
        }
    }
    fn is_safe(&self) -> bool {
        true
    }
}

struct LoadData(Arc<SiteData>);
impl Keyed for LoadData {}
impl Function for LoadData {
    fn call(&self, args: &HashMap<String, Json>) -> Result<Json> {
        let d = &self.0;
        let required = arg_bool(args, "required", true);
        let format = arg_str(args, "format", "load_data")?;
        if let Some(literal) = arg_str(args, "literal", "load_data")? {
            return parse_data(literal, format.unwrap_or("plain"), "literal");
        }
        let path = required_str(args, "path", "load_data")?;
        let Some(file) = find_data_file(d, path).map_err(Error::msg)? else {
            if !required {
                return Ok(Json::Null);
            }
            return Err(Error::msg(format!(
                "`load_data`: file `{path}` not found in the site"
            )));
        };
        let ext = file.extension().and_then(|e| e.to_str()).unwrap_or("plain");
        let format = format.unwrap_or(ext).to_string();
        let key = (file.clone(), format.clone());
        if let Some(v) = d.data_cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
            return Ok(v);
        }
        let text = std::fs::read_to_string(&file)
            .map_err(|e| Error::msg(format!("`load_data`: cannot read `{path}`: {e}")))?;
        let value = parse_data(&text, &format, path)?;
        if let Ok(mut c) = d.data_cache.lock() {
            c.insert(key, value.clone());
        }
        Ok(value)
    }
}

/// Finds a data file inside the site (`/x` is read from the site, as in Zola). A path that could
/// lead outside it (`..`, a Windows path, a symbolic link pointing out) is an error, even with
/// `required=false`.
fn find_data_file(d: &SiteData, path: &str) -> std::result::Result<Option<PathBuf>, String> {
    let (bases, rel): (Vec<PathBuf>, &str) = if let Some(rest) = path.strip_prefix("@/") {
        (vec![d.root.join("content")], rest)
    } else {
        let mut b = vec![
            d.root.clone(),
            d.root.join("content"),
            d.root.join("static"),
        ];
        if let Some(t) = &d.config.theme {
            b.push(d.root.join("themes").join(t));
        }
        (b, path.trim_start_matches('/'))
    };
    let refused = |why: &str| Err(format!("`load_data`: `{path}` is refused: {why}"));
    if rel.contains('\\')
        || rel.contains('\0')
        || Path::new(rel).components().any(|c| {
            !matches!(
                c,
                std::path::Component::Normal(_) | std::path::Component::CurDir
            )
        })
    {
        return refused("`..` or an absolute path could leave the site");
    }
    let Ok(root) = d.root.canonicalize() else {
        return Ok(None);
    };
    for p in bases.into_iter().map(|b| b.join(rel)) {
        if !p.is_file() {
            continue;
        }
        return match p.canonicalize() {
            Ok(c) if c.starts_with(&root) => Ok(Some(p)),
            _ => refused("it is a symbolic link pointing outside the site"),
        };
    }
    Ok(None)
}

/// `static/<rel>`, refused when it could lead outside the site.
fn static_file(d: &SiteData, rel: &str) -> std::result::Result<PathBuf, String> {
    if rel.contains('\\')
        || Path::new(rel)
            .components()
            .any(|c| !matches!(c, std::path::Component::Normal(_)))
    {
        return Err(format!("`{rel}` could leave the site"));
    }
    let file = d.root.join("static").join(rel);
    let inside = match (file.canonicalize(), d.root.canonicalize()) {
        (Ok(f), Ok(root)) => f.starts_with(root),
        _ => true,
    };
    if inside {
        Ok(file)
    } else {
        Err(format!(
            "`{rel}` is a symbolic link pointing outside the site"
        ))
    }
}

/// Parses data text in `format` (toml, json, csv, plain).
pub fn parse_data(text: &str, format: &str, what: &str) -> Result<Json> {
    match format {
        "toml" => {
            let v: toml::Value = toml::from_str(text).map_err(|e| {
                Error::msg(format!(
                    "`load_data`: `{what}` is not valid TOML: {}",
                    e.message()
                ))
            })?;
            Ok(sort_keys(
                serde_json::to_value(v).map_err(|e| Error::msg(e.to_string()))?,
            ))
        }
        "json" => serde_json::from_str(text)
            .map_err(|e| Error::msg(format!("`load_data`: `{what}` is not valid JSON: {e}"))),
        "csv" => {
            let mut r = csv::ReaderBuilder::new()
                .has_headers(true)
                .from_reader(text.as_bytes());
            let headers: Vec<String> = r
                .headers()
                .map_err(|e| Error::msg(format!("`load_data`: `{what}`: {e}")))?
                .iter()
                .map(str::to_string)
                .collect();
            let mut records = Vec::new();
            for rec in r.records() {
                let rec = rec.map_err(|e| Error::msg(format!("`load_data`: `{what}`: {e}")))?;
                records.push(Json::Array(
                    rec.iter().map(|c| Json::String(c.to_string())).collect(),
                ));
            }
            Ok(serde_json::json!({"headers": headers, "records": records}))
        }
        _ => Ok(Json::String(text.to_string())),
    }
}

fn sort_keys(v: Json) -> Json {
    match v {
        Json::Object(m) => {
            let mut entries: Vec<_> = m.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Json::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k, sort_keys(v)))
                    .collect(),
            )
        }
        Json::Array(a) => Json::Array(a.into_iter().map(sort_keys).collect()),
        other => other,
    }
}

struct Now;
impl Keyed for Now {}
impl Function for Now {
    fn call(&self, args: &HashMap<String, Json>) -> Result<Json> {
        let now = chrono::Local::now();
        if arg_bool(args, "timestamp", false) {
            return Ok(Json::from(now.timestamp()));
        }
        if arg_bool(args, "utc", false) {
            return Ok(Json::String(now.with_timezone(&chrono::Utc).to_rfc3339()));
        }
        Ok(Json::String(now.to_rfc3339()))
    }
}

/// Every function, by name, reading `data`.
pub fn table(data: &Arc<SiteData>) -> Vec<(&'static str, Arc<dyn Keyed>)> {
    vec![
        ("get_url", Arc::new(GetUrl(data.clone()))),
        ("get_section", Arc::new(GetSection(data.clone()))),
        ("get_page", Arc::new(GetPage(data.clone()))),
        ("get_pages", Arc::new(GetPages(data.clone()))),
        ("related_pages", Arc::new(RelatedPages(data.clone()))),
        ("term_counts", Arc::new(TermCounts(data.clone()))),
        ("vocabulary", Arc::new(VocabularyFn(data.clone()))),
        ("get_taxonomy", Arc::new(GetTaxonomy(data.clone()))),
        ("get_taxonomy_url", Arc::new(GetTaxonomyUrl(data.clone()))),
        ("get_taxonomy_term", Arc::new(GetTaxonomyTerm(data.clone()))),
        ("trans", Arc::new(Trans(data.clone()))),
        ("load_data", Arc::new(LoadData(data.clone()))),
        ("now", Arc::new(Now)),
    ]
}

/// Registers every function (and the `sort_folded` filter) on `tera`, reading `data`; with a
/// recorder, each call is recorded for incremental rebuilds.
pub fn register(tera: &mut Tera, data: &Arc<SiteData>, recorder: Option<&Arc<Recorder>>) {
    for (name, f) in table(data) {
        match recorder {
            Some(r) => tera.register_function(
                name,
                Recorded {
                    name,
                    inner: f,
                    recorder: r.clone(),
                },
            ),
            None => tera.register_function(name, ArcFunction(f)),
        }
    }
    tera.register_filter("sort_folded", SortFolded);
    tera.register_filter("json_script", JsonScript);
}

/// `value | json_script`: JSON safe to print inside `<script>` (`json_encode` is not: a
/// front-matter string holding `</script>` would end the element). `<`, `>` and `&` are
/// written as `\u003c`, `\u003e`, `\u0026`, which JSON reads back as the same characters.
/// A compendium extension.
struct JsonScript;
impl Filter for JsonScript {
    fn filter(&self, value: &Json, _args: &HashMap<String, Json>) -> Result<Json> {
        let text = serde_json::to_string(value).map_err(|e| Error::msg(e.to_string()))?;
        Ok(Json::String(json_for_script(&text)))
    }
    fn is_safe(&self) -> bool {
        true
    }
}

/// Escapes the characters of JSON text that HTML reads inside `<script>`.
pub fn json_for_script(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// A shared function, as Tera wants an owned one.
struct ArcFunction(Arc<dyn Keyed>);
impl Function for ArcFunction {
    fn call(&self, args: &HashMap<String, Json>) -> Result<Json> {
        self.0.call(args)
    }
    fn is_safe(&self) -> bool {
        self.0.is_safe()
    }
}

/// `list | sort_folded(attribute="title")`: sorts as a reader expects, ignoring case and
/// accents and comparing numbers by value ("É" with "e", "2" before "10"); Tera's `sort`
/// compares code points. A compendium extension.
struct SortFolded;
impl Filter for SortFolded {
    fn filter(&self, value: &Json, args: &HashMap<String, Json>) -> Result<Json> {
        let Json::Array(items) = value else {
            return Err(Error::msg("`sort_folded` sorts an array"));
        };
        let attribute = arg_str(args, "attribute", "sort_folded")?;
        let key = |v: &Json| -> String {
            let v = match attribute {
                Some(a) => a.split('.').try_fold(v, |v, k| v.get(k)),
                None => Some(v),
            };
            match v {
                Some(Json::String(s)) => s.clone(),
                Some(Json::Null) | None => String::new(),
                Some(other) => other.to_string(),
            }
        };
        let mut keyed: Vec<(String, &Json)> = items.iter().map(|v| (key(v), v)).collect();
        keyed.sort_by(|a, b| lexical_sort::natural_lexical_cmp(&a.0, &b.0));
        Ok(Json::Array(
            keyed.into_iter().map(|(_, v)| v.clone()).collect(),
        ))
    }
}
