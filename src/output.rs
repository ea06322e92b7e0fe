//! Where a build goes, file by file as it is rendered: to disk (written into a temporary
//! folder beside the target, swapped in at the end, removed if the build fails), into memory
//! (for `serve`), or nowhere (for `check`).
//!
//! Files are handed to a [`Sink`] as soon as each page, section or taxonomy is rendered, so
//! that a build never holds its whole output. When two files claim one path, the one of
//! higher [`Rank`] is kept whatever the order they arrive in: static files lose to rendered
//! ones (as in Zola), the site's static files win over the theme's, and between two rendered
//! files the later stage of the build wins (reported as a warning by the build).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// One file of the built site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    /// Path inside the site, with `/` separators and no leading slash (`blog/index.html`).
    pub path: String,
    pub content: Content,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    Bytes(Vec<u8>),
    /// Text shared with the render cache (the preview's), not copied.
    Shared(Arc<str>),
    /// A file copied as it is (static files, colocated assets).
    Copy(PathBuf),
}

impl OutputFile {
    pub fn new(path: impl Into<String>, content: Content) -> Self {
        OutputFile {
            path: path.into(),
            content,
        }
    }

    pub fn text(path: impl Into<String>, text: String) -> Self {
        OutputFile::new(path, Content::Bytes(text.into_bytes()))
    }

    pub fn bytes(&self) -> std::io::Result<std::borrow::Cow<'_, [u8]>> {
        match &self.content {
            Content::Bytes(b) => Ok(std::borrow::Cow::Borrowed(b)),
            Content::Shared(s) => Ok(std::borrow::Cow::Borrowed(s.as_bytes())),
            Content::Copy(p) => std::fs::read(p).map(std::borrow::Cow::Owned),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot read {path}, which the site copies: {source}")]
    Source {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("refusing to write `{0}`: the path leaves the output folder")]
    Escapes(String),
}

/// Which of two files claiming one path is kept: the higher. `stage` orders the build's
/// stages (0 for static files, then pages, sections, taxonomies…); `job` and `item` order the
/// files within a stage as a sequential build would have produced them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Rank {
    pub stage: u8,
    pub job: u32,
    pub item: u32,
}

/// The stages of a build, in the order a sequential build runs them: of two rendered files
/// on one path, the later stage's is kept.
pub mod stage {
    pub const STATIC: u8 = 0;
    pub const PAGES: u8 = 1;
    pub const SECTIONS: u8 = 2;
    pub const TAXONOMIES: u8 = 3;
    pub const FEEDS: u8 = 4;
    pub const SITE_FILES: u8 = 5;
    pub const OPEN_DATA: u8 = 6;
    pub const SEARCH: u8 = 7;
    pub const TRANSLATIONS: u8 = 8;
    pub const SYNTAX_CSS: u8 = 9;
}

impl Rank {
    pub const fn new(stage: u8, job: usize, item: usize) -> Rank {
        Rank {
            stage,
            job: job as u32,
            item: item as u32,
        }
    }

    /// Static files (the theme's, then the site's) are stage 0.
    pub fn is_static(self) -> bool {
        self.stage == stage::STATIC
    }
}

/// Where a build's files go.
pub trait Sink: Sync {
    /// Adds one file of the site (see [`Rank`] for two files on one path).
    fn put(&self, rank: Rank, file: OutputFile) -> Result<(), OutputError>;

    /// The paths that two rendered (not static) files claimed, sorted.
    fn collisions(&self) -> Vec<String>;

    /// How many distinct files the site has so far.
    fn len(&self) -> usize;

    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Is this output path safe to join to the output folder?
pub fn is_safe_path(p: &str) -> bool {
    !p.is_empty()
        && !p.starts_with('/')
        && !p.contains('\\')
        && !p.contains('\0')
        && p.split('/')
            .all(|seg| !seg.is_empty() && seg != "." && seg != "..")
}

/// The value behind `m`; a writer that panicked leaves it as it was, still usable.
fn locked<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Which path has which rank, and the rendered paths claimed twice.
#[derive(Default)]
struct Claims {
    ranks: foldhash::HashMap<String, Rank>,
    collisions: Vec<String>,
}

impl Claims {
    fn sorted_collisions(&self) -> Vec<String> {
        let mut c = self.collisions.clone();
        c.sort();
        c.dedup();
        c
    }

