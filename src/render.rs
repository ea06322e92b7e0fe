//! Render: the library and the templates become the site's files (pages, sections, pagers,
//! taxonomies, feeds, sitemap, robots.txt, 404, aliases, static files and assets). Pure
//! apart from reading static files; parallel over pages.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};
use std::path::Path;
use std::sync::Arc;

use rayon::prelude::*;
use serde_json::Value as Json;
use tera::{Context, Tera};

use crate::config::Config;
use crate::content::library::{Library, normalize_alias};
use crate::content::section::Section;
use crate::content::taxonomy::TaxonomyTerm;
use crate::diagnostics::Diagnostic;
use crate::incremental::{KeyHasher, Session, hash_json, hasher};
use crate::output::{Content, OutputError, OutputFile, Rank, Sink, stage};
use crate::templates::functions::SiteData;
use crate::templates::reads::{PageFields, Reads};
use crate::templates::{self, context, tera_error_chain};

/// One URL of the sitemap, as `sitemap.xml` sees it (`entries`).
#[derive(Debug, Hash, serde::Serialize)]
pub struct SitemapEntry<'a> {
    pub permalink: Cow<'a, str>,
    pub date: Option<&'a str>,
    pub lang: &'a str,
    pub translations: Vec<Alternate<'a>>,
}

/// Another language's version of a sitemap URL.
#[derive(Debug, Hash, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Alternate<'a> {
    pub lang: &'a str,
    pub permalink: &'a str,
}

/// A Tera context holding `values` as they are (inserting a JSON value into a context the
/// usual way serializes it again, which costs more than the rendering of a small page).
pub fn owned_context(values: Vec<(&str, Json)>) -> Context {
    let map: serde_json::Map<String, Json> = values
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    Context::from_value(Json::Object(map)).unwrap_or_default()
}

/// What rendering needs.
pub struct Renderer<'a> {
    /// Reuses the previous build's renders whose inputs did not change (`serve`).
    pub session: Option<&'a Session>,
    pub root: &'a Path,
    pub config: &'a Config,
    pub tera: &'a Tera,
    pub library: &'a Library,
    /// What the template functions see (they build pages with the fields of the template
    /// being rendered).
    pub data: &'a SiteData,
    /// What templates see as `config`, per language: shared by every render's context, not
    /// copied into each.
    pub config_json: std::collections::HashMap<String, std::sync::Arc<Json>>,
    /// What each template reads of the pages it is given: the rest is left out of their
    /// JSON, and of render keys.
    pub reads: &'a HashMap<String, Reads>,
    /// With a session: a hash of each page's JSON for each set of fields templates read, and
    /// of each section's without its pages, from which render keys are made (see
    /// [`Renderer::render`]).
    pub page_keys: HashMap<PageFields, Arc<[u64]>>,
    pub section_keys: &'a [u64],
    /// Where each job's files go as soon as they are rendered.
    pub sink: &'a dyn Sink,
}

/// A problem of the output, as a diagnostic on the file it concerns.
pub fn output_diagnostic(e: OutputError) -> Diagnostic {
    match &e {
        OutputError::Io { path, .. } => Diagnostic::error(path, e.to_string()),
        OutputError::Source { path, .. } => {
            Diagnostic::error(path, format!("file vanished during the build: {e}"))
        }
        OutputError::Escapes(p) => Diagnostic::error(p, e.to_string()),
    }
}

/// What delivering a job's files gave: the diagnostics of those that could not be.
type Delivered = Result<(), Vec<Diagnostic>>;

/// Hands `files` to `sink` as job `job` of stage `stage`; every file that fails is reported.
pub fn deliver(
    sink: &dyn Sink,
    stage: u8,
    job: usize,
    files: Vec<OutputFile>,
) -> Result<(), Vec<Diagnostic>> {
    let diags: Vec<Diagnostic> = files
        .into_iter()
        .enumerate()
        .filter_map(|(k, f)| sink.put(Rank::new(stage, job, k), f).err())
        .map(output_diagnostic)
        .collect();
    if diags.is_empty() { Ok(()) } else { Err(diags) }
}

