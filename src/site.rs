//! The pipeline: `load → validate → render → write`. A [`Site`] is the loaded, validated model;
//! [`Site::render`] turns it into files; the caller chooses where they go (disk or memory).

use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use rayon::prelude::*;

use crate::config::Config;
use crate::content::library::{Item, Library};
use crate::content::walk;
use crate::diagnostics::{BuildFailed, Diagnostic, Diagnostics, Position};
use crate::incremental::{LoadCache, MarkdownResult, Recorder, RenderCache, Session};
use crate::markdown::{self, Highlighter, MarkdownContext, RawHtml};
use crate::output::{DiskSink, MemorySink, NullSink, OutputFile, Sink, stage};
use crate::practice;
use crate::render::Renderer;
use crate::render::deliver;
use crate::templates::reads::{PageFields, Reads};
use crate::templates::{self, context, filters, functions::SiteData};
use crate::vocabulary::Vocabulary;

/// How to build.
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    /// Replaces `base_url` from the config.
    pub base_url: Option<String>,
    pub drafts: bool,
    /// Records the template functions' calls, so that [`Site::render_incremental`] can reuse
    /// renders (costs a little; `serve` wants it, `build` does not).
    pub record_calls: bool,
}

/// A loaded site, ready to render.
pub struct Site {
    pub root: PathBuf,
    pub config: Config,
    pub library: Arc<Library>,
    /// The controlled vocabulary, for sites that have one (`data/vocabulary.toml`).
    pub vocabulary: Option<Arc<Vocabulary>>,
    tera: tera::Tera,
    /// What each template reads of the pages it is given.
    reads: Arc<HashMap<String, Reads>>,
    /// Hash of the templates, the config and the vocabulary: renders of another generation are
    /// not reused.
    generation: u64,
    recorder: Option<Arc<Recorder>>,
    highlighter: Option<Highlighter>,
    data: Arc<SiteData>,
    /// Warnings found so far.
    pub warnings: Vec<Diagnostic>,
}

/// Counts for the summary line.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub pages_per_language: Vec<(String, usize)>,
    pub sections: usize,
    pub terms: usize,
    pub files: usize,
}

fn fail(mut d: Diagnostics) -> BuildFailed {
    d.sort();
    BuildFailed(d)
}

impl Site {
    /// Loads and validates everything; every problem found is reported together.
    pub fn load(root: &Path, options: &BuildOptions) -> Result<Site, BuildFailed> {
        Site::load_cached(root, options, None)
    }

