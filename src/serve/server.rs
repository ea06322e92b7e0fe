//! A small HTTP server for the preview: serves the site from memory, only from inside it,
//! with live-reload events (server-sent events).

use std::collections::BTreeMap;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use crate::MemorySite;

/// What the browser is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A new build is being served: reload the page.
    Reload,
    /// Only stylesheets changed: swap them.
    Css,
    /// The last rebuild failed: show this message over the page.
    Error(String),
    /// The search index now matches the site (it is built after the pages are served): a
    /// page that used the previous one reloads.
    Search,
}

impl Event {
    fn to_sse(&self) -> String {
        let (name, data) = match self {
            Event::Reload => ("reload", String::new()),
            Event::Css => ("css", String::new()),
            Event::Error(m) => ("error", m.clone()),
            Event::Search => ("search", String::new()),
        };
        let data: String = data.lines().map(|l| format!("data: {l}\n")).collect();
        let data = if data.is_empty() {
            "data: \n".to_string()
        } else {
            data
        };
        format!("event: {name}\n{data}\n")
    }
}

/// The site being served, and who listens for changes.
#[derive(Default)]
pub struct State {
    files: RwLock<BTreeMap<String, Arc<[u8]>>>,
    error: RwLock<Option<String>>,
    listeners: Mutex<Vec<Sender<Event>>>,
}

impl State {
    /// Replaces the served site, then tells every browser (so a reload sees the new site).
    pub fn publish(&self, files: MemorySite, event: Event) {
        self.publish_keeping(files, None, event);
    }

    /// [`State::publish`], keeping the served files below `keep/` (shared, not copied) where
    /// `files` has none of its own: `serve` publishes pages before their search index.
    pub fn publish_keeping(&self, mut files: MemorySite, keep: Option<&str>, event: Event) {
        let previous = self.files.write().ok().map(|mut served| {
            if let Some(folder) = keep {
                let prefix = format!("{folder}/");
                for (path, bytes) in served
                    .range(prefix.clone()..)
                    .take_while(|(k, _)| k.starts_with(&prefix))
                {
                    files.entry(path.clone()).or_insert_with(|| bytes.clone());
                }
            }
            std::mem::replace(&mut *served, files)
        });
        // Freeing a large site takes a while; nobody need wait.
        std::thread::spawn(move || drop(previous));
        if let Ok(mut e) = self.error.write() {
            *e = None;
        }
        self.broadcast(event);
    }

    /// Replaces the served files below `folder/` with `files`, then tells every browser.
    pub fn replace_below(&self, folder: &str, files: MemorySite, event: Event) {
        let prefix = format!("{folder}/");
        if let Ok(mut f) = self.files.write() {
            f.retain(|k, _| !k.starts_with(&prefix));
            f.extend(files);
        }
        self.broadcast(event);
    }

    /// Keeps serving the last good site and shows `message` in the browsers.
    pub fn fail(&self, message: String) {
        if let Ok(mut e) = self.error.write() {
            *e = Some(message.clone());
        }
        self.broadcast(Event::Error(message));
    }

    fn broadcast(&self, event: Event) {
        if let Ok(mut l) = self.listeners.lock() {
            l.retain(|tx| tx.send(event.clone()).is_ok());
        }
    }

    fn subscribe(&self) -> Receiver<Event> {
        let (tx, rx) = channel();
        if let Some(Some(e)) = self.error.read().ok().map(|e| e.clone()) {
            let _ = tx.send(Event::Error(e));
        }
        if let Ok(mut l) = self.listeners.lock() {
            l.push(tx);
        }
        rx
    }

    pub fn get(&self, path: &str) -> Option<Arc<[u8]>> {
        self.files.read().ok()?.get(path).cloned()
    }

    pub fn has(&self, path: &str) -> bool {
        self.files
            .read()
            .map(|f| f.contains_key(path))
            .unwrap_or(false)
    }
}

/// Why a request path is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    BadRequest,
    NotFound,
}

/// Maps a request target to a file of the site (`a/b/` → `a/b/index.html`), refusing anything
/// that could name a file outside it.
pub fn resolve(target: &str) -> Result<String, Refused> {
    let path = target.split(['?', '#']).next().unwrap_or("");
    if !path.starts_with('/') {
        return Err(Refused::BadRequest);
    }
    let decoded = percent_encoding::percent_decode_str(path)
        .decode_utf8()
        .map_err(|_| Refused::BadRequest)?;
    if decoded.contains('\0') || decoded.contains('\\') {
        return Err(Refused::BadRequest);
    }
    let mut parts = Vec::new();
    for seg in decoded.split('/') {
        match seg {
            "" => {}
            "." | ".." => return Err(Refused::NotFound),
            s if s.contains(':') => return Err(Refused::NotFound),
            s => parts.push(s),
        }
    }
    let joined = parts.join("/");
    if joined.is_empty() {
        Ok("index.html".into())
    } else if decoded.ends_with('/') {
        Ok(format!("{joined}/index.html"))
    } else {
        Ok(joined)
    }
}

pub fn content_type(path: &str) -> &'static str {
    let ext = path
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "xml" => "application/xml; charset=utf-8",
        "txt" => "text/plain; charset=utf-8",
        "csv" => "text/csv; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "wasm" => "application/wasm",
        "woff2" => "font/woff2",
        "pdf" => "application/pdf",
        _ => "application/octet-stream",
    }
}

pub const EVENTS_PATH: &str = "/__compendium/events";
pub const SCRIPT_PATH: &str = "/__compendium/livereload.js";
const SCRIPT: &str = include_str!("livereload.js");

