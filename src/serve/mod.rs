//! `compendium serve`: the `build` pipeline with a memory sink, a watcher that rebuilds on
//! every saved change, and a small server whose pages reload themselves.

pub mod server;
pub mod watch;

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::channel;
use std::time::{Duration, Instant};

use notify::RecursiveMode;
use notify_debouncer_full::new_debouncer;

use crate::diagnostics::Diagnostic;
use crate::incremental::RenderCache;
use crate::site::{BuildOptions, build_in_memory_search_later};
use server::{Event, State};
use watch::ChangeKind;

#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub root: PathBuf,
    pub interface: String,
    pub port: u16,
    pub drafts: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot listen on {0}: {1}")]
    Bind(String, String),
    #[error("cannot watch {0}: {1}")]
    Watch(PathBuf, String),
}

/// A running preview.
pub struct Preview {
    pub address: SocketAddr,
    pub state: Arc<State>,
    server: Arc<tiny_http::Server>,
}

impl Preview {
    /// Answers requests until the process ends.
    pub fn run(&self) {
        for request in self.server.incoming_requests() {
            let state = self.state.clone();
            std::thread::spawn(move || server::handle(&state, request));
        }
    }
}

/// Renders diagnostics as plain text, for the terminal and the browser overlay.
pub fn describe(diags: &[Diagnostic], root: &Path) -> String {
    diags
        .iter()
        .map(|d| {
            let mut d = d.clone();
            d.path = crate::diagnostics::display_path(root, &d.path);
            d.to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Builds the site and serves it. Unless `first`, the pages are served (and the browsers
/// told) before the search index is brought up to date, which takes longer on a large site;
/// until then the last build's index is served, and browsers get [`Event::Search`] after.
fn rebuild(
    opts: &ServeOptions,
    base_url: &str,
    state: &State,
    cache: &mut RenderCache,
    event: Event,
    first: bool,
) -> Result<Duration, String> {
    let start = Instant::now();
    let options = BuildOptions {
        base_url: Some(base_url.to_string()),
        drafts: opts.drafts,
        record_calls: true,
    };
    let failed = |failed: crate::diagnostics::BuildFailed| {
        let text = describe(&failed.0.into_vec(), &opts.root);
        state.fail(text.clone());
        text
    };
    let (mut files, warnings, search) =
        build_in_memory_search_later(&opts.root, &options, cache).map_err(failed)?;
    if !warnings.is_empty() {
        eprintln!("{}", describe(&warnings, &opts.root));
    }
    if first {
        files.extend(search.files(&mut cache.search).map_err(failed)?);
        state.publish(files, event);
        return Ok(start.elapsed());
    }
    state.publish_keeping(files, Some(crate::search::FOLDER), event);
    let shown = start.elapsed();
    let index = search.files(&mut cache.search).map_err(failed)?;
    state.replace_below(crate::search::FOLDER, index, Event::Search);
    Ok(shown)
}

/// Is this file-system event a change to an input (not a read, not a time stamp)?
pub fn is_change(kind: &notify::EventKind) -> bool {
    use notify::EventKind as K;
    use notify::event::{MetadataKind, ModifyKind};
    match kind {
        K::Create(_) | K::Remove(_) => true,
        K::Modify(ModifyKind::Metadata(MetadataKind::AccessTime)) => false,
        K::Modify(_) => true,
        K::Access(notify::event::AccessKind::Close(notify::event::AccessMode::Write)) => true,
        K::Access(_) | K::Any | K::Other => false,
    }
}

/// `path` with its links resolved, also when the file is gone (through its folder).
fn canonical(path: &Path) -> PathBuf {
    path.canonicalize()
        .or_else(|e| match (path.parent(), path.file_name()) {
            (Some(dir), Some(name)) => dir.canonicalize().map(|d| d.join(name)),
            _ => Err(e),
        })
        .unwrap_or_else(|_| path.to_path_buf())
}

/// Builds the site, starts the server and the watcher. Call [`Preview::run`] to serve.
pub fn start(opts: ServeOptions) -> Result<Preview, ServeError> {
    let addr = format!("{}:{}", opts.interface, opts.port);
    let server = tiny_http::Server::http(&addr)
        .map_err(|e| ServeError::Bind(addr.clone(), e.to_string()))?;
    let address = server
        .server_addr()
        .to_ip()
        .ok_or_else(|| ServeError::Bind(addr.clone(), "not an IP address".into()))?;
    let host = if address.ip().is_ipv6() {
        format!("[{}]", address.ip())
    } else {
        address.ip().to_string()
    };
    let base_url = format!("http://{host}:{}", address.port());
    let state = Arc::new(State::default());
    // Watching starts before the first build: a file saved while it runs, after it was read,
    // is built again next.
    let (tx, rx) = channel();
    let mut debouncer = new_debouncer(Duration::from_millis(10), None, tx)
        .map_err(|e| ServeError::Watch(opts.root.clone(), e.to_string()))?;
    // Watched by its real path, which the events' paths then start with.
    let root = canonical(&opts.root);
    debouncer
        .watch(&root, RecursiveMode::Recursive)
        .map_err(|e| ServeError::Watch(opts.root.clone(), e.to_string()))?;
    // The renders of the last build, reused by the next one where their inputs are the same.
    let mut cache = RenderCache::watched();
    match rebuild(&opts, &base_url, &state, &mut cache, Event::Reload, true) {
        Ok(t) => eprintln!("Built the site in {} ms.", t.as_millis()),
        Err(text) => eprintln!(
            "{text}\nThe build failed; fix the files above (the preview updates by itself)."
        ),
    }

    let watch_state = state.clone();
    std::thread::spawn(move || {
        // The debouncer stops watching when dropped: it lives as long as this thread.
        let _debouncer = debouncer;
        for result in rx {
            let Ok(events) = result else {
                // Events may have been lost: the next build reads every file.
                cache.load.lost_track();
                continue;
            };
            let mut kinds = BTreeSet::new();
            let mut changed = Vec::new();
            for e in &events {
                if e.event.need_rescan() {
                    cache.load.lost_track();
                }
                // Reading a file (as every build does) is not a change.
                if !is_change(&e.event.kind) {
                    continue;
                }
                for p in &e.paths {
                    let p = canonical(p);
                    let Ok(rel) = p.strip_prefix(&root) else {
                        // Not known to be outside the site: every file is read again.
                        cache.load.lost_track();
                        continue;
                    };
                    // Every path, even one that does not call for a rebuild (an asset named
                    // like a backup file): the next build reads those files again.
                    cache.load.saw(rel.to_path_buf());
                    if let Some(k) = watch::classify(&root, &p) {
                        kinds.insert(k);
                        changed.push(rel.display().to_string());
                    }
                }
            }
            if kinds.is_empty() {
                continue;
            }
            changed.sort();
            changed.dedup();
            let event = if kinds.iter().all(|k| *k == ChangeKind::Stylesheet) {
                Event::Css
            } else {
                Event::Reload
            };
            match rebuild(&opts, &base_url, &watch_state, &mut cache, event, false) {
                Ok(t) => eprintln!(
                    "Rebuilt in {} ms ({}; {} pages rendered, {} reused).",
                    t.as_millis(),
                    changed.join(", "),
                    cache.rendered,
                    cache.reused
                ),
                Err(text) => {
                    eprintln!("{text}\nThe rebuild failed; still serving the last good build.")
                }
            }
        }
    });
    Ok(Preview {
        address,
        state,
        server: Arc::new(server),
    })
}