    /// [`Site::load`], reusing what `cache` kept of the previous build where its inputs did
    /// not change (`serve`); the cache then holds this build's.
    pub fn load_cached(
        root: &Path,
        options: &BuildOptions,
        mut cache: Option<&mut LoadCache>,
    ) -> Result<Site, BuildFailed> {
        let mut diags: Vec<Diagnostic> = Vec::new();
        let config_path = root.join("config.toml");
        let Some(mut config) = Config::load(&config_path, &mut diags) else {
            return Err(fail(Diagnostics::from_iter(diags)));
        };
        if let Some(b) = &options.base_url {
            config.base_url = b.clone();
        }
        let config_text = std::fs::read_to_string(&config_path).unwrap_or_default();
        let config_key =
            crate::incremental::hash_texts([config_text.as_str(), &format!("{options:?}")]);
        // Nothing outside the site is read: symbolic links pointing out are refused first.
        let mut read_dirs = vec![
            root.join("content"),
            root.join("static"),
            root.join("templates"),
        ];
        if let Some(t) = &config.theme {
            read_dirs.push(root.join("themes").join(t).join("static"));
            read_dirs.push(root.join("themes").join(t).join("templates"));
        }
        let content_dir = root.join("content");
        // What the watcher saw, as the walk names files.
        let changed: Option<foldhash::HashSet<PathBuf>> = cache
            .as_ref()
            .and_then(|c| c.changed())
            .map(|set| set.iter().map(|p| root.join(p)).collect());
        let same_listing = match (&changed, cache.as_ref()) {
            (Some(set), Some(c)) => c.files.same_listing(&content_dir, set),
            _ => false,
        };
        // Nothing came or went since the last build checked the links.
        let symlinks = if same_listing {
            Vec::new()
        } else {
            walk::check_symlinks(root, &read_dirs)
        };
        if !symlinks.is_empty() {
            return Err(fail(Diagnostics::from_iter(symlinks)));
        }
        let mut generation = 0;
        let mut reads = Arc::default();
        let tera = match templates::load(
            root,
            config.theme.as_deref(),
            cache.as_mut().map(|c| &mut c.templates),
        ) {
            Ok(loaded) => {
                generation = crate::incremental::hash_texts([
                    config_text.as_str(),
                    &loaded.hash.to_string(),
                    &format!("{options:?}"),
                ]);
                reads = loaded.reads;
                Some(loaded.tera)
            }
            Err(d) => {
                diags.extend(d);
                None
            }
        };
        let highlighter = config.markdown.highlight_theme.as_deref().map(|t| {
            if !Highlighter::theme_exists(t) {
                diags.push(
                    Diagnostic::error(&config_path, format!("unknown highlighting theme `{t}`"))
                        .at(crate::config::find_key_line(
                            &std::fs::read_to_string(&config_path).unwrap_or_default(),
                            "theme",
                        )),
                );
            }
            Highlighter::new(t)
        });
        let watched = changed.as_ref().map(|changed| walk::Watched {
            changed,
            same_listing,
        });
        let (pages, sections, d) = walk::load_content(
            &content_dir,
            &config,
            options.drafts,
            cache.as_mut().map(|c| (&mut c.files, config_key)),
            watched,
        );
        if let Some(c) = cache.as_mut() {
            c.content_read();
        }
        diags.extend(d);
        let mut library = Library::new(pages, sections, &config, &mut diags);
        let vocabulary =
            match Vocabulary::load_cached(root, cache.as_mut().map(|c| &mut c.vocabulary)) {
                Ok(v) => v,
                Err(d) => {
                    diags.extend(d);
                    None
                }
            };
        if let Some(v) = &vocabulary {
            // The vocabulary's labels are on most pages: renders of another vocabulary are
            // not reused (and `vocabulary()` calls need no checking, see `Keyed::stable`).
            generation = crate::incremental::hash_texts([
                generation.to_string().as_str(),
                v.source_key.to_string().as_str(),
            ]);
            use chrono::Datelike;
            let this_year = i64::from(chrono::Local::now().year());
            let practices = cache.as_mut().map(|c| {
                let base = crate::incremental::hash_texts([
                    config_key.to_string().as_str(),
                    v.source_key.to_string().as_str(),
                ]);
                (&mut c.practices, base)
            });
            diags.extend(practice::check_cached(
                &library, v, &config, this_year, practices,
            ));
        }
        let Some(tera) = tera else {
            return Err(fail(Diagnostics::from_iter(diags)));
        };
        check_templates_exist(&library, &tera, &mut diags);

        let cutoff = tera
            .render(
                &templates::resolve(&tera, "summary-cutoff.html"),
                &tera::Context::new(),
            )
            .unwrap_or_else(|_| "&hellip;".into());
        // Shortcodes run before the Markdown of other pages is rendered: their functions see
        // a snapshot of the site without contents, made only if a text may call one.
        let shortcode_site = std::sync::OnceLock::new();
        let shortcode_env = || {
            shortcode_site.get_or_init(|| {
                let snapshot = Arc::new(library.clone());
                let pre_data = SiteData::new(root, &config, snapshot, &vocabulary);
                let tera_md = with_functions(&tera, &pre_data, None);
                (pre_data, tera_md)
            })
        };
        let render_md = |job: &MarkdownJob| {
            let MarkdownJob {
                text,
                source,
                body_offset,
                permalink,
                relative,
                lang,
                item,
                path,
                raw_html,
                source_key: _,
            } = *job;
            let sc = markdown::may_call_shortcodes(text).then(|| {
                let (pre_data, tera_md) = shortcode_env();
                let mut base = tera::Context::new();
                base.insert("config", &config.to_template_json(lang));
                base.insert("lang", lang);
                match item {
                    Item::Page(i) => base.insert(
                        "page",
                        &context::page(&pre_data.library, i, PageFields::ALL),
                    ),
                    Item::Section(i) => {
                        base.insert("section", &context::section(&library, i, Vec::new()))
                    }
                }
                filters::TeraShortcodes {
                    tera: tera_md,
                    base,
                }
            });
            let ctx = MarkdownContext {
                config: &config,
                permalink,
                relative_path: relative,
                permalinks: &library,
                highlighter: highlighter.as_ref(),
                shortcodes: sc.as_ref().map(|s| s as &dyn markdown::Shortcodes),
                summary_cutoff: &cutoff,
                raw_html,
            };
            let diagnostics = |errs: Vec<markdown::MarkdownError>| {
                errs.into_iter()
                    .map(|e| {
                        let pos = e
                            .offset
                            .or_else(|| {
                                e.needle
                                    .as_deref()
                                    .and_then(|n| source[body_offset..].find(n))
                            })
                            .map(|o| Position::of_offset(source, body_offset + o));
                        if e.warning {
                            Diagnostic::warning(path, e.message).at(pos)
                        } else {
                            Diagnostic::error(path, e.message).at(pos)
                        }
                    })
                    .collect::<Vec<_>>()
            };
            match markdown::render(text, &ctx) {
                Ok(mut r) => {
                    let warnings = diagnostics(std::mem::take(&mut r.warnings));
                    (Some(r), warnings)
                }
                Err(errs) => (None, diagnostics(errs)),
            }
        };
        // Markdown without shortcodes depends only on its file, the permalinks and the
        // generation (config and templates): the previous build's result is reused.
        let previous_md = cache
            .as_mut()
            .map(|c| std::mem::take(&mut c.markdown))
            .unwrap_or_default();
        let caching = cache.is_some();
        // Only a cache's keys need it.
        let permalinks_key = if !caching {
            0
        } else {
            let mut h = crate::incremental::hasher();
            for p in &library.pages {
                (&p.file.relative, &p.permalink).hash(&mut h);
            }
            for s in &library.sections {
                (&s.file.relative, &s.permalink).hash(&mut h);
            }
            h.finish()
        };
        let rendered_md = std::sync::atomic::AtomicUsize::new(0);
        // A job's result, and its cache key when it has one.
        let markdown_of = |job: &MarkdownJob| -> (MarkdownResult, Option<u64>) {
            let key = caching.then(|| {
                let mut h = crate::incremental::hasher();
                (generation, permalinks_key, job.relative).hash(&mut h);
                match job.source_key {
                    0 => job.source.hash(&mut h),
                    key => key.hash(&mut h),
                }
                (job.lang, job.raw_html).hash(&mut h);
                h.finish()
            });
            match key.and_then(|k| previous_md.get(&k)) {
                // Only a text without shortcodes was cached: the same text still has none.
                Some(r) => (r.clone(), key),
                None => {
                    rendered_md.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let (mut rendered, diags) = render_md(job);
                    if let Some(r) = rendered.as_mut().filter(|_| caching) {
                        r.html_key = crate::incremental::hash_bytes(r.html.as_bytes());
                    }
                    let key = key.filter(|_| !markdown::may_call_shortcodes(job.text));
                    ((rendered.map(Arc::new), diags), key)
                }
            }
        };
        let jobs: Vec<MarkdownJob> = (0..library.pages.len())
            .map(|i| MarkdownJob::page(&library, i))
            .chain((0..library.sections.len()).map(|i| MarkdownJob::section(&library, i)))
            .collect();
        let mut page_results: Vec<_> = jobs.par_iter().map(markdown_of).collect();
        let section_results = page_results.split_off(library.pages.len());
        drop(jobs);
        let mut previous_md = previous_md;
        let mut next_md = foldhash::HashMap::default();
        for (result, key) in page_results.iter().chain(&section_results) {
            if let Some(k) = key {
                // A reused result moves to the next cache instead of being copied again.
                let entry = previous_md.remove(k).unwrap_or_else(|| result.clone());
                next_md.insert(*k, entry);
            }
        }
        if let Some(c) = cache.as_mut() {
            c.markdown = next_md;
            c.markdown_rendered = rendered_md.into_inner();
        }
        drop(previous_md);
        for (p, ((r, d), _)) in library.pages.iter_mut().zip(page_results) {
            diags.extend(d);
            if let Some(r) = r {
                p.markdown = r;
            }
        }
        for (s, ((r, d), _)) in library.sections.iter_mut().zip(section_results) {
            diags.extend(d);
            if let Some(r) = r {
                s.content = r.html.clone();
                s.toc = r.toc.clone();
                s.internal_links = r.internal_links.clone();
                s.external_links = r.external_links.clone();
            }
        }
        check_anchors(&library, &mut diags);
        library.fill_backlinks();

        let library = Arc::new(library);
        let data = SiteData::new(root, &config, library.clone(), &vocabulary);
        if let Some((pre_data, _)) = shortcode_site.get()
            && let Ok(mut w) = pre_data.warnings.lock()
        {
            diags.append(&mut w);
        }
        drop(shortcode_site);
        let recorder = options.record_calls.then(|| Arc::new(Recorder::default()));
        let tera = with_functions(&tera, &data, recorder.as_ref());
        let (errors, warnings): (Vec<_>, Vec<_>) =
            diags.into_iter().partition(Diagnostic::is_error);
        if !errors.is_empty() {
            return Err(fail(Diagnostics::from_iter(
                errors.into_iter().chain(warnings),
            )));
        }
        Ok(Site {
            root: root.to_path_buf(),
            config,
            library,
            vocabulary,
            reads,
            tera,
            generation,
            recorder,
            highlighter,
            data,
            warnings,
        })
    }