    /// Records `rank`'s claim on `path`: true when its file is to be kept (no file had the
    /// path, or a lower one had it).
    fn claim(&mut self, path: &str, rank: Rank) -> bool {
        match self.ranks.get_mut(path) {
            None => {
                self.ranks.insert(path.to_string(), rank);
                true
            }
            Some(held) => {
                if !held.is_static() && !rank.is_static() && *held != rank {
                    self.collisions.push(path.to_string());
                }
                let wins = rank > *held;
                if wins {
                    *held = rank;
                }
                wins
            }
        }
    }
}

/// Claims split in shards by path, so that parallel writers rarely wait for each other; a
/// shard stays locked while its file is written, so that of two writers on one path the
/// higher rank's file is the one left on disk.
struct ShardedClaims {
    shards: Vec<Mutex<Claims>>,
}

impl ShardedClaims {
    const SHARDS: usize = 64;

    fn new() -> Self {
        ShardedClaims {
            shards: (0..Self::SHARDS)
                .map(|_| Mutex::new(Claims::default()))
                .collect(),
        }
    }

    fn shard(&self, path: &str) -> std::sync::MutexGuard<'_, Claims> {
        use std::hash::BuildHasher;
        let i = foldhash::fast::FixedState::default().hash_one(path) as usize % Self::SHARDS;
        locked(&self.shards[i])
    }

    fn collisions(&self) -> Vec<String> {
        let mut all: Vec<String> = self
            .shards
            .iter()
            .flat_map(|s| locked(s).collisions.clone())
            .collect();
        all.sort();
        all.dedup();
        all
    }

    fn len(&self) -> usize {
        self.shards.iter().map(|s| locked(s).ranks.len()).sum()
    }
}

/// The site on disk: files are written into a staging folder beside `target` as they come;
/// [`DiskSink::finish`] swaps it in, and a sink dropped unfinished removes it, so that a
/// failed build leaves the previous site as it was.
pub struct DiskSink {
    target: PathBuf,
    staging: PathBuf,
    old: PathBuf,
    claims: ShardedClaims,
    /// Folders already created in the staging folder.
    dirs: Mutex<foldhash::HashSet<String>>,
    finished: AtomicBool,
}

impl DiskSink {
    pub fn create(target: &Path) -> Result<DiskSink, OutputError> {
        // The site replaces a folder, never a file of the user's.
        if target.exists() && !target.is_dir() {
            return Err(OutputError::Io {
                path: target.to_path_buf(),
                source: std::io::Error::other("it exists and is not a folder"),
            });
        }
        let parent = target
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::create_dir_all(parent).map_err(io(parent))?;
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "public".into());
        let staging = parent.join(format!(".{name}.tmp-{}", std::process::id()));
        let old = parent.join(format!(".{name}.old-{}", std::process::id()));
        if staging.exists() {
            std::fs::remove_dir_all(&staging).map_err(io(&staging))?;
        }
        std::fs::create_dir_all(&staging).map_err(io(&staging))?;
        Ok(DiskSink {
            target: target.to_path_buf(),
            staging,
            old,
            claims: ShardedClaims::new(),
            dirs: Mutex::default(),
            finished: AtomicBool::new(false),
        })
    }

    /// Creates the folder of `path` in the staging folder, once.
    fn make_parent(&self, path: &str) -> Result<(), OutputError> {
        let Some((dir, _)) = path.rsplit_once('/') else {
            return Ok(());
        };
        let mut dirs = locked(&self.dirs);
        if dirs.contains(dir) {
            return Ok(());
        }
        let full = self.staging.join(dir);
        std::fs::create_dir_all(&full).map_err(io(&full))?;
        // Its ancestors exist now too.
        let mut d = dir;
        loop {
            dirs.insert(d.to_string());
            match d.rsplit_once('/') {
                Some((up, _)) => d = up,
                None => break,
            }
        }
        Ok(())
    }

    /// Swaps the staging folder in as `target` (the previous site is removed).
    pub fn finish(self) -> Result<(), OutputError> {
        self.finished.store(true, Ordering::Relaxed);
        if self.target.exists() {
            std::fs::rename(&self.target, &self.old).map_err(io(&self.target))?;
        }
        if let Err(e) = std::fs::rename(&self.staging, &self.target) {
            // Put the previous site back.
            if self.old.exists() {
                let _ = std::fs::rename(&self.old, &self.target);
            }
            let _ = std::fs::remove_dir_all(&self.staging);
            return Err(OutputError::Io {
                path: self.target.clone(),
                source: e,
            });
        }
        if self.old.exists() {
            std::fs::remove_dir_all(&self.old).map_err(io(&self.old))?;
        }
        Ok(())
    }
}

