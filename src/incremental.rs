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
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};
use std::thread::ThreadId;

use serde_json::Value as Json;
use tera::{Context, Function};

/// One template-function call, as recorded.
#[derive(Debug, Clone)]
pub struct Call {
    pub name: &'static str,
    pub args: Vec<(String, Json)>,
    /// Hash of what the call returned (or of its error).
    pub result: u64,
}

impl Call {
    fn key(&self) -> u64 {
        let mut h = std::hash::DefaultHasher::new();
        self.name.hash(&mut h);
        for (k, v) in &self.args {
            k.hash(&mut h);
            hash_json(v, &mut h);
        }
        h.finish()
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
    pub inner: Arc<dyn Function>,
    pub recorder: Arc<Recorder>,
}

impl Function for Recorded {
    fn call(&self, args: &HashMap<String, Json>) -> tera::Result<Json> {
        let result = self.inner.call(args);
        self.recorder.record(Call {
            name: self.name,
            args: sorted_args(args),
            result: hash_result(&result),
        });
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

fn hash_result(r: &tera::Result<Json>) -> u64 {
    let mut h = std::hash::DefaultHasher::new();
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
pub type FunctionTable = HashMap<&'static str, Arc<dyn Function>>;

#[derive(Debug, Clone)]
struct Entry {
    output: String,
    calls: Vec<Call>,
}

/// Renders of the previous build, by render key.
#[derive(Default)]
pub struct RenderCache {
    /// Hash of the templates and the config the entries were rendered with.
    generation: u64,
    entries: HashMap<u64, Entry>,
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
}

/// One build's use of a [`RenderCache`]: lookups against the previous build, and the renders
/// of this build (which become the next cache).
pub struct Session {
    previous: HashMap<u64, Entry>,
    pub recorder: Arc<Recorder>,
    functions: FunctionTable,
    /// Recorded calls evaluated again in this build: call key → result hash.
    evaluated: Mutex<HashMap<u64, u64>>,
    next: Mutex<HashMap<u64, Entry>>,
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
        Session {
            previous,
            recorder,
            functions,
            evaluated: Mutex::new(HashMap::new()),
            next: Mutex::new(HashMap::new()),
            reused: Default::default(),
        }
    }

    /// The key of rendering `template` with `ctx`, whose variables are `config` (left out: it
    /// is part of the generation) and `keys`. Debug builds check that `keys` are all of them.
    pub fn key(template: &str, ctx: &Context, keys: &[&str]) -> u64 {
        let mut h = std::hash::DefaultHasher::new();
        template.hash(&mut h);
        for k in keys {
            if let Some(v) = ctx.get(k) {
                k.hash(&mut h);
                hash_json(v, &mut h);
            }
        }
        if cfg!(debug_assertions) {
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
        }
        h.finish()
    }

    /// Renders `template` with `ctx` through `render`, or reuses the previous build's render.
    pub fn render(
        &self,
        key: u64,
        render: impl FnOnce() -> tera::Result<String>,
    ) -> tera::Result<String> {
        if let Some(e) = self.previous.get(&key)
            && e.calls.iter().all(|c| self.still(c))
        {
            self.reused
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            if let Ok(mut n) = self.next.lock() {
                n.insert(key, e.clone());
            }
            return Ok(e.output.clone());
        }
        self.recorder.begin();
        let out = render();
        let calls = self.recorder.take();
        if let Ok(s) = &out
            && let Ok(mut n) = self.next.lock()
        {
            n.insert(
                key,
                Entry {
                    output: s.clone(),
                    calls,
                },
            );
        }
        out
    }

    /// Does this call return what it returned before?
    fn still(&self, call: &Call) -> bool {
        let key = call.key();
        if let Some(r) = self
            .evaluated
            .lock()
            .ok()
            .and_then(|m| m.get(&key).copied())
        {
            return r == call.result;
        }
        let Some(f) = self.functions.get(call.name) else {
            return false;
        };
        let args: HashMap<String, Json> = call.args.iter().cloned().collect();
        let r = hash_result(&f.call(&args));
        if let Ok(mut m) = self.evaluated.lock() {
            m.insert(key, r);
        }
        r == call.result
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
            n.to_string().hash(h);
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
    let mut h = std::hash::DefaultHasher::new();
    for t in texts {
        t.hash(&mut h);
    }
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Counter(Arc<Mutex<u32>>);
    impl Function for Counter {
        fn call(&self, _: &HashMap<String, Json>) -> tera::Result<Json> {
            Ok(Json::from(*self.0.lock().map_err(|_| "poisoned")?))
        }
    }

    #[test]
    fn a_render_is_reused_until_a_call_it_made_changes() {
        let value = Arc::new(Mutex::new(1));
        let recorder = Arc::new(Recorder::default());
        let f: Arc<dyn Function> = Arc::new(Counter(value.clone()));
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
                .render(42, || {
                    *renders += 1;
                    recorded.call(&HashMap::new()).map(|v| v.to_string())
                })
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
    fn context_keys_ignore_config_but_not_the_rest() {
        let mut a = Context::new();
        a.insert("config", &1);
        a.insert("page", &"x");
        let mut b = a.clone();
        b.insert("config", &2);
        let keys = ["page"];
        assert_eq!(Session::key("t", &a, &keys), Session::key("t", &b, &keys));
        b.insert("page", &"y");
        assert_ne!(Session::key("t", &a, &keys), Session::key("t", &b, &keys));
        assert_ne!(Session::key("t", &a, &keys), Session::key("u", &a, &keys));
    }
}