    /// Renders every output file into `sink`.
    pub fn render(&mut self, sink: &dyn Sink) -> Result<(), BuildFailed> {
        self.render_with(None, true, sink)
    }

    /// Renders every output file, reusing the renders of `cache` whose inputs did not change
    /// (see [`crate::incremental`]); the cache then holds this build's renders. The search
    /// index is left out: the caller builds it with [`Site::search_later`].
    pub fn render_incremental(
        &mut self,
        cache: &mut RenderCache,
        sink: &dyn Sink,
    ) -> Result<(), BuildFailed> {
        let recorder = self
            .recorder
            .clone()
            .unwrap_or_else(|| Arc::new(Recorder::default()));
        let generation = if self.recorder.is_some() {
            self.generation
        } else {
            0
        };
        // The keys that render keys and fingerprints are made of, computed here, in parallel,
        // rather than by the first render or recorded call that needs them.
        self.data.field_keys();
        let functions = templates::functions::table(&self.data)
            .into_iter()
            .collect();
        let session = Session::start(cache, generation, recorder, functions);
        let result = self.render_with(Some(&session), false, sink);
        session.finish(cache, generation);
        result
    }

    fn render_with(
        &mut self,
        session: Option<&Session>,
        with_search: bool,
        sink: &dyn Sink,
    ) -> Result<(), BuildFailed> {
        let (page_keys, section_keys) = match session {
            Some(_) => {
                let masks: HashSet<PageFields> = self
                    .reads
                    .values()
                    .map(|r| r.fields)
                    .chain([PageFields::ALL])
                    .collect();
                let keys = masks
                    .into_iter()
                    .map(|m| (m, self.data.page_keys(m)))
                    .collect();
                (keys, self.data.section_keys())
            }
            None => (HashMap::new(), &[][..]),
        };
        let renderer = Renderer {
            data: &self.data,
            page_keys,
            reads: &self.reads,
            section_keys,
            session,
            root: &self.root,
            config: &self.config,
            tera: &self.tera,
            library: &self.library,
            config_json: self
                .config
                .languages
                .keys()
                .map(|l| (l.clone(), Arc::new(self.config.to_template_json(l))))
                .collect(),
            sink,
        };
        let content = self.root.join("content");
        // The search index needs only the library: it is built, and written, while the pages
        // render (rendering waits on the file system much of the time).
        let search = || -> Result<(), Vec<Diagnostic>> {
            if !with_search {
                return Ok(());
            }
            self.search_later().deliver(sink, None)
        };
        // Files made from the whole site rather than from templates: made while the pages
        // render (one thread is often left waiting for the last, longest render).
        let late = || -> Result<Vec<(u8, Vec<OutputFile>)>, Vec<Diagnostic>> {
            let mut late: Vec<(u8, Vec<OutputFile>)> = Vec::new();
            if let Some(v) = &self.vocabulary {
                let data =
                    crate::open_data::files(&self.library, &self.config, v).map_err(|e| {
                        let msg = format!("cannot write the open data: {e}");
                        vec![Diagnostic::error(&content, msg)]
                    })?;
                late.push((stage::OPEN_DATA, data));
            }
            if self.vocabulary.is_some() && templates::exists(&self.tera, "translations.html") {
                let page = self.translation_status_page().map_err(|f| f.0.into_vec())?;
                late.push((stage::TRANSLATIONS, vec![page]));
            }
            if let Some(css) = self.highlighter.as_ref().and_then(Highlighter::stylesheet) {
                late.push((
                    stage::SYNTAX_CSS,
                    vec![OutputFile::text("syntax-theme.css", css)],
                ));
            }
            Ok(late)
        };
        let ((rendered, searched), late) =
            rayon::join(|| rayon::join(|| renderer.render_all(), search), late);

        if let Ok(mut w) = self.data.warnings.lock() {
            self.warnings.append(&mut w);
        }
        let fail_with = |d: Vec<Diagnostic>, warnings: &[Diagnostic]| {
            fail(Diagnostics::from_iter(
                d.into_iter().chain(warnings.iter().cloned()),
            ))
        };
        let errors: Vec<Diagnostic> = [rendered, searched]
            .into_iter()
            .filter_map(Result::err)
            .flatten()
            .collect();
        if !errors.is_empty() {
            return Err(fail_with(errors, &self.warnings));
        }
        let late = late.map_err(|d| fail_with(d, &self.warnings))?;
        for (stage, files) in late {
            deliver(sink, stage, 0, files).map_err(|d| fail_with(d, &self.warnings))?;
        }
        for path in sink.collisions() {
            self.warnings.push(Diagnostic::warning(
                &content,
                format!(
                    "more than one output of the site has the path `{path}`; the one of the \
                     latest stage (pages, sections, taxonomies, feeds, site files) is kept"
                ),
            ));
        }
        Ok(())
    }

