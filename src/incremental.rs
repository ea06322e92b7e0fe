//! Incremental rendering, for `serve`: a render is reused from the previous build when its
//! inputs are unchanged.
//!
//! The inputs of a render are its template, its context and what its template functions
//! returned. Each render records the template-function calls it makes (name, arguments and a
//! hash of the result); on the next build, the render is reused only if the templates and the
//! config are the same, its context hashes the same, and every recorded call, evaluated again
//! against the new site, returns the same value. The dependency map is therefore exact, not
//! guessed: a practice edited re-renders its page, its translations' language switchers, the
//! lists, terms and feeds that show it, and whatever template asked about it — nothing else —
//! and the result is always that of a full build.
//!
//! State is passed explicitly: a [`RenderCache`] lives in the caller (the preview's watcher)
//! and is lent to each build; a [`Recorder`] is shared by the functions of one build.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, Hasher};
use std::sync::{Arc, Mutex};
use std::thread::ThreadId;

use rayon::prelude::*;
use serde_json::Value as Json;
use tera::{Context, Function};

/// One template-function call, as recorded.
#[derive(Debug, Clone)]
pub struct Call {
    pub name: &'static str,
    pub args: Vec<(String, Json)>,
    /// Hash of the name and the arguments.
    pub key: u64,
    /// Hash of what the call returned (or of its error), or its [`Keyed::fingerprint`].
    pub result: u64,
}

impl Call {
    fn new(name: &'static str, args: &HashMap<String, Json>, result: u64) -> Call {
        let args = sorted_args(args);
        let mut h = hasher();
        name.hash(&mut h);
        for (k, v) in &args {
            k.hash(&mut h);
            hash_json(v, &mut h);
        }
        Call {
            name,
            args,
            key: h.finish(),
            result,
        }
    }
}

/// A template function whose calls can be recorded, and checked again in the next build.
pub trait Keyed: Function {
    /// A hash of what a call with `args` returns, computed without building the result, or
    /// `None` to hash the result itself. Two calls with the same fingerprint must return the
    /// same value.
    fn fingerprint(&self, _args: &HashMap<String, Json>) -> Option<u64> {
        None
    }

    /// Whether a call's result depends only on its arguments and on what the generation hashes
    /// (config, templates, vocabulary, build options): a call recorded in the same generation
    /// then still returns the same, without being made again. Only for functions without
    /// side effects (no warnings).
    fn stable(&self) -> bool {
        false
    }

    /// An argument the call's result depends on besides those the template wrote, added to
    /// them when the call is recorded (and so when it is made again to be checked).
    fn implicit_arg(&self) -> Option<(&'static str, Json)> {
        None
    }

    /// What a recorded call keeps of its result.
    fn result_hash(&self, args: &HashMap<String, Json>, result: &tera::Result<Json>) -> u64 {
        self.fingerprint(args)
            .unwrap_or_else(|| hash_result(result))
    }
}

/// The calls made by the renders running on each thread (a render runs on one thread).
#[derive(Default)]
pub struct Recorder {
    slots: Mutex<HashMap<ThreadId, Vec<Call>>>,
}

impl Recorder {
    fn begin(&self) {
        if let Ok(mut s) = self.slots.lock() {
            s.insert(std::thread::current().id(), Vec::new());
        }
    }

    fn take(&self) -> Vec<Call> {
        self.slots
            .lock()
            .ok()
            .and_then(|mut s| s.remove(&std::thread::current().id()))
            .unwrap_or_default()
    }

    fn record(&self, call: Call) {
        if let Ok(mut s) = self.slots.lock()
            && let Some(calls) = s.get_mut(&std::thread::current().id())
        {
            calls.push(call);
        }
    }
}

/// A template function whose calls are recorded.
pub struct Recorded {
    pub name: &'static str,
    pub inner: Arc<dyn Keyed>,
    pub recorder: Arc<Recorder>,
}

impl Function for Recorded {
    fn call(&self, args: &HashMap<String, Json>) -> tera::Result<Json> {
        let with_implicit;
        let args = match self.inner.implicit_arg() {
            Some((name, value)) => {
                let mut all = args.clone();
                all.insert(name.to_string(), value);
                with_implicit = all;
                &with_implicit
            }
            None => args,
        };
        let result = self.inner.call(args);
        let hash = self.inner.result_hash(args, &result);
        // What is recorded must be what the next build's check computes (tested in debug).
        debug_assert!(
            self.inner.fingerprint(args).is_none_or(|f| f == hash),
            "`{}`: the recorded hash differs from the fingerprint",
            self.name
        );
        self.recorder.record(Call::new(self.name, args, hash));
        result
    }

