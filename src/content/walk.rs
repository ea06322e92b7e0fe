//! Reading `content/`: every Markdown file becomes a page or a section; files next to them are
//! their assets. Files are read and parsed in parallel; every problem is reported.

use std::path::{Path, PathBuf};

use foldhash::{HashMap, HashSet};
use rayon::prelude::*;

use super::file_info::FileInfo;
use super::front_matter;
use super::page::{Page, PageMeta, reading_analytics};
use super::section::{Section, SectionMeta};
use crate::config::Config;
use crate::diagnostics::{Diagnostic, Position};

/// The largest content file read by default (a larger one is an error, not a slow build);
/// `max_file_size` under `[compendium]` in `config.toml` changes it.
pub const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;

/// Symbolic links under `dirs` (and the folders themselves) that point outside `root` are
/// errors: nothing outside the site is read. Links inside the site are left to the walk (which
/// does not follow them).
pub fn check_symlinks(root: &Path, dirs: &[PathBuf]) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    let Ok(root_real) = root.canonicalize() else {
        return diags;
    };
    let outside = |p: &Path| match p.canonicalize() {
        Ok(real) => !real.starts_with(&root_real),
        // A dangling link reads nothing.
        Err(_) => false,
    };
    let refuse = |p: &Path, diags: &mut Vec<Diagnostic>| {
        let target = std::fs::read_link(p)
            .map(|t| t.display().to_string())
            .unwrap_or_default();
        diags.push(
            Diagnostic::error(
                p,
                format!("symbolic link pointing outside the site (to `{target}`) refused"),
            )
            .at(Some(Position { line: 1, col: 1 }))
            .with_help("copy the file into the site instead"),
        );
    };
    for dir in dirs {
        if !dir.exists() {
            continue;
        }
        if outside(dir) {
            refuse(dir, &mut diags);
            continue;
        }
        for e in walkdir::WalkDir::new(dir)
            .sort_by_file_name()
            .into_iter()
            .filter_map(Result::ok)
        {
            if e.path_is_symlink() && e.depth() > 0 && outside(e.path()) {
                refuse(e.path(), &mut diags);
            }
        }
    }
    diags
}

/// "8 MB", "3.8 MB", "512 KB".
fn size(bytes: u64) -> String {
    let (n, unit) = if bytes >= 1024 * 1024 {
        (bytes as f64 / (1024.0 * 1024.0), "MB")
    } else {
        (bytes as f64 / 1024.0, "KB")
    };
    let s = format!("{n:.1}");
    format!("{} {unit}", s.strip_suffix(".0").unwrap_or(&s))
}

#[derive(Clone)]
pub enum Loaded {
    Page(Box<Page>),
    Section(Box<Section>),
}

impl Loaded {
    /// Records the hash of the file's bytes (`source_key`) and, for a page, the hash of its
    /// `extra` (`extra_key`): what the preview's caches and render keys use.
    fn set_source_key(&mut self, key: u64) {
        match self {
            Loaded::Page(p) => {
                p.source_key = key;
                let mut h = crate::incremental::hasher();
                crate::incremental::hash_json(&p.meta.extra, &mut h);
                p.extra_key = std::hash::Hasher::finish(&h);
            }
            Loaded::Section(s) => s.source_key = key,
        }
    }
}

/// Lists the files under `dir`, sorted, skipping hidden ones and those `ignored` matches.
pub fn list_files(dir: &Path, ignored: &globset::GlobSet) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'))
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .filter(|p| {
            let rel = p.strip_prefix(dir).unwrap_or(p);
            !ignored.is_match(rel) && !ignored.is_match(p)
        })
        .collect();
    out.sort();
    out
}

/// What loading one content file gave.
type FileResult = (Option<Loaded>, Vec<Diagnostic>);

/// The content files loaded by the previous build (`serve`), reused while their bytes and the
/// config are the same.
#[derive(Default)]
pub struct FileCache {
    /// Hash of the config the files were loaded with.
    config: u64,
    files: HashMap<PathBuf, (u64, FileResult)>,
    /// Every file the last build found below `content/`, sorted.
    listed: Vec<PathBuf>,
    /// Files parsed by the last build (the others were reused).
    pub parsed: usize,
}