    /// What building the search index needs, to build it after the rest of the site.
    pub fn search_later(&self) -> SearchLater {
        SearchLater {
            content: self.root.join("content"),
            library: self.library.clone(),
            config: self.config.clone(),
            vocabulary: self.vocabulary.clone(),
        }
    }

    /// The maintainers' page listing each practice's translations and whether they are current.
    fn translation_status_page(&self) -> Result<OutputFile, BuildFailed> {
        let rows = practice::translation_status(&self.library, &self.config);
        let lang = &self.config.default_language;
        let mut ctx = tera::Context::new();
        ctx.insert("config", &self.config.to_template_json(lang));
        ctx.insert("lang", lang);
        ctx.insert("rows", &rows);
        ctx.insert("languages", &self.config.language_codes());
        let path = "/translations/";
        ctx.insert("current_path", path);
        ctx.insert("current_url", &self.config.make_permalink(path));
        self.tera
            .render("translations.html", &ctx)
            .map(|html| OutputFile::text("translations/index.html", html))
            .map_err(|e| {
                fail(Diagnostics::from_iter([Diagnostic::error(
                    self.root.join("templates/translations.html"),
                    format!(
                        "template `translations.html` failed: {}",
                        templates::tera_error_chain(&e)
                    ),
                )]))
            })
    }