impl Renderer<'_> {
    /// What `template` reads of the pages it is given (everything, for a template unknown).
    fn reads(&self, template: &str) -> Reads {
        let name = templates::resolve(self.tera, template);
        self.reads.get(name.as_ref()).copied().unwrap_or(Reads::ALL)
    }

    /// Each page's key for `fields` (keys of every field, which are as good, if that set was
    /// not computed).
    fn page_keys(&self, fields: PageFields) -> &[u64] {
        self.page_keys
            .get(&fields)
            .or_else(|| self.page_keys.get(&PageFields::ALL))
            .map_or(&[], |k| &k[..])
    }

    /// A list of pages, as a template reading `reads` sees it: their number, and their fields
    /// if it reads the list.
    fn hash_pages(&self, h: &mut KeyHasher, pages: &[usize], reads: Reads) {
        pages.len().hash(h);
        if reads.pages {
            let keys = self.page_keys(reads.fields);
            for &p in pages {
                keys.get(p).hash(h);
            }
        }
    }

    /// Everything [`context::term`] is made of.
    fn hash_term(&self, h: &mut KeyHasher, t: &TaxonomyTerm, reads: Reads) {
        (&t.name, &t.slug, &t.path, &t.permalink).hash(h);
        self.hash_pages(h, &t.pages, reads);
    }

    /// Everything [`context::paginator`] is made of.
    fn hash_paginator(&self, h: &mut KeyHasher, p: &context::Pagination, k: usize, reads: Reads) {
        (k, p.per, p.total, p.base_url, p.pagers.len()).hash(h);
        for pager in p.pagers {
            (pager.index, &pager.permalink).hash(h);
        }
        self.hash_pages(h, &p.pagers[k].pages, reads);
    }
}

/// Every variable the renderer puts in a context besides `config`: what a render's key hashes.
const CONTEXT_KEYS: &[&str] = &[
    "lang",
    "page",
    "section",
    "taxonomy",
    "terms",
    "term",
    "paginator",
    "pages",
    "feed_url",
    "last_updated",
    "entries",
    "url",
    "current_url",
    "current_path",
];

type Rendered = Result<Vec<OutputFile>, Vec<Diagnostic>>;

/// `a/b/` → `a/b/index.html`; `a/b.html` → itself.
pub fn file_for_path(path: &str) -> String {
    let p = path.trim_start_matches('/');
    if p.ends_with(".html") || p.ends_with(".xml") || p.ends_with(".txt") {
        p.to_string()
    } else if p.is_empty() {
        "index.html".into()
    } else {
        format!("{}/index.html", p.trim_end_matches('/'))
    }
}

impl<'a> Renderer<'a> {
    fn base_context(&self, lang: &str) -> Context {
        let config = self
            .config_json
            .get(lang)
            .cloned()
            .unwrap_or_else(|| std::sync::Arc::new(self.config.to_template_json(lang)));
        let mut ctx = Context::new();
        ctx.insert_shared("config", config);
        ctx.insert("lang", lang);
        ctx
    }

    /// Renders `template` with the context `ctx` builds. With a session, the previous build's
    /// render is reused when the render key is the same: the template and what `key` hashes,
    /// which must be every input `ctx` builds the context from (debug builds check it), so
    /// that contexts are only built for what is rendered again.
    fn render(
        &self,
        template: &str,
        key: impl FnOnce(&mut KeyHasher),
        ctx: impl FnOnce() -> Context,
        source: &Path,
    ) -> Result<Content, Diagnostic> {
        self.render_returning(template, key, ctx, source).0
    }