impl FileCache {
    /// Are `changed` (files and folders that the preview's watcher saw change, created or
    /// removed) changes of file contents only, leaving the last build's list of content files
    /// as it is? `content_dir` is the folder the walk lists.
    pub fn same_listing(&self, content_dir: &Path, changed: &HashSet<PathBuf>) -> bool {
        if self.listed.is_empty() {
            return false;
        }
        changed.iter().all(|c| {
            let meta = std::fs::symlink_metadata(c).ok();
            // A link is for the links check (see `check_symlinks`).
            if meta.as_ref().is_some_and(|m| m.file_type().is_symlink()) {
                return false;
            }
            let is_file = meta.as_ref().is_some_and(std::fs::Metadata::is_file);
            let Ok(rel) = c.strip_prefix(content_dir) else {
                // Outside content/: a new folder could hold a link.
                return meta.is_none() || is_file;
            };
            let listed = self.listed.binary_search(c).is_ok();
            // A removed folder had files below it.
            let held_files = || {
                let below = self.listed.partition_point(|l| l <= c);
                self.listed.get(below).is_some_and(|l| l.starts_with(c))
            };
            !rel.as_os_str().is_empty() && listed == is_file && (is_file || !held_files())
        })
    }
}

/// What the preview's watcher saw since the last build.
#[derive(Clone, Copy)]
pub struct Watched<'a> {
    /// Files changed, created or removed (as the walk names them): no other file changed.
    pub changed: &'a HashSet<PathBuf>,
    /// The last build's list of files holds ([`FileCache::same_listing`]).
    pub same_listing: bool,
}

/// Loads every content file below `content_dir`. With a cache (`config_key` identifying the
/// config), files whose bytes did not change since the last build are not parsed again; with
/// what the watcher saw too, files it did not see change are not even read, and the folders
/// are not listed again when no file came or went.
pub fn load_content(
    content_dir: &Path,
    config: &Config,
    drafts: bool,
    mut cache: Option<(&mut FileCache, u64)>,
    watched: Option<Watched>,
) -> (Vec<Page>, Vec<Section>, Vec<Diagnostic>) {
    // The cache is updated in place: after an edit, only the files read again change in it.
    if let Some((c, key)) = cache.as_mut()
        && c.config != *key
    {
        c.files.clear();
        c.config = *key;
    }
    // The watcher is trusted only about what the cache holds.
    let watched = watched.filter(|_| cache.as_ref().is_some_and(|(c, _)| !c.files.is_empty()));
    let (files, same_listing) = match (cache.as_mut(), watched) {
        (Some((c, _)), Some(w)) if w.same_listing => (std::mem::take(&mut c.listed), true),
        _ => (list_files(content_dir, &config.ignored_content), false),
    };
    let (md, other): (Vec<&PathBuf>, Vec<&PathBuf>) = files
        .iter()
        .partition(|p| p.extension().is_some_and(|e| e == "md"));
    // After an edit, a handful of files: looked through rather than hashed for every file.
    let seen_changed = |w: &Watched, p: &Path| {
        if w.changed.len() <= 16 {
            w.changed.iter().any(|c| c == p)
        } else {
            w.changed.contains(p)
        }
    };
    let previous = cache.as_ref().map(|(c, _)| &c.files);
    // (result, hash of the file's bytes when caching, reused?)
    let loaded: Vec<(FileResult, Option<u64>, bool)> = md
        .par_iter()
        .map(|&p| {
            let Some(previous) = previous else {
                return (load_file(p, content_dir, config), None, false);
            };
            if let Some(w) = &watched
                && !seen_changed(w, p)
                && let Some((before, result)) = previous.get(p)
            {
                return (result.clone(), Some(*before), true);
            }
            let bytes = match read_file(p, config) {
                Ok(b) => b,
                Err(d) => return ((None, vec![d]), None, false),
            };
            let hash = crate::incremental::hash_bytes(&bytes);
            if let Some((before, result)) = previous.get(p)
                && *before == hash
            {
                return (result.clone(), Some(hash), true);
            }
            let mut result = parse_file(p, bytes, content_dir, config);
            if let Some(loaded) = &mut result.0 {
                loaded.set_source_key(hash);
            }
            (result, Some(hash), false)
        })
        .collect();
    let parsed = loaded.iter().filter(|(_, _, reused)| !reused).count();
    let mut results = Vec::with_capacity(loaded.len());
    if let Some((c, _)) = cache.as_mut() {
        for (path, (result, hash, reused)) in md.iter().zip(loaded) {
            if !reused {
                match hash {
                    Some(h) => {
                        c.files.insert((*path).clone(), (h, result.clone()));
                    }
                    None => {
                        c.files.remove(*path);
                    }
                }
            }
            results.push(result);
        }
        // Files gone since the last listing leave the cache.
        if !same_listing {
            let listed: HashSet<&Path> = md.iter().map(|p| p.as_path()).collect();
            c.files.retain(|p, _| listed.contains(p.as_path()));
        }
        c.parsed = parsed;
    } else {
        results.extend(loaded.into_iter().map(|(result, _, _)| result));
    }

    let mut pages = Vec::new();
    let mut sections = Vec::new();
    let mut diags = Vec::new();
    for (loaded, d) in results {
        diags.extend(d);
        match loaded {
            Some(Loaded::Page(p)) if drafts || !p.meta.draft => pages.push(*p),
            Some(Loaded::Section(s)) if drafts || !s.meta.draft => sections.push(*s),
            _ => {}
        }
    }

    // Assets: files in a page's own folder (recursively), or next to a section's `_index.md`.
    let rel = |p: &Path| -> String {
        p.strip_prefix(content_dir)
            .unwrap_or(p)
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/")
    };
    for asset in &other {
        let r = rel(asset);
        let folder = r.rsplit_once('/').map(|(f, _)| f).unwrap_or("");
        let mut owned = false;
        for page in pages.iter_mut() {
            if let Some(col) = &page.file.colocated_path
                && r.starts_with(col.as_str())
            {
                page.asset_files.push(r.clone());
                page.assets.push(format!("/{r}"));
                owned = true;
            }
        }
        if owned {
            continue;
        }
        for section in sections.iter_mut() {
            if section.file.components.join("/") == folder {
                section.asset_files.push(r.clone());
                section.assets.push(format!("/{r}"));
            }
        }
    }
    if let Some((c, _)) = cache {
        c.listed = files;
    }
    (pages, sections, diags)
}