    pub fn summary(&self, files: usize) -> Summary {
        let mut per_lang = Vec::new();
        for code in self.config.language_codes() {
            let n = self
                .library
                .pages
                .iter()
                .filter(|p| p.lang == code && p.meta.render)
                .count();
            per_lang.push((code.to_string(), n));
        }
        Summary {
            pages_per_language: per_lang,
            sections: self.library.sections.len(),
            terms: self.library.taxonomies.iter().map(|t| t.items.len()).sum(),
            files,
        }
    }
}

/// The search index of a site, built on its own: `serve` shows an edited page first.
pub struct SearchLater {
    content: PathBuf,
    library: Arc<Library>,
    config: Config,
    vocabulary: Option<Arc<Vocabulary>>,
}

impl SearchLater {
    /// Builds the index's files (the previous build's, where `cache` holds them) into `sink`.
    pub fn deliver(
        &self,
        sink: &dyn Sink,
        cache: Option<&mut crate::search::IndexCache>,
    ) -> Result<(), Vec<Diagnostic>> {
        if !self.config.build_search_index {
            return Ok(());
        }
        let files = crate::search::files(
            &self.library,
            &self.config,
            self.vocabulary.as_deref(),
            cache,
        )
        .map_err(|e| vec![Diagnostic::error(&self.content, e)])?;
        deliver(sink, stage::SEARCH, 0, files)
    }