    /// [`Renderer::render`], giving back the context when one was built (so that what it
    /// holds can be reused without copying it).
    fn render_returning(
        &self,
        template: &str,
        key: impl FnOnce(&mut KeyHasher),
        ctx: impl FnOnce() -> Context,
        source: &Path,
    ) -> (Result<Content, Diagnostic>, Option<Context>) {
        let name = templates::resolve(self.tera, template);
        if !templates::exists(self.tera, &name) {
            let d = Diagnostic::error(source, format!("template `{template}` not found"))
                .with_help("add it to templates/ or to the theme's templates/");
            return (Err(d), None);
        }
        let mut built = None;
        let fields = self.reads(template).fields;
        let mut render = |ctx: Context| {
            let r = self
                .data
                .rendering(fields, || self.tera.render(&name, &ctx));
            built = Some(ctx);
            r
        };
        let result = match self.session {
            Some(s) => {
                let mut h = hasher();
                name.hash(&mut h);
                key(&mut h);
                // The text is shared with the cache, not copied.
                let shared = if cfg!(debug_assertions) {
                    let ctx = ctx();
                    let check = Session::context_hash(&name, &ctx, CONTEXT_KEYS);
                    s.render(h.finish(), Some(check), || render(ctx))
                } else {
                    s.render(h.finish(), None, || render(ctx()))
                };
                shared.map(Content::Shared)
            }
            None => render(ctx()).map(|html| Content::Bytes(html.into_bytes())),
        };
        let result = result.map_err(|e| {
            Diagnostic::error(
                source,
                format!("template `{template}` failed: {}", tera_error_chain(&e)),
            )
        });
        (result, built)
    }

    fn alias(&self, path: &str, url: &str) -> Result<OutputFile, Diagnostic> {
        let html = self.render(
            "internal/alias.html",
            |h| url.hash(h),
            || {
                let mut ctx = Context::new();
                ctx.insert("url", url);
                ctx
            },
            Path::new("internal/alias.html"),
        )?;
        Ok(OutputFile::new(file_for_path(path), html))
    }

    /// Renders the whole site into the sink, each job's files as soon as they are rendered.
    /// All problems are returned together.
    pub fn render_all(&self) -> Result<(), Vec<Diagnostic>> {
        let lib = self.library;
        let deliver =
            |stage: u8, job: usize, r: Rendered| r.and_then(|f| deliver(self.sink, stage, job, f));
        let statics = self
            .static_dirs()
            .into_iter()
            .enumerate()
            .map(|(dir, files)| deliver(stage::STATIC, dir, Ok(files)));
        // One parallel pass over every render, with no wait between kinds: a section that
        // lists every page (the print edition) takes as long as hundreds of pages, and starts
        // first, while the other threads take the rest.
        let jobs: Vec<(u8, usize)> = (0..lib.sections.len())
            .map(|i| (stage::SECTIONS, i))
            .chain((0..lib.taxonomies.len()).map(|i| (stage::TAXONOMIES, i)))
            .chain([(stage::FEEDS, 0), (stage::SITE_FILES, 0)])
            .chain(
                (0..lib.pages.len())
                    .filter(|&i| lib.pages[i].meta.render)
                    .map(|i| (stage::PAGES, i)),
            )
            .collect();
        let mut rendered: Vec<((u8, usize), Delivered)> = jobs
            .into_par_iter()
            // Small pieces, so that a thread done early can take work from the others.
            .with_max_len(8)
            .map(|(stage, i)| {
                let r = match stage {
                    stage::SECTIONS => self.render_section(i),
                    stage::TAXONOMIES => self.render_taxonomy(i),
                    stage::FEEDS => self.render_feeds(),
                    stage::SITE_FILES => self.render_site_files(),
                    _ => self.render_page(i),
                };
                ((stage, i), deliver(stage, i, r))
            })
            .collect();
        // Diagnostics in the order of the stages.
        rendered.sort_by_key(|(job, _)| *job);
        let diags: Vec<Diagnostic> = statics
            .chain(rendered.into_iter().map(|(_, r)| r))
            .filter_map(Result::err)
            .flatten()
            .collect();
        if diags.is_empty() { Ok(()) } else { Err(diags) }
    }

