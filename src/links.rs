//! External link checking (`compendium check --external`): every distinct URL is fetched once,
//! a few at a time, with a timeout; answers are cached on disk for a day.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// Where the cache lives, inside the site.
pub const CACHE_FILE: &str = ".cache/external-links.json";
const CACHE_SECONDS: u64 = 24 * 3600;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
struct Entry {
    ok: bool,
    detail: String,
    checked: u64,
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Checks `urls`; returns the dead ones with the reason. `concurrency` requests at a time.
pub fn check_urls(
    urls: &[String],
    cache_dir: &Path,
    timeout: Duration,
    concurrency: usize,
) -> BTreeMap<String, String> {
    let cache_path = cache_dir.join(CACHE_FILE);
    let mut cache: BTreeMap<String, Entry> = std::fs::read_to_string(&cache_path)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
    let t = now();
    let mut todo: Vec<String> = urls
        .iter()
        .filter(|u| {
            cache
                .get(*u)
                .is_none_or(|e| t.saturating_sub(e.checked) > CACHE_SECONDS)
        })
        .cloned()
        .collect();
    todo.sort();
    todo.dedup();
    let queue = Mutex::new(todo);
    let results = Mutex::new(Vec::new());
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .user_agent("compendium-link-check")
        .build()
        .into();
    std::thread::scope(|s| {
        for _ in 0..concurrency.max(1) {
            s.spawn(|| {
                loop {
                    let next = queue.lock().ok().and_then(|mut q| q.pop());
                    let Some(url) = next else { break };
                    let entry = fetch(&agent, &url);
                    if let Ok(mut r) = results.lock() {
                        r.push((url, entry));
                    }
                }
            });
        }
    });
    for (url, entry) in results.into_inner().unwrap_or_default() {
        cache.insert(url, entry);
    }
    if let Some(dir) = cache_path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    if let Ok(text) = serde_json::to_string_pretty(&cache) {
        let _ = std::fs::write(&cache_path, text);
    }
    urls.iter()
        .filter_map(|u| {
            cache
                .get(u)
                .filter(|e| !e.ok)
                .map(|e| (u.clone(), e.detail.clone()))
        })
        .collect()
}

fn fetch(agent: &ureq::Agent, url: &str) -> Entry {
    let answer = match agent.head(url).call() {
        // Some servers refuse HEAD: ask again with GET.
        Ok(r) if r.status().as_u16() == 405 || r.status().as_u16() == 501 => agent.get(url).call(),
        other => other,
    };
    let (ok, detail) = match answer {
        Ok(r) if r.status().is_success() || r.status().is_redirection() => {
            (true, r.status().to_string())
        }
        Ok(r) => (false, format!("HTTP {}", r.status())),
        Err(e) => (false, e.to_string()),
    };
    Entry {
        ok,
        detail,
        checked: now(),
    }
}