    /// The index's files, in memory.
    pub fn files(&self, cache: &mut crate::search::IndexCache) -> Result<MemorySite, BuildFailed> {
        let sink = MemorySink::default();
        self.deliver(&sink, Some(cache))
            .map_err(|d| fail(Diagnostics::from_iter(d)))?;
        Ok(sink.into_files())
    }
}

/// Loads, validates and renders `root` without writing anything: every problem, and the
/// warnings of a good site.
pub fn check(root: &Path, options: &BuildOptions) -> Result<(Site, Vec<Diagnostic>), BuildFailed> {
    let mut site = Site::load(root, options)?;
    site.render(&NullSink::default())?;
    let warnings = site.warnings.clone();
    Ok((site, warnings))
}

pub use crate::output::MemorySite;

/// Loads, validates and renders `root` into memory (the sink of `serve`), reusing the renders
/// of `cache` whose inputs did not change; `cache` then holds this build's renders.
pub fn build_in_memory(
    root: &Path,
    options: &BuildOptions,
    cache: &mut RenderCache,
) -> Result<(MemorySite, Vec<Diagnostic>), BuildFailed> {
    let (mut files, warnings, search) = build_in_memory_search_later(root, options, cache)?;
    files.extend(search.files(&mut cache.search)?);
    Ok((files, warnings))
}

/// [`build_in_memory`] but for the search index, which is left to the caller to build when it
/// wants (`serve` first shows the edited page, then updates the index).
pub fn build_in_memory_search_later(
    root: &Path,
    options: &BuildOptions,
    cache: &mut RenderCache,
) -> Result<(MemorySite, Vec<Diagnostic>, SearchLater), BuildFailed> {
    let options = BuildOptions {
        record_calls: true,
        ..options.clone()
    };
    let mut site = Site::load_cached(root, &options, Some(&mut cache.load))?;
    let sink = MemorySink::default();
    site.render_incremental(cache, &sink)?;
    let search = site.search_later();
    let warnings = std::mem::take(&mut site.warnings);
    // Freeing a large site takes a while; the preview need not wait.
    std::thread::spawn(move || drop(site));
    Ok((sink.into_files(), warnings, search))
}