impl Drop for DiskSink {
    fn drop(&mut self) {
        if !self.finished.load(Ordering::Relaxed) && self.staging.exists() {
            let _ = std::fs::remove_dir_all(&self.staging);
        }
    }
}

impl Sink for DiskSink {
    fn put(&self, rank: Rank, file: OutputFile) -> Result<(), OutputError> {
        if !is_safe_path(&file.path) {
            return Err(OutputError::Escapes(file.path));
        }
        self.make_parent(&file.path)?;
        let mut claims = self.claims.shard(&file.path);
        if !claims.claim(&file.path, rank) {
            return Ok(());
        }
        let dest = self.staging.join(&file.path);
        match &file.content {
            Content::Bytes(b) => std::fs::write(&dest, b).map_err(io(&dest)),
            Content::Shared(s) => std::fs::write(&dest, s.as_bytes()).map_err(io(&dest)),
            Content::Copy(src) => {
                std::fs::copy(src, &dest)
                    .map(drop)
                    .map_err(|source| OutputError::Source {
                        path: src.clone(),
                        source,
                    })
            }
        }
    }

    fn collisions(&self) -> Vec<String> {
        self.claims.collisions()
    }

    fn len(&self) -> usize {
        self.claims.len()
    }
}

/// A built site in memory: path → bytes (shared with the render cache, in the preview).
pub type MemorySite = BTreeMap<String, Arc<[u8]>>;

/// The site in memory: path → bytes (the sink of `serve`). Shared text stays shared.
#[derive(Default)]
pub struct MemorySink {
    files: Mutex<(MemorySite, Claims)>,
}

impl MemorySink {
    pub fn into_files(self) -> MemorySite {
        self.files
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .0
    }
}

impl Sink for MemorySink {
    fn put(&self, rank: Rank, file: OutputFile) -> Result<(), OutputError> {
        if !is_safe_path(&file.path) {
            return Err(OutputError::Escapes(file.path));
        }
        let bytes: Arc<[u8]> = match file.content {
            Content::Bytes(b) => b.into(),
            Content::Shared(s) => s.into(),
            Content::Copy(src) => std::fs::read(&src)
                .map_err(|source| OutputError::Source {
                    path: src.clone(),
                    source,
                })?
                .into(),
        };
        let mut guard = locked(&self.files);
        let (files, claims) = &mut *guard;
        if claims.claim(&file.path, rank) {
            files.insert(file.path, bytes);
        }
        Ok(())
    }

    fn collisions(&self) -> Vec<String> {
        locked(&self.files).1.sorted_collisions()
    }

    fn len(&self) -> usize {
        locked(&self.files).0.len()
    }
}

/// No site at all (`check`): files are dropped once their paths are checked and claimed.
#[derive(Default)]
pub struct NullSink {
    claims: Mutex<Claims>,
}

impl Sink for NullSink {
    fn put(&self, rank: Rank, file: OutputFile) -> Result<(), OutputError> {
        if !is_safe_path(&file.path) {
            return Err(OutputError::Escapes(file.path));
        }
        if let Content::Copy(src) = &file.content
            && !src.is_file()
        {
            return Err(OutputError::Source {
                path: src.clone(),
                source: std::io::ErrorKind::NotFound.into(),
            });
        }
        locked(&self.claims).claim(&file.path, rank);
        Ok(())
    }

    fn collisions(&self) -> Vec<String> {
        locked(&self.claims).sorted_collisions()
    }