    fn render_page(&self, i: usize) -> Rendered {
        let lib = self.library;
        let page = &lib.pages[i];
        let template = page.template.as_deref().unwrap_or("page.html");
        let fields = self.reads(template).fields;
        let key = |h: &mut KeyHasher| {
            (&page.lang, &page.permalink, &page.path).hash(h);
            let keys = self.page_keys(fields);
            let siblings = [Some(i), page.lower, page.higher];
            for p in siblings.iter().map(|s| s.and_then(|p| keys.get(p))) {
                p.hash(h);
            }
        };
        let ctx = || {
            let mut ctx = self.base_context(&page.lang);
            ctx.extend(owned_context(vec![(
                "page",
                context::page_with_siblings(lib, i, fields),
            )]));
            ctx.insert("current_url", &page.permalink);
            ctx.insert("current_path", &page.path);
            ctx
        };
        let html = self
            .render(template, key, ctx, &page.file.path)
            .map_err(|d| vec![d])?;
        let mut out = vec![OutputFile::new(file_for_path(&page.path), html)];
        for a in &page.meta.aliases {
            out.push(
                self.alias(&normalize_alias(a), &page.permalink)
                    .map_err(|d| vec![d])?,
            );
        }
        if let Some(col) = &page.file.colocated_path {
            for asset in &page.asset_files {
                let inside = asset.strip_prefix(col.as_str()).unwrap_or(asset);
                out.push(OutputFile {
                    path: format!("{}{}", page.path.trim_start_matches('/'), inside),
                    content: Content::Copy(self.root.join("content").join(asset)),
                });
            }
        }
        Ok(out)
    }

    /// A section's pages as a template reading `reads` sees them.
    fn section_pages_json(&self, s: &Section, reads: Reads) -> Vec<Json> {
        if !reads.pages {
            return Vec::new();
        }
        context::pages(self.library, &s.pages, reads.fields)
    }

    fn render_section(&self, i: usize) -> Rendered {
        let lib = self.library;
        let s = &lib.sections[i];
        let mut out = Vec::new();
        for asset in &s.asset_files {
            let name = asset.rsplit('/').next().unwrap_or(asset);
            out.push(OutputFile {
                path: format!("{}{}", s.path.trim_start_matches('/'), name),
                content: Content::Copy(self.root.join("content").join(asset)),
            });
        }
        for a in &s.meta.aliases {
            out.push(
                self.alias(&normalize_alias(a), &s.permalink)
                    .map_err(|d| vec![d])?,
            );
        }
        if !s.meta.render {
            return Ok(out);
        }
        if let Some(target) = &s.meta.redirect_to {
            let url = if target.starts_with("http://") || target.starts_with("https://") {
                target.clone()
            } else {
                self.config.make_permalink(target)
            };
            out.push(self.alias(&s.path, &url).map_err(|d| vec![d])?);
            return Ok(out);
        }
        let template = s.meta.template.clone().unwrap_or_else(|| {
            if s.is_root() {
                "index.html".into()
            } else {
                "section.html".into()
            }
        });
        let reads = self.reads(&template);
        let mut diags = Vec::new();
        if s.meta.generate_feeds {
            match self.feeds_for(&s.lang, &s.path, &s.pages, Some(i), None) {
                Ok(f) => out.extend(f),
                Err(d) => diags.extend(d),
            }
        }
        match s.meta.paginate_by {
            Some(per) => {
                let mut items = s.pages.clone();
                if s.meta.paginate_reversed {
                    items.reverse();
                }
                let pagers =
                    context::paginate(self.config, &s.path, &s.meta.paginate_path, per, &items);
                let base_url = self
                    .config
                    .make_permalink(&format!("{}{}/", s.path, s.meta.paginate_path));
                let pagination = context::Pagination {
                    pagers: &pagers,
                    per,
                    total: items.len(),
                    base_url: &base_url,
                };
                for (k, pager) in pagers.iter().enumerate() {
                    let key = |h: &mut KeyHasher| {
                        (
                            &s.lang,
                            self.section_keys.get(i),
                            &pager.permalink,
                            &pager.path,
                        )
                            .hash(h);
                        self.hash_paginator(h, &pagination, k, reads);
                    };
                    let ctx = || {
                        let mut ctx = self.base_context(&s.lang);
                        ctx.extend(owned_context(vec![(
                            "section",
                            context::section(lib, i, Vec::new()),
                        )]));
                        ctx.extend(owned_context(vec![(
                            "paginator",
                            context::paginator(&pagination, k, self.library, reads.listed()),
                        )]));
                        ctx.insert("current_url", &pager.permalink);
                        ctx.insert("current_path", &pager.path);
                        ctx
                    };
                    match self.render(&template, key, ctx, &s.file.path) {
                        Ok(html) => out.push(OutputFile::new(file_for_path(&pager.path), html)),
                        Err(d) => diags.push(d),
                    }
                }
                let first = format!("{}{}/1/", s.path, s.meta.paginate_path);
                match self.alias(&first, &s.permalink) {
                    Ok(f) => out.push(f),
                    Err(d) => diags.push(d),
                }
            }
            None => {
                let key = |h: &mut KeyHasher| {
                    (&s.lang, self.section_keys.get(i), &s.permalink, &s.path).hash(h);
                    self.hash_pages(h, &s.pages, reads);
                };
                let ctx = || {
                    let mut ctx = self.base_context(&s.lang);
                    ctx.extend(owned_context(vec![(
                        "section",
                        context::section(lib, i, self.section_pages_json(s, reads)),
                    )]));
                    ctx.insert("current_url", &s.permalink);
                    ctx.insert("current_path", &s.path);
                    ctx
                };
                match self.render(&template, key, ctx, &s.file.path) {
                    Ok(html) => out.push(OutputFile::new(file_for_path(&s.path), html)),
                    Err(d) => diags.push(d),
                }
            }
        }
        if diags.is_empty() {
            Ok(out)
        } else {
            Err(diags)
        }
    }