/// Loads, validates and renders `root`, writing each file as it is rendered into a folder
/// beside `output` that replaces it at the end (a failed build leaves `output` as it was).
pub fn build(
    root: &Path,
    output: &Path,
    options: &BuildOptions,
) -> Result<(Summary, Vec<Diagnostic>, std::time::Duration), BuildFailed> {
    let start = Instant::now();
    let mut site = Site::load(root, options)?;
    let written = |e: crate::output::OutputError| {
        fail(Diagnostics::from_iter([Diagnostic::error(
            output,
            e.to_string(),
        )]))
    };
    let sink = DiskSink::create(output).map_err(written)?;
    site.render(&sink)?;
    let summary = site.summary(sink.len());
    sink.finish().map_err(written)?;
    Ok((summary, site.warnings, start.elapsed()))
}

impl FromIterator<Diagnostic> for Diagnostics {
    fn from_iter<I: IntoIterator<Item = Diagnostic>>(iter: I) -> Self {
        let mut d = Diagnostics::new();
        d.extend(iter);
        d
    }
}

/// One file's Markdown to render, and what its rendering depends on.
#[derive(Clone, Copy)]
struct MarkdownJob<'a> {
    text: &'a str,
    /// The whole file, where diagnostics are located.
    source: &'a str,
    /// A hash of the file, when known (`Page::source_key`).
    source_key: u64,
    body_offset: usize,
    permalink: &'a str,
    relative: &'a str,
    lang: &'a str,
    item: Item,
    path: &'a Path,
    raw_html: RawHtml,
}