/// Adds the live-reload script to an HTML page.
pub fn inject(html: &[u8]) -> Vec<u8> {
    let tag = format!("<script src=\"{SCRIPT_PATH}\" defer></script>");
    let text = String::from_utf8_lossy(html);
    match text.rfind("</body>") {
        Some(i) => format!("{}{tag}{}", &text[..i], &text[i..]).into_bytes(),
        None => format!("{text}{tag}").into_bytes(),
    }
}

/// What is percent-encoded in a `Location` path (besides non-ASCII characters).
const LOCATION: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}');

fn header(name: &str, value: &str) -> tiny_http::Header {
    tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()).expect("valid header")
}

/// Streams server-sent events on the raw connection, flushing each one, until the browser
/// goes away.
fn stream_events(state: &State, request: tiny_http::Request) {
    use std::io::Write;
    let rx = state.subscribe();
    let mut out = request.into_writer();
    let head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\nConnection: close\r\n\r\nretry: 500\n\n";
    if out
        .write_all(head.as_bytes())
        .and_then(|_| out.flush())
        .is_err()
    {
        return;
    }
    loop {
        let chunk = match rx.recv_timeout(Duration::from_secs(15)) {
            Ok(e) => e.to_sse(),
            // A comment keeps the connection alive and finds closed ones.
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => ": ping\n\n".to_string(),
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => return,
        };
        if out
            .write_all(chunk.as_bytes())
            .and_then(|_| out.flush())
            .is_err()
        {
            return;
        }
    }
}

/// Answers one request.
pub fn handle(state: &State, request: tiny_http::Request) {
    let no_store = header("Cache-Control", "no-store");
    if !matches!(
        request.method(),
        tiny_http::Method::Get | tiny_http::Method::Head
    ) {
        let _ = request.respond(
            tiny_http::Response::from_string("method not allowed")
                .with_status_code(405)
                .with_header(no_store),
        );
        return;
    }
    let url = request.url().to_string();
    if url == EVENTS_PATH {
        stream_events(state, request);
        return;
    }
    if url == SCRIPT_PATH {
        let r = tiny_http::Response::from_string(SCRIPT)
            .with_header(header("Content-Type", "text/javascript; charset=utf-8"))
            .with_header(no_store);
        let _ = request.respond(r);
        return;
    }
    let path = match resolve(&url) {
        Ok(p) => p,
        Err(Refused::BadRequest) => {
            let _ = request.respond(
                tiny_http::Response::from_string("bad request")
                    .with_status_code(400)
                    .with_header(no_store),
            );
            return;
        }
        Err(Refused::NotFound) => {
            not_found(state, request);
            return;
        }
    };
    // `/a/b` names a folder: send the browser to `/a/b/`, as static hosts do.
    if !state.has(&path) && state.has(&format!("{path}/index.html")) {
        // Encoded again: a header holds ASCII only (`/café` made the header, and the request,
        // fail; found by the `serve_path` fuzz target).
        let location = format!(
            "/{}/",
            percent_encoding::utf8_percent_encode(&path, LOCATION)
        );
        let _ = request.respond(
            tiny_http::Response::empty(301)
                .with_header(header("Location", &location))
                .with_header(no_store),
        );
        return;
    }
    match state.get(&path) {
        Some(bytes) => {
            let ctype = content_type(&path);
            let body = if ctype.starts_with("text/html") {
                inject(&bytes)
            } else {
                bytes.to_vec()
            };
            let r = tiny_http::Response::from_data(body)
                .with_header(header("Content-Type", ctype))
                .with_header(no_store);
            let _ = request.respond(r);
        }
        None => not_found(state, request),
    }
}

fn not_found(state: &State, request: tiny_http::Request) {
    let body = state
        .get("404.html")
        .map(|b| inject(&b))
        .unwrap_or_else(|| b"not found".to_vec());
    let r = tiny_http::Response::from_data(body)
        .with_status_code(404)
        .with_header(header("Content-Type", "text/html; charset=utf-8"))
        .with_header(header("Cache-Control", "no-store"));
    let _ = request.respond(r);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_inside_the_site_only() {
        assert_eq!(resolve("/"), Ok("index.html".into()));
        assert_eq!(
            resolve("/en/practices/"),
            Ok("en/practices/index.html".into())
        );
        assert_eq!(resolve("/style.css?v=2"), Ok("style.css".into()));
        assert_eq!(resolve("/caf%C3%A9/"), Ok("café/index.html".into()));
        assert_eq!(resolve("/../etc/passwd"), Err(Refused::NotFound));
        assert_eq!(resolve("/%2e%2e/%2e%2e/etc/passwd"), Err(Refused::NotFound));
        assert_eq!(resolve("/a/%2E%2E/b"), Err(Refused::NotFound));
        assert_eq!(resolve("/a%00b"), Err(Refused::BadRequest));
        assert_eq!(resolve("/a%5c..%5cb"), Err(Refused::BadRequest));
        assert_eq!(resolve("/%ff"), Err(Refused::BadRequest));
        assert_eq!(resolve("http://evil/x"), Err(Refused::BadRequest));
        assert_eq!(resolve("/c:/windows"), Err(Refused::NotFound));
    }

    #[test]
    fn sse_framing() {
        assert_eq!(Event::Reload.to_sse(), "event: reload\ndata: \n\n");
        assert_eq!(
            Event::Error("a\nb".into()).to_sse(),
            "event: error\ndata: a\ndata: b\n\n"
        );
    }

    #[test]
    fn injects_before_body_end() {
        let out = String::from_utf8(inject(b"<html><body><p>x</p></body></html>")).expect("utf8");
        assert!(out.contains(
            "<p>x</p><script src=\"/__compendium/livereload.js\" defer></script></body>"
        ));
    }
}