    fn render_taxonomy(&self, i: usize) -> Rendered {
        let t = &self.library.taxonomies[i];
        if !t.kind.render {
            return Ok(Vec::new());
        }
        let cfg = Path::new("config.toml");
        let name = &t.kind.name;
        let list_tpl = if templates::exists(self.tera, &format!("{name}/list.html")) {
            format!("{name}/list.html")
        } else {
            "taxonomy_list.html".into()
        };
        let single_tpl = if templates::exists(self.tera, &format!("{name}/single.html")) {
            format!("{name}/single.html")
        } else {
            "taxonomy_single.html".into()
        };
        let mut out = Vec::new();
        let mut diags = Vec::new();
        let kind = serde_json::to_value(&t.kind).unwrap_or(Json::Null);
        let kind_key = {
            let mut h = hasher();
            hash_json(&kind, &mut h);
            h.finish()
        };
        let single_reads = self.reads(&single_tpl);
        let list_reads = self.reads(&list_tpl);
        let term_json =
            |term: &TaxonomyTerm, reads: Reads| context::term(self.library, term, reads.listed());
        // Each term's JSON (all its pages) as its own page's render built it: the list reuses
        // it instead of copying every page again, if both templates read the same.
        let mut built_terms: Vec<Option<Json>> = Vec::with_capacity(t.items.len());
        for term in &t.items {
            let single = |current: (&str, &str), paginator: Option<Json>| {
                let mut ctx = self.base_context(&t.lang);
                ctx.extend(owned_context(vec![
                    ("taxonomy", kind.clone()),
                    ("term", term_json(term, single_reads)),
                ]));
                if let Some(p) = paginator {
                    ctx.extend(owned_context(vec![("paginator", p)]));
                }
                ctx.insert("current_url", current.0);
                ctx.insert("current_path", current.1);
                ctx
            };
            let mut built = None;
            match t.kind.paginate_by {
                Some(per) if per > 0 => {
                    let pp = t.kind.paginate_path();
                    let pagers = context::paginate(self.config, &term.path, pp, per, &term.pages);
                    let base_url = self.config.make_permalink(&format!("{}{pp}/", term.path));
                    let pagination = context::Pagination {
                        pagers: &pagers,
                        per,
                        total: term.pages.len(),
                        base_url: &base_url,
                    };
                    for (j, pager) in pagers.iter().enumerate() {
                        let key = |h: &mut KeyHasher| {
                            (&t.lang, kind_key, &pager.permalink, &pager.path).hash(h);
                            self.hash_term(h, term, single_reads);
                            self.hash_paginator(h, &pagination, j, single_reads);
                        };
                        let ctx = || {
                            let p = context::paginator(
                                &pagination,
                                j,
                                self.library,
                                single_reads.listed(),
                            );
                            single((&pager.permalink, &pager.path), Some(p))
                        };
                        match self.render(&single_tpl, key, ctx, cfg) {
                            Ok(html) => out.push(OutputFile::new(file_for_path(&pager.path), html)),
                            Err(d) => diags.push(d),
                        }
                    }
                    match self.alias(&format!("{}{pp}/1/", term.path), &term.permalink) {
                        Ok(f) => out.push(f),
                        Err(d) => diags.push(d),
                    }
                }
                _ => {
                    let key = |h: &mut KeyHasher| {
                        (&t.lang, kind_key, &term.permalink, &term.path).hash(h);
                        self.hash_term(h, term, single_reads);
                    };
                    let ctx = || single((&term.permalink, &term.path), None);
                    let (result, ctx) = self.render_returning(&single_tpl, key, ctx, cfg);
                    match result {
                        Ok(html) => out.push(OutputFile::new(file_for_path(&term.path), html)),
                        Err(d) => diags.push(d),
                    }
                    if single_reads == list_reads {
                        built = ctx.and_then(|mut c| c.remove("term"));
                    }
                }
            }
            built_terms.push(built);
            if t.kind.feed {
                match self.feeds_for(&t.lang, &term.path, &term.pages, None, Some(term)) {
                    Ok(f) => out.extend(f),
                    Err(d) => diags.extend(d),
                }
            }
        }
        let key = |h: &mut KeyHasher| {
            (&t.lang, kind_key, &t.permalink, &t.path).hash(h);
            for term in &t.items {
                self.hash_term(h, term, list_reads);
            }
        };
        let ctx = || {
            let mut ctx = self.base_context(&t.lang);
            let terms = t
                .items
                .iter()
                .zip(built_terms)
                .map(|(term, built)| built.unwrap_or_else(|| term_json(term, list_reads)))
                .collect();
            ctx.extend(owned_context(vec![
                ("taxonomy", kind.clone()),
                ("terms", Json::Array(terms)),
            ]));
            ctx.insert("current_url", &t.permalink);
            ctx.insert("current_path", &t.path);
            ctx
        };
        match self.render(&list_tpl, key, ctx, cfg) {
            Ok(html) => out.push(OutputFile::new(file_for_path(&t.path), html)),
            Err(d) => diags.push(d),
        }
        if diags.is_empty() {
            Ok(out)
        } else {
            Err(diags)
        }
    }