impl<'a> MarkdownJob<'a> {
    fn page(lib: &'a Library, i: usize) -> MarkdownJob<'a> {
        let p = &lib.pages[i];
        MarkdownJob {
            text: p.body(),
            source: &p.source,
            source_key: p.source_key,
            body_offset: p.body_offset,
            permalink: &p.permalink,
            relative: &p.file.relative,
            lang: &p.lang,
            item: Item::Page(i),
            path: &p.file.path,
            raw_html: raw_html_policy(lib, &p.ancestors, practice::is_practice(p)),
        }
    }

    fn section(lib: &'a Library, i: usize) -> MarkdownJob<'a> {
        let s = &lib.sections[i];
        let ancestors = [
            s.ancestors.as_slice(),
            std::slice::from_ref(&s.file.relative),
        ]
        .concat();
        let in_practices = s.file.components.first().map(String::as_str) == Some(practice::SECTION);
        MarkdownJob {
            text: s.body(),
            source: &s.source,
            source_key: s.source_key,
            body_offset: s.body_offset,
            permalink: &s.permalink,
            relative: &s.file.relative,
            lang: &s.lang,
            item: Item::Section(i),
            path: &s.file.path,
            raw_html: raw_html_policy(lib, &ancestors, in_practices),
        }
    }
}

/// A copy of `tera` with the site functions and the `markdown` filter registered.
fn with_functions(
    tera: &Arc<tera::Tera>,
    data: &Arc<SiteData>,
    recorder: Option<&Arc<Recorder>>,
) -> tera::Tera {
    let mut outer = tera::Tera::clone(tera);
    templates::functions::register(&mut outer, data, recorder);
    outer.register_filter(
        "markdown",
        filters::MarkdownFilter {
            data: data.clone(),
            templates: tera.clone(),
            recorder: recorder.cloned(),
            shortcodes: std::sync::OnceLock::new(),
        },
    );
    outer
}

fn check_templates_exist(lib: &Library, tera: &tera::Tera, diags: &mut Vec<Diagnostic>) {
    let check = |name: &str, path: &Path, source: &str, diags: &mut Vec<Diagnostic>| {
        if !templates::exists(tera, name) {
            let pos = source.find(name).map(|o| Position::of_offset(source, o));
            diags.push(Diagnostic::error(path, format!("template `{name}` not found")).at(pos));
        }
    };
    // The templates pages inherit from a section's `page_template`: checked once, at the
    // section, rather than on every page (whose file does not name it).
    let mut inherited: HashSet<&str> = HashSet::new();
    for p in lib.pages.iter().filter(|p| p.meta.render) {
        match (&p.meta.template, &p.template) {
            (None, Some(from_section)) => {
                inherited.insert(from_section);
            }
            _ => check(
                p.template.as_deref().unwrap_or("page.html"),
                &p.file.path,
                &p.source,
                diags,
            ),
        }
    }
    for s in &lib.sections {
        let Some(name) = s.meta.page_template.as_deref() else {
            continue;
        };
        if inherited.contains(name) && !templates::exists(tera, name) {
            let at = s.source.find("page_template").unwrap_or(0);
            let pos = s.source[at..]
                .find(name)
                .map(|o| Position::of_offset(&s.source, at + o));
            diags.push(
                Diagnostic::error(&s.file.path, format!("template `{name}` not found"))
                    .at(pos)
                    .with_help(
                        "it is the `page_template` of this section: its pages are rendered with it",
                    ),
            );
        }
    }
    for s in lib
        .sections
        .iter()
        .filter(|s| s.meta.render && s.meta.redirect_to.is_none())
    {
        let default = if s.is_root() {
            "index.html"
        } else {
            "section.html"
        };
        check(
            s.meta.template.as_deref().unwrap_or(default),
            &s.file.path,
            &s.source,
            diags,
        );
    }
}

/// `@/page.md#anchor` links must name a heading (or an `id`) of their target.
fn check_anchors(lib: &Library, diags: &mut Vec<Diagnostic>) {
    fn has_id(toc: &[markdown::Heading], id: &str) -> bool {
        toc.iter().any(|h| h.id == id || has_id(&h.children, id))
    }
    let target_has = |rel: &str, anchor: &str| -> bool {
        let (toc, html) = if let Some(i) = lib.find_page(rel) {
            (&lib.pages[i].markdown.toc, &lib.pages[i].markdown.html)
        } else if let Some(i) = lib.find_section(rel) {
            (&lib.sections[i].toc, &lib.sections[i].content)
        } else {
            return true;
        };
        has_id(toc, anchor) || html.contains(&format!("id=\"{anchor}\""))
    };
    let mut check = |links: &[(String, Option<String>)], path: &Path, source: &str| {
        for (rel, anchor) in links {
            if let Some(a) = anchor
                && !target_has(rel, a)
            {
                let needle = format!("#{a}");
                let pos = source.find(&needle).map(|o| Position::of_offset(source, o));
                diags.push(
                    Diagnostic::error(
                        path,
                        format!("broken anchor: `{rel}` has no heading `#{a}`"),
                    )
                    .at(pos),
                );
            }
        }
    };
    for p in &lib.pages {
        check(&p.markdown.internal_links, &p.file.path, &p.source);
    }
    for s in &lib.sections {
        check(&s.internal_links, &s.file.path, &s.source);
    }
}

/// What becomes of raw HTML in a file below `sections` (relative paths, root first): the
/// nearest section saying `allow_html = true` or `false` under `[extra]` decides; by default it
/// is escaped in practices and sanitised elsewhere.
fn raw_html_policy(lib: &Library, sections: &[String], practice: bool) -> RawHtml {
    let set = sections.iter().rev().find_map(|rel| {
        let i = lib.find_section(rel)?;
        lib.sections[i].meta.extra.get("allow_html")?.as_bool()
    });
    match set {
        Some(true) => RawHtml::Sanitize,
        Some(false) => RawHtml::Escape,
        None if practice => RawHtml::Escape,
        None => RawHtml::Sanitize,
    }
}