    fn len(&self) -> usize {
        locked(&self.claims).ranks.len()
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> OutputError {
    let path = path.to_path_buf();
    move |source| OutputError::Io { path, source }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsafe_paths_are_refused() {
        assert!(is_safe_path("a/index.html"));
        assert!(!is_safe_path("../x"));
        assert!(!is_safe_path("/etc/passwd"));
        assert!(!is_safe_path("a//b"));
        assert!(!is_safe_path("a/./b"));
        let sink = MemorySink::default();
        assert!(matches!(
            sink.put(Rank::new(1, 0, 0), OutputFile::text("../x", "x".into())),
            Err(OutputError::Escapes(_))
        ));
        assert!(sink.is_empty());
    }

    fn text(path: &str, s: &str) -> OutputFile {
        OutputFile::text(path, s.to_string())
    }

    #[test]
    fn the_higher_rank_wins_whatever_the_order() {
        for order in [[0, 1, 2], [2, 1, 0], [1, 2, 0]] {
            let files = [
                (Rank::new(0, 0, 0), "static"),
                (Rank::new(1, 3, 0), "page"),
                (Rank::new(3, 0, 1), "taxonomy"),
            ];
            let dir = tempfile::tempdir().expect("tempdir");
            let target = dir.path().join("public");
            let disk = DiskSink::create(&target).expect("staging");
            let memory = MemorySink::default();
            for i in order {
                let (rank, s) = files[i];
                disk.put(rank, text("a/index.html", s)).expect("put");
                memory.put(rank, text("a/index.html", s)).expect("put");
            }
            // The static file does not count as a collision; the two rendered ones do.
            assert_eq!(disk.collisions(), vec!["a/index.html".to_string()]);
            assert_eq!(memory.collisions(), vec!["a/index.html".to_string()]);
            assert_eq!(disk.len(), 1);
            disk.finish().expect("finish");
            let on_disk = std::fs::read_to_string(target.join("a/index.html")).expect("read");
            assert_eq!(on_disk, "taxonomy");
            assert_eq!(&*memory.into_files()["a/index.html"], b"taxonomy");
        }
    }

    #[test]
    fn the_site_static_files_win_over_the_theme_and_are_no_collision() {
        let memory = MemorySink::default();
        memory
            .put(Rank::new(0, 1, 0), text("style.css", "site"))
            .expect("put");
        memory
            .put(Rank::new(0, 0, 0), text("style.css", "theme"))
            .expect("put");
        assert!(memory.collisions().is_empty());
        assert_eq!(&*memory.into_files()["style.css"], b"site");
    }

    #[test]
    fn an_unfinished_disk_sink_leaves_the_previous_site() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("public");
        std::fs::create_dir_all(&target).expect("mkdir");
        std::fs::write(target.join("index.html"), "old").expect("write");
        {
            let sink = DiskSink::create(&target).expect("staging");
            sink.put(Rank::new(1, 0, 0), text("index.html", "new"))
                .expect("put");
            sink.put(Rank::new(1, 1, 0), text("deep/er/x.html", "new"))
                .expect("put");
            // Dropped without finish: a failed build.
        }
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .expect("list")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("public")]);
        assert_eq!(
            std::fs::read_to_string(target.join("index.html")).expect("read"),
            "old"
        );
        let sink = DiskSink::create(&target).expect("staging");
        sink.put(Rank::new(1, 0, 0), text("index.html", "new"))
            .expect("put");
        sink.finish().expect("finish");
        assert_eq!(
            std::fs::read_to_string(target.join("index.html")).expect("read"),
            "new"
        );
    }

    #[test]
    fn a_file_in_the_way_is_refused_and_left_alone() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("public");
        std::fs::write(&target, "mine").expect("write");
        assert!(matches!(
            DiskSink::create(&target),
            Err(OutputError::Io { path, .. }) if path == target
        ));
        assert_eq!(std::fs::read_to_string(&target).expect("read"), "mine");
        assert_eq!(std::fs::read_dir(dir.path()).expect("list").count(), 1);
    }

    #[test]
    fn a_vanished_source_names_the_source() {
        let dir = tempfile::tempdir().expect("tempdir");
        let gone = dir.path().join("gone.png");
        let file = || OutputFile {
            path: "gone.png".into(),
            content: Content::Copy(gone.clone()),
        };
        let disk = DiskSink::create(&dir.path().join("public")).expect("staging");
        for sink in [
            &disk as &dyn Sink,
            &MemorySink::default(),
            &NullSink::default(),
        ] {
            match sink.put(Rank::new(0, 0, 0), file()) {
                Err(OutputError::Source { path, .. }) => assert_eq!(path, gone),
                other => panic!("expected a source error, got {other:?}"),
            }
        }
    }
}