    fn is_safe(&self) -> bool {
        self.inner.is_safe()
    }
}

fn sorted_args(args: &HashMap<String, Json>) -> Vec<(String, Json)> {
    let mut v: Vec<(String, Json)> = args.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

pub fn hash_result(r: &tera::Result<Json>) -> u64 {
    let mut h = hasher();
    match r {
        Ok(v) => hash_json(v, &mut h),
        Err(e) => {
            1u8.hash(&mut h);
            e.to_string().hash(&mut h);
        }
    }
    h.finish()
}

/// The template functions of one build, by name, to evaluate recorded calls again.
pub type FunctionTable = HashMap<&'static str, Arc<dyn Keyed>>;

#[derive(Debug)]
struct Entry {
    output: Arc<str>,
    calls: Vec<Call>,
    /// Debug builds: the hash of the whole context, to check that the render key (made of
    /// the inputs the context is built from) misses none of them.
    check: Option<u64>,
}

/// What the previous build loaded, reused by the next one where its inputs are the same.
#[derive(Default)]
pub struct LoadCache {
    /// What the preview's watcher saw change since the last build read the content.
    changed: Changed,
    /// Whether a watcher reports changes ([`LoadCache::watched`]).
    watched: bool,
    pub templates: crate::templates::TemplateCache,
    pub files: crate::content::walk::FileCache,
    /// Rendered Markdown (with its diagnostics) by a hash of everything it depends on; only
    /// for texts without shortcodes, whose output can depend on the whole site.
    pub markdown: foldhash::HashMap<u64, MarkdownResult>,
    /// Files whose Markdown the last build rendered (the others were reused).
    pub markdown_rendered: usize,
    /// Each practice's check, by a hash of its file, the config and the vocabulary.
    pub practices: foldhash::HashMap<u64, crate::practice::Checked>,
    /// The vocabulary, by a hash of its files.
    pub vocabulary: crate::vocabulary::VocabularyCache,
}

/// Paths (relative to the site's root) seen changed by a watcher.
#[derive(Default)]
enum Changed {
    /// Not known: every file is read.
    #[default]
    Unknown,
    /// Only these changed: the other files are not read again.
    Known(foldhash::HashSet<std::path::PathBuf>),
}

impl LoadCache {
    /// A cache for builds whose caller watches the site and reports every change with
    /// [`LoadCache::saw`] (or [`LoadCache::lost_track`]): the files it did not report are not
    /// read again.
    pub fn watched() -> LoadCache {
        LoadCache {
            watched: true,
            ..LoadCache::default()
        }
    }

    /// `path` (relative to the site's root) changed, was created or removed.
    pub fn saw(&mut self, path: std::path::PathBuf) {
        if let Changed::Known(set) = &mut self.changed {
            set.insert(path);
        }
    }

    /// Changes may have been missed: the next build reads every file.
    pub fn lost_track(&mut self) {
        self.changed = Changed::Unknown;
    }

    /// The paths known to have changed since the last build read the content, if known.
    pub fn changed(&self) -> Option<&foldhash::HashSet<std::path::PathBuf>> {
        match &self.changed {
            Changed::Known(set) => Some(set),
            Changed::Unknown => None,
        }
    }

    /// The content was read: from now on, changes are what the watcher reports.
    pub fn content_read(&mut self) {
        self.changed = if self.watched {
            Changed::Known(Default::default())
        } else {
            Changed::Unknown
        };
    }
}

/// What rendering one file's Markdown gave.
pub type MarkdownResult = (
    Option<Arc<crate::markdown::Rendered>>,
    Vec<crate::diagnostics::Diagnostic>,
);

/// Renders of the previous build, by render key.
#[derive(Default)]
pub struct RenderCache {
    /// What loading the site produced.
    pub load: LoadCache,
    /// Hash of the templates and the config the entries were rendered with.
    generation: u64,
    entries: foldhash::HashMap<u64, Arc<Entry>>,
    /// The search indexes of the last build.
    pub search: crate::search::IndexCache,
    /// Renders reused and renders done by the last build.
    pub reused: usize,
    pub rendered: usize,
}

impl RenderCache {
    pub fn new() -> RenderCache {
        RenderCache::default()
    }

    /// A cache whose caller reports the changes it watches (see [`LoadCache::watched`]).
    pub fn watched() -> RenderCache {
        RenderCache {
            load: LoadCache::watched(),
            ..RenderCache::default()
        }
    }
}

/// One build's use of a [`RenderCache`]: lookups against the previous build, and the renders
/// of this build (which become the next cache).
pub struct Session {
    previous: foldhash::HashMap<u64, Arc<Entry>>,
    pub recorder: Arc<Recorder>,
    /// The previous build's calls (by call key) that no longer return what they returned
    /// then: after a small edit, few or none, so that most reused renders check nothing.
    changed: foldhash::HashSet<u64>,
    next: Mutex<foldhash::HashMap<u64, Arc<Entry>>>,
    reused: std::sync::atomic::AtomicUsize,
}

impl Session {
    /// Starts a build with the renders of `cache` (all of them dropped when the templates or
    /// the config changed: `generation` is their hash).
    pub fn start(
        cache: &mut RenderCache,
        generation: u64,
        recorder: Arc<Recorder>,
        functions: FunctionTable,
    ) -> Session {
        let mut previous = std::mem::take(&mut cache.entries);
        if cache.generation != generation {
            previous.clear();
        }
        // Each distinct call is evaluated again once, in parallel, before rendering.
        let mut calls: foldhash::HashMap<u64, &Call> = Default::default();
        for e in previous.values() {
            for c in &e.calls {
                calls.entry(c.key).or_insert(c);
            }
        }
        let calls: Vec<&Call> = calls.into_values().collect();
        let changed = calls
            .par_iter()
            .filter(|c| !still_returns(&functions, c))
            .map(|c| c.key)
            .collect();
        // As large as the last build's: reused renders are added without growing it.
        let next = foldhash::HashMap::with_capacity_and_hasher(previous.len(), Default::default());
        Session {
            previous,
            recorder,
            changed,
            next: Mutex::new(next),
            reused: Default::default(),
        }
    }

    /// The hash of `ctx`, whose variables are `config` (left out: it is part of the
    /// generation) and `keys`; debug builds compare it with the render key's (see
    /// [`Session::render`]) and check that `keys` are all of the context's variables.
    pub fn context_hash(template: &str, ctx: &Context, keys: &[&str]) -> u64 {
        let mut h = hasher();
        template.hash(&mut h);
        for k in keys {
            if let Some(v) = ctx.get(k) {
                k.hash(&mut h);
                hash_json(v, &mut h);
            }
        }
        let mut known = Context::new();
        for k in keys.iter().chain(&["config"]) {
            if let Some(v) = ctx.get(k) {
                known.insert(*k, v);
            }
        }
        assert!(
            &known == ctx,
            "a context variable of `{template}` is missing from the render key"
        );
        h.finish()
    }

    /// Renders through `render`, or reuses the previous build's render of the same `key` (a
    /// hash of the template and of the inputs its context is built from) if every call it
    /// made still returns the same. `check`, in debug builds, is the hash of the whole context
    /// ([`Session::context_hash`]): a reused render must have had the same.
    pub fn render(
        &self,
        key: u64,
        check: Option<u64>,
        render: impl FnOnce() -> tera::Result<String>,
    ) -> tera::Result<Arc<str>> {
        if let Some(e) = self.previous.get(&key)
            && (self.changed.is_empty() || e.calls.iter().all(|c| !self.changed.contains(&c.key)))
        {
            if let (Some(before), Some(now)) = (e.check, check) {
                assert_eq!(
                    before, now,
                    "a render key misses an input of its context (render.rs)"
                );
            }
            self.reused
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            if let Ok(mut n) = self.next.lock() {
                n.insert(key, e.clone());
            }
            return Ok(e.output.clone());
        }
        self.recorder.begin();
        let out = render().map(Arc::<str>::from);
        let calls = self.recorder.take();
        if let Ok(s) = &out
            && let Ok(mut n) = self.next.lock()
        {
            n.insert(
                key,
                Arc::new(Entry {
                    output: s.clone(),
                    calls,
                    check,
                }),
            );
        }
        out
    }

    /// Ends the build: its renders become the cache of the next one.
    pub fn finish(self, cache: &mut RenderCache, generation: u64) {
        let next = self.next.into_inner().unwrap_or_default();
        let reused = self.reused.into_inner();
        cache.rendered = next.len().saturating_sub(reused);
        cache.reused = reused;
        cache.entries = next;
        cache.generation = generation;
    }
}

pub type KeyHasher = foldhash::quality::FoldHasher<'static>;

/// The hasher of render keys and fingerprints: fast (the preview hashes every context), with
/// a fixed seed (keys are compared across builds) and 64 bits.
pub fn hasher() -> KeyHasher {
    foldhash::quality::FixedState::with_seed(0x636f_6d70_656e_6469).build_hasher()
}

/// Hashes bytes (a file's, to see whether it changed).
pub fn hash_bytes(bytes: &[u8]) -> u64 {
    let mut h = hasher();
    h.write(bytes);
    h.finish()
}

/// Does `call` return what it returned when it was recorded?
fn still_returns(functions: &FunctionTable, call: &Call) -> bool {
    let Some(f) = functions.get(call.name) else {
        return false;
    };
    if f.stable() {
        return true;
    }
    let args: HashMap<String, Json> = call.args.iter().cloned().collect();
    let now = match f.fingerprint(&args) {
        Some(h) => h,
        None => hash_result(&f.call(&args)),
    };
    now == call.result
}

/// Hashes a JSON value structurally (object keys in their order).
pub fn hash_json(v: &Json, h: &mut impl Hasher) {
    match v {
        Json::Null => 0u8.hash(h),
        Json::Bool(b) => {
            1u8.hash(h);
            b.hash(h);
        }
        Json::Number(n) => {
            2u8.hash(h);
            if let Some(i) = n.as_i64() {
                0u8.hash(h);
                i.hash(h);
            } else if let Some(u) = n.as_u64() {
                1u8.hash(h);
                u.hash(h);
            } else {
                2u8.hash(h);
                n.as_f64().map(f64::to_bits).hash(h);
            }
        }
        Json::String(s) => {
            3u8.hash(h);
            s.hash(h);
        }
        Json::Array(a) => {
            4u8.hash(h);
            a.len().hash(h);
            for x in a {
                hash_json(x, h);
            }
        }
        Json::Object(o) => {
            5u8.hash(h);
            o.len().hash(h);
            for (k, x) in o {
                k.hash(h);
                hash_json(x, h);
            }
        }
    }
}

/// Hashes text (templates and config sources, for the generation).
pub fn hash_texts<'t>(texts: impl IntoIterator<Item = &'t str>) -> u64 {
    let mut h = hasher();
    for t in texts {
        t.hash(&mut h);
    }
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Counter(Arc<Mutex<u32>>);
    impl Keyed for Counter {}
    impl Function for Counter {
        fn call(&self, _: &HashMap<String, Json>) -> tera::Result<Json> {
            Ok(Json::from(*self.0.lock().map_err(|_| "poisoned")?))
        }
    }

    #[test]
    fn a_render_is_reused_until_a_call_it_made_changes() {
        let value = Arc::new(Mutex::new(1));
        let recorder = Arc::new(Recorder::default());
        let f: Arc<dyn Keyed> = Arc::new(Counter(value.clone()));
        let recorded = Recorded {
            name: "count",
            inner: f.clone(),
            recorder: recorder.clone(),
        };
        let table: FunctionTable = [("count", f)].into_iter().collect();
        let mut cache = RenderCache::new();
        let mut renders = 0;
        let build = |cache: &mut RenderCache, renders: &mut i32| {
            let s = Session::start(cache, 7, recorder.clone(), table.clone());
            let out = s
                .render(42, None, || {
                    *renders += 1;
                    recorded.call(&HashMap::new()).map(|v| v.to_string())
                })
                .map(|out| out.to_string())
                .unwrap_or_default();
            s.finish(cache, 7);
            out
        };
        assert_eq!(build(&mut cache, &mut renders), "1");
        assert_eq!(build(&mut cache, &mut renders), "1");
        assert_eq!(renders, 1, "the second build reuses the first render");
        *value.lock().unwrap() = 2;
        assert_eq!(build(&mut cache, &mut renders), "2");
        assert_eq!(renders, 2, "a changed call result forces a render");
    }

    #[test]
    fn context_hashes_ignore_config_but_not_the_rest() {
        let mut a = Context::new();
        a.insert("config", &1);
        a.insert("page", &"x");
        let mut b = a.clone();
        b.insert("config", &2);
        let keys = ["page"];
        let hash = Session::context_hash;
        assert_eq!(hash("t", &a, &keys), hash("t", &b, &keys));
        b.insert("page", &"y");
        assert_ne!(hash("t", &a, &keys), hash("t", &b, &keys));
        assert_ne!(hash("t", &a, &keys), hash("u", &a, &keys));
    }

    #[test]
    #[should_panic(expected = "a render key misses an input of its context")]
    fn a_reused_render_whose_context_changed_is_a_bug() {
        let recorder = Arc::new(Recorder::default());
        let mut cache = RenderCache::new();
        for check in [1, 2] {
            let s = Session::start(&mut cache, 7, recorder.clone(), FunctionTable::new());
            let _ = s.render(42, Some(check), || Ok(String::new()));
            s.finish(&mut cache, 7);
        }
    }
}