    /// The feeds (one per configured feed file name) of a list of pages at `base_path`.
    fn feeds_for(
        &self,
        lang: &str,
        base_path: &str,
        pages: &[usize],
        section: Option<usize>,
        term: Option<&TaxonomyTerm>,
    ) -> Rendered {
        let lib = self.library;
        let mut dated: Vec<usize> = pages
            .iter()
            .copied()
            .filter(|&p| lib.pages[p].meta.date.is_some())
            .collect();
        dated = crate::content::library::sort_pages(
            &lib.pages,
            dated,
            crate::content::section::SortBy::Date,
        );
        if let Some(limit) = self.config.feed_limit {
            dated.truncate(limit);
        }
        let last_updated = dated
            .iter()
            .filter_map(|&p| {
                let m = &lib.pages[p].meta;
                [m.updated.as_ref(), m.date.as_ref()]
                    .into_iter()
                    .flatten()
                    .max_by_key(|d| d.datetime)
                    .cloned()
            })
            .max_by_key(|d| d.datetime);
        let last_updated = last_updated.map(|d| d.rfc3339());
        let mut out = Vec::new();
        let mut diags = Vec::new();
        for name in &self.config.lang(lang).feed_filenames {
            let path = format!("{}{name}", base_path);
            let feed_url = self.config.make_permalink(&path);
            let reads = self.reads(name);
            let key = |h: &mut KeyHasher| {
                (lang, &feed_url, &last_updated).hash(h);
                section.map(|s| self.section_keys.get(s)).hash(h);
                if let Some(t) = term {
                    self.hash_term(h, t, reads);
                }
                // `pages` is a variable of its own, always there.
                let every = Reads {
                    pages: true,
                    ..reads
                };
                self.hash_pages(h, &dated, every);
            };
            let ctx = || {
                let mut ctx = self.base_context(lang);
                let pages = context::pages(self.library, &dated, reads.fields);
                let mut values = vec![
                    ("pages", Json::Array(pages)),
                    ("feed_url", Json::String(feed_url.clone())),
                ];
                if let Some(d) = &last_updated {
                    values.push(("last_updated", Json::String(d.clone())));
                }
                if let Some(s) = section {
                    values.push(("section", context::section(lib, s, Vec::new())));
                }
                if let Some(t) = term {
                    let pages = reads.listed();
                    values.push(("term", context::term(self.library, t, pages)));
                }
                ctx.extend(owned_context(values));
                ctx
            };
            match self.render(name, key, ctx, Path::new("config.toml")) {
                Ok(xml) => out.push(OutputFile::new(
                    path.trim_start_matches('/').to_string(),
                    xml,
                )),
                Err(d) => diags.push(d),
            }
        }
        if diags.is_empty() {
            Ok(out)
        } else {
            Err(diags)
        }
    }

