//! Zola's template functions: `get_url`, `get_section`, `get_page`, `get_taxonomy`,
//! `get_taxonomy_url`, `get_taxonomy_term`, `trans`, `load_data` and `now`.
//!
//! They read a [`SiteData`] snapshot, built once per build and shared (no globals).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde_json::Value as Json;
use tera::{Error, Function, Result, Tera};

use super::context;
use crate::config::Config;
use crate::content::library::Library;
use crate::diagnostics::Diagnostic;

/// What the functions can see of the site.
pub struct SiteData {
    pub root: PathBuf,
    pub config: Config,
    pub library: Library,
    /// Every page as JSON, by page index.
    pub pages: Vec<Json>,
    /// Every page reduced for lists (see [`context::page_light`]), by page index.
    pub light_pages: Vec<Json>,
    /// Warnings raised while rendering (a missing translation key, for instance).
    pub warnings: Mutex<Vec<Diagnostic>>,
    /// The controlled vocabulary, when the site has one.
    pub vocabulary: Option<crate::vocabulary::Vocabulary>,
    /// Data files already parsed by `load_data`, by path and format.
    pub data_cache: Mutex<HashMap<(PathBuf, String), Json>>,
}

impl SiteData {
    /// A snapshot of the site for the template functions; `pages` are the pages as JSON.
    pub fn new(
        root: &Path,
        config: &Config,
        library: &Library,
        pages: Vec<Json>,
        vocabulary: &Option<crate::vocabulary::Vocabulary>,
    ) -> Arc<SiteData> {
        Arc::new(SiteData {
            root: root.to_path_buf(),
            config: config.clone(),
            library: library.clone(),
            pages,
            light_pages: (0..library.pages.len())
                .map(|i| context::page_light(library, i))
                .collect(),
            vocabulary: vocabulary.clone(),
            warnings: Mutex::new(Vec::new()),
            data_cache: Mutex::new(HashMap::new()),
        })
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

    pub fn section_json(&self, i: usize, metadata_only: bool) -> Json {
        let pages = if metadata_only {
            Vec::new()
        } else {
            self.library.sections[i]
                .pages
                .iter()
                .map(|&p| self.pages[p].clone())
                .collect()
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
            let file = d.root.join("static").join(trimmed);
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
impl Function for GetSection {
    fn call(&self, args: &HashMap<String, Json>) -> Result<Json> {
        let d = &self.0;
        let path = required_str(args, "path", "get_section")?;
        let rel = d.localized(path, arg_str(args, "lang", "get_section")?);
        match d.library.find_section(&rel) {
            Some(i) => Ok(d.section_json(i, arg_bool(args, "metadata_only", false))),
            None if !arg_bool(args, "required", true) => Ok(Json::Null),
            None => Err(Error::msg(format!("`get_section`: no section `{rel}`"))),
        }
    }
}

/// `get_pages(section=…, lang=…)`: a section's pages, sorted, without their contents — a
/// compendium extension for lists shown on every page (Zola's `get_section` copies every
/// page's content each time).
struct GetPages(Arc<SiteData>);
impl Function for GetPages {
    fn call(&self, args: &HashMap<String, Json>) -> Result<Json> {
        let d = &self.0;
        let path = required_str(args, "section", "get_pages")?;
        let rel = d.localized(path, arg_str(args, "lang", "get_pages")?);
        match d.library.find_section(&rel) {
            Some(i) => Ok(Json::Array(
                d.library.sections[i]
                    .pages
                    .iter()
                    .map(|&p| d.light_pages[p].clone())
                    .collect(),
            )),
            None if !arg_bool(args, "required", true) => Ok(Json::Array(Vec::new())),
            None => Err(Error::msg(format!("`get_pages`: no section `{rel}`"))),
        }
    }
}

/// `vocabulary(kind=…, id=…, lang=…, field="label")`: the label (or `description`) of a
/// vocabulary identifier, or a country's name, in a language — a compendium extension, so that
/// templates need not carry the whole vocabulary around. Unknown identifiers come back as they
/// are (`compendium check` reports them).
struct VocabularyFn(Arc<SiteData>);
impl Function for VocabularyFn {
    fn call(&self, args: &HashMap<String, Json>) -> Result<Json> {
        use crate::vocabulary::Kind;
        let d = &self.0;
        let kind = required_str(args, "kind", "vocabulary")?;
        let id = match args.get("id") {
            Some(Json::String(s)) => s.clone(),
            Some(Json::Number(n)) => n.to_string(),
            _ => return Err(Error::msg("`vocabulary` needs an `id` argument")),
        };
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
impl Function for GetPage {
    fn call(&self, args: &HashMap<String, Json>) -> Result<Json> {
        let d = &self.0;
        let path = required_str(args, "path", "get_page")?;
        let rel = d.localized(path, arg_str(args, "lang", "get_page")?);
        match d.library.find_page(&rel) {
            Some(i) => Ok(d.pages[i].clone()),
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
impl Function for GetTaxonomy {
    fn call(&self, args: &HashMap<String, Json>) -> Result<Json> {
        Ok(find_taxonomy(&self.0, args, "get_taxonomy")?
            .map(|t| context::taxonomy(t, &self.0.pages))
            .unwrap_or(Json::Null))
    }
}

struct GetTaxonomyUrl(Arc<SiteData>);
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
impl Function for GetTaxonomyTerm {
    fn call(&self, args: &HashMap<String, Json>) -> Result<Json> {
        let d = &self.0;
        let name = required_str(args, "term", "get_taxonomy_term")?;
        let Some(t) = find_taxonomy(d, args, "get_taxonomy_term")? else {
            return Ok(Json::Null);
        };
        match t.term(name, &d.config) {
            Some(term) => Ok(context::term(
                term,
                &d.pages,
                arg_bool(args, "include_pages", true),
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
impl Function for LoadData {
    fn call(&self, args: &HashMap<String, Json>) -> Result<Json> {
        let d = &self.0;
        let required = arg_bool(args, "required", true);
        let format = arg_str(args, "format", "load_data")?;
        if let Some(literal) = arg_str(args, "literal", "load_data")? {
            return parse_data(literal, format.unwrap_or("plain"), "literal");
        }
        let path = required_str(args, "path", "load_data")?;
        let Some(file) = find_data_file(d, path) else {
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

/// Finds a data file inside the site (never outside it).
fn find_data_file(d: &SiteData, path: &str) -> Option<PathBuf> {
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
    if Path::new(rel).components().any(|c| {
        !matches!(
            c,
            std::path::Component::Normal(_) | std::path::Component::CurDir
        )
    }) {
        return None;
    }
    let root = d.root.canonicalize().ok()?;
    bases.into_iter().map(|b| b.join(rel)).find(|p| {
        p.is_file()
            && p.canonicalize()
                .map(|c| c.starts_with(&root))
                .unwrap_or(false)
    })
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

/// Registers every function on `tera`, reading `data`.
pub fn register(tera: &mut Tera, data: &Arc<SiteData>) {
    tera.register_function("get_url", GetUrl(data.clone()));
    tera.register_function("get_section", GetSection(data.clone()));
    tera.register_function("get_page", GetPage(data.clone()));
    tera.register_function("get_pages", GetPages(data.clone()));
    tera.register_function("vocabulary", VocabularyFn(data.clone()));
    tera.register_function("get_taxonomy", GetTaxonomy(data.clone()));
    tera.register_function("get_taxonomy_url", GetTaxonomyUrl(data.clone()));
    tera.register_function("get_taxonomy_term", GetTaxonomyTerm(data.clone()));
    tera.register_function("trans", Trans(data.clone()));
    tera.register_function("load_data", LoadData(data.clone()));
    tera.register_function("now", Now);
}