/// Reads and parses one Markdown file.
pub fn load_file(path: &Path, content_dir: &Path, config: &Config) -> FileResult {
    match read_file(path, config) {
        Ok(bytes) => parse_file(path, bytes, content_dir, config),
        Err(d) => (None, vec![d]),
    }
}

/// Reads one content file, refusing one larger than `max_file_size`.
fn read_file(path: &Path, config: &Config) -> Result<Vec<u8>, Diagnostic> {
    let shown = path.to_path_buf();
    match std::fs::metadata(path) {
        Ok(m) if m.len() > config.max_file_size => {
            return Err(Diagnostic::error(
                &shown,
                format!(
                    "the file is {}; content files are limited to {} ({} bytes)",
                    size(m.len()),
                    size(config.max_file_size),
                    config.max_file_size
                ),
            )
            .at(Some(Position { line: 1, col: 1 }))
            .with_help(
                "split the file, or raise `max_file_size` under [compendium] in config.toml",
            ));
        }
        Err(e) => return Err(Diagnostic::error(&shown, format!("cannot read: {e}"))),
        _ => {}
    }
    std::fs::read(path).map_err(|e| Diagnostic::error(&shown, format!("cannot read: {e}")))
}

/// Parses one content file from its bytes.
fn parse_file(path: &Path, bytes: Vec<u8>, content_dir: &Path, config: &Config) -> FileResult {
    let mut diags = Vec::new();
    let shown = path.to_path_buf();
    let source = match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => {
            let valid = e.utf8_error().valid_up_to();
            let text = String::from_utf8_lossy(&e.as_bytes()[..valid]).into_owned();
            let pos = Position::of_offset(&text, valid);
            diags.push(
                Diagnostic::error(&shown, "the file is not valid UTF-8")
                    .at(Some(pos))
                    .with_help("save the file with UTF-8 encoding"),
            );
            return (None, diags);
        }
    };
    let codes = config.language_codes();
    let (file, lang) = match FileInfo::new(path, content_dir, &config.default_language, &codes) {
        Ok(x) => x,
        Err(code) => {
            diags.push(
                Diagnostic::error(
                    &shown,
                    format!("the language code `{code}` in the file name is not configured"),
                )
                .with_help(format!("configured languages: {}", codes.join(", "))),
            );
            return (None, diags);
        }
    };
    let split = match front_matter::split(&source) {
        Ok(s) => s,
        Err(e) => {
            let pos = Position::of_offset(&source, e.offset(&source));
            diags.push(Diagnostic::error(&shown, e.to_string()).at(Some(pos)));
            return (None, diags);
        }
    };
    let node = match front_matter::parse(&source, &split) {
        Ok(n) => n,
        Err(e) => {
            diags.push(
                Diagnostic::error(
                    &shown,
                    format!(
                        "invalid front matter: {}",
                        e.message.split_whitespace().collect::<Vec<_>>().join(" ")
                    ),
                )
                .at(e.position(&source)),
            );
            return (None, diags);
        }
    };
    let body_offset = split.body_offset;
    let (words, minutes) = reading_analytics(&source[body_offset..]);
    if file.name == "_index" {
        let (meta, d) = SectionMeta::read(&node, &source, &shown);
        diags.extend(d);
        let mut s = Section {
            file,
            meta,
            lang,
            source: source.into(),
            body_offset,
            source_key: 0,
            path: String::new(),
            components: vec![],
            permalink: String::new(),
            assets: vec![],
            asset_files: vec![],
            ancestors: vec![],
            pages: vec![],
            subsections: vec![],
            word_count: words,
            reading_time: minutes,
            content: "".into(),
            toc: vec![],
            internal_links: vec![],
            external_links: vec![],
        };
        s.resolve_path(config);
        (Some(Loaded::Section(Box::new(s))), diags)
    } else {
        let (meta, d) = PageMeta::read(&node, &source, &shown);
        diags.extend(d);
        let mut p = Page {
            file: file.into(),
            template: meta.template.clone(),
            meta: meta.into(),
            lang,
            source: source.into(),
            body_offset,
            word_count: words,
            reading_time: minutes,
            ..Page::default()
        };
        p.resolve_path(config);
        (Some(Loaded::Page(Box::new(p))), diags)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        let mut d = vec![];
        Config::parse(
            Path::new("config.toml"),
            "base_url = \"https://example.org\"\n",
            &mut d,
        )
        .expect("config")
    }

    fn write(path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }

    /// Which changes the watcher reports leave the last listing of content files as it is.
    #[test]
    fn only_changes_to_listed_files_keep_the_listing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        let content = root.join("content");
        let page = content.join("blog/a.md");
        write(&content.join("_index.md"), "+++\n+++\n");
        write(&content.join("blog/_index.md"), "+++\n+++\n");
        write(&page, "+++\ntitle = \"A\"\n+++\nA.\n");
        let mut cache = FileCache::default();
        let (pages, _, diags) =
            load_content(&content, &config(), false, Some((&mut cache, 1)), None);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(pages.len(), 1);
        let same = |cache: &FileCache, changed: &[&Path]| {
            let set: HashSet<PathBuf> = changed.iter().map(|p| p.to_path_buf()).collect();
            cache.same_listing(&content, &set)
        };

        assert!(same(&cache, &[]), "nothing changed");
        write(&page, "+++\ntitle = \"A\"\n+++\nA, edited.\n");
        assert!(same(&cache, &[&page]), "an edit");
        assert!(
            same(&cache, &[&root.join("templates/page.html")]),
            "a template"
        );

        let new = content.join("blog/b.md");
        write(&new, "+++\n+++\n");
        assert!(!same(&cache, &[&new]), "a new file");
        std::fs::remove_file(&new).expect("remove");
        std::fs::remove_file(&page).expect("remove");
        assert!(!same(&cache, &[&page]), "a removed file");
        write(&page, "+++\n+++\n");

        let blog = content.join("blog");
        std::fs::rename(&blog, content.join("news")).expect("rename");
        assert!(!same(&cache, &[&blog]), "a folder renamed away");
        std::fs::rename(content.join("news"), &blog).expect("rename");

        std::fs::create_dir_all(content.join("empty")).expect("mkdir");
        assert!(
            same(&cache, &[&content.join("empty")]),
            "a new empty folder"
        );
        assert!(!same(&cache, &[&content]), "the content folder itself");

        #[cfg(unix)]
        {
            let link = content.join("blog/link.md");
            std::os::unix::fs::symlink(&page, &link).expect("symlink");
            assert!(
                !same(&cache, &[&link]),
                "a link: the links check runs again"
            );
        }

        // With a listing kept, an unreported file is not read again.
        write(&page, "+++\ntitle = \"Not read\"\n+++\n");
        let changed = HashSet::default();
        let watched = Watched {
            changed: &changed,
            same_listing: true,
        };
        let (pages, _, _) = load_content(
            &content,
            &config(),
            false,
            Some((&mut cache, 1)),
            Some(watched),
        );
        assert_eq!(pages[0].meta.title.as_deref(), Some("A"));
    }
}