    fn render_feeds(&self) -> Rendered {
        let mut out = Vec::new();
        for (code, opts) in &self.config.languages {
            if !opts.generate_feeds {
                continue;
            }
            let pages: Vec<usize> = self
                .library
                .pages
                .iter()
                .enumerate()
                .filter(|(_, p)| &p.lang == code && p.meta.render)
                .map(|(i, _)| i)
                .collect();
            let base = format!("{}/", self.config.lang_prefix(code));
            out.extend(self.feeds_for(code, &base, &pages, None, None)?);
        }
        Ok(out)
    }

    /// sitemap.xml, robots.txt and 404.html.
    fn render_site_files(&self) -> Rendered {
        let mut out = Vec::new();
        let lang = &self.config.default_language;
        let cfg = Path::new("config.toml");
        let mut diags = Vec::new();
        if self.config.generate_sitemap {
            // Hashed as they are; made JSON only if the sitemap is rendered again.
            let entries = self.sitemap_entries();
            let key = |h: &mut KeyHasher| {
                lang.hash(h);
                entries.hash(h);
            };
            let ctx = || {
                let mut ctx = self.base_context(lang);
                let entries = serde_json::to_value(&entries).unwrap_or_default();
                ctx.extend(owned_context(vec![("entries", entries)]));
                ctx
            };
            match self.render("sitemap.xml", key, ctx, cfg) {
                Ok(x) => out.push(OutputFile::new("sitemap.xml", x)),
                Err(d) => diags.push(d),
            }
        }
        let key = |h: &mut KeyHasher| lang.hash(h);
        if self.config.generate_robots_txt {
            match self.render("robots.txt", key, || self.base_context(lang), cfg) {
                Ok(x) => out.push(OutputFile::new("robots.txt", x)),
                Err(d) => diags.push(d),
            }
        }
        match self.render("404.html", key, || self.base_context(lang), cfg) {
            Ok(x) => out.push(OutputFile::new("404.html", x)),
            Err(d) => diags.push(d),
        }
        if diags.is_empty() {
            Ok(out)
        } else {
            Err(diags)
        }
    }

    /// Every URL of the site, sorted by permalink, with its date and its translations.
    pub fn sitemap_entries(&self) -> Vec<SitemapEntry<'a>> {
        let lib = self.library;
        let mut entries: BTreeMap<Cow<'a, str>, SitemapEntry<'a>> = BTreeMap::new();
        let alternates = |canonical: &str| -> Vec<Alternate<'a>> {
            let mut alts: Vec<Alternate> = lib
                .translations_of(canonical)
                .iter()
                .map(|item| match *item {
                    crate::content::Item::Page(i) => Alternate {
                        lang: &lib.pages[i].lang,
                        permalink: &lib.pages[i].permalink,
                    },
                    crate::content::Item::Section(i) => Alternate {
                        lang: &lib.sections[i].lang,
                        permalink: &lib.sections[i].permalink,
                    },
                })
                .collect();
            alts.sort();
            alts
        };
        let mut add = |permalink: Cow<'a, str>, date, lang: &'a str, translations| {
            let entry = SitemapEntry {
                permalink: permalink.clone(),
                date,
                lang,
                translations,
            };
            entries.insert(permalink, entry);
        };
        for p in lib.pages.iter().filter(|p| p.meta.render) {
            let date = p
                .meta
                .updated
                .as_ref()
                .or(p.meta.date.as_ref())
                .map(|d| d.text.as_str());
            let alts = alternates(&p.file.canonical);
            add(Cow::Borrowed(&p.permalink), date, &p.lang, alts);
        }
        for s in lib.sections.iter().filter(|s| s.meta.render) {
            let alts = alternates(&s.file.canonical);
            add(Cow::Borrowed(&s.permalink), None, &s.lang, alts);
            if let (Some(per), None) = (s.meta.paginate_by, &s.meta.redirect_to) {
                let pagers =
                    context::paginate(self.config, &s.path, &s.meta.paginate_path, per, &s.pages);
                // Zola lists every pager under its numbered URL, pager 1 included.
                for pager in &pagers {
                    let url = self.config.make_permalink(&format!(
                        "{}{}/{}/",
                        s.path, s.meta.paginate_path, pager.index
                    ));
                    add(Cow::Owned(url), None, &s.lang, Vec::new());
                }
            }
        }
        for t in lib.taxonomies.iter().filter(|t| t.kind.render) {
            add(Cow::Borrowed(&t.permalink), None, &t.lang, Vec::new());
            for term in &t.items {
                add(Cow::Borrowed(&term.permalink), None, &t.lang, Vec::new());
                if let Some(per) = t.kind.paginate_by.filter(|p| *p > 0) {
                    let pagers = context::paginate(
                        self.config,
                        &term.path,
                        t.kind.paginate_path(),
                        per,
                        &term.pages,
                    );
                    for pager in &pagers {
                        let url = self.config.make_permalink(&format!(
                            "{}{}/{}/",
                            term.path,
                            t.kind.paginate_path(),
                            pager.index
                        ));
                        add(Cow::Owned(url), None, &t.lang, Vec::new());
                    }
                }
            }
        }
        entries.into_values().collect()
    }

    /// The theme's static files, then the site's (which win).
    fn static_dirs(&self) -> Vec<Vec<OutputFile>> {
        let mut dirs = Vec::new();
        if let Some(t) = &self.config.theme {
            dirs.push(self.root.join("themes").join(t).join("static"));
        }
        dirs.push(self.root.join("static"));
        let mut out = Vec::new();
        for dir in dirs {
            let mut files = Vec::new();
            if !dir.is_dir() {
                out.push(files);
                continue;
            }
            for file in crate::content::walk::list_files(&dir, &self.config.ignored_static) {
                let rel = file
                    .strip_prefix(&dir)
                    .unwrap_or(&file)
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/");
                files.push(OutputFile {
                    path: rel,
                    content: Content::Copy(file),
                });
            }
            out.push(files);
        }
        out
    }
}
