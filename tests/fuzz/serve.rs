//! Target `serve_path`: how `compendium serve` maps a request target to a file of the
//! in-memory site (`serve::server::resolve`), alone and through `serve::server::handle` on a
//! real socket (127.0.0.1).
//!
//! Invariants: nothing panics; a resolved path is relative, has no empty, `.` or `..`
//! segment, no NUL, backslash or colon, and only normal components; the documented
//! behaviour holds (README: "`..`, encoded dots, NUL bytes, backslashes → 400/404"): a target
//! that does not start with `/`, or decodes to invalid UTF-8, a NUL or a backslash is a 400;
//! one with a `.`, `..` or drive-like segment is a 404; anything else is the file, a redirect
//! to its folder, or the site's 404 page. Every request gets an answer.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Component, Path};
use std::sync::Arc;
use std::time::Duration;

use proptest::prelude::*;

use compendium::serve::server::{self, Event, Refused, State};

use crate::harness::{ensure, fuzz, seed_bytes};
use crate::inputs::{deep, mutated, seed, soup};

pub const TARGET: &str = "serve_path";

#[rustfmt::skip]
const TOKENS: &[&str] = &[
    "/", "//", "..", ".", "%2e", "%2E", "%2e%2e", ".%2e", "%2f", "%2F", "%5c", "%5C", "\\", "%00",
    "\0", "?", "#", "%", "%ff", "%c3%a9", "%C3%A9", "é", "a", "index.html", "en", "practices",
    "practices/", ":", "c:", "%3a", "%3A", "~", " ", "%20", "http://x", "%252e", "%u002e", "%%",
    "%2", "%g0", "style.css", "café", "caf%C3%A9", "__compendium", "livereload.js", "404.html", ";",
    "&", "=", "%0a", "%0d", "\r\n", "%c0%ae", "%e0%80%ae", "\u{2024}", "\u{ff0e}", "%ef%bc%8e",
    "a%20b", "/../", "/./", "/%2e%2e/", "/..%2f", "/..%5c", "en/", "/en/practices",
];

const DEEP: &[&str] = &["/", "../", "%2e%2e/", "a/", "%", "%25", "?"];

pub fn strategy() -> impl Strategy<Value = String> {
    let base = prop_oneof![
        6 => soup(TOKENS, 24).prop_map(|mut b| {
            // Request targets start with `/` more often than not.
            if b.first() != Some(&b'/') && !b.len().is_multiple_of(4) {
                b.insert(0, b'/');
            }
            b
        }),
        3 => seed(seed_bytes(TARGET)),
        1 => deep(DEEP).prop_map(|mut b| {
            b.truncate(8_000);
            b
        }),
    ];
    mutated(base, TOKENS, 4).prop_map(|b| String::from_utf8_lossy(&b).into_owned())
}

/// The documented behaviour, written independently of `resolve`.
fn expected(target: &str) -> Result<String, Refused> {
    let end = target.find(['?', '#']).unwrap_or(target.len());
    let path = &target[..end];
    if !path.starts_with('/') {
        return Err(Refused::BadRequest);
    }
    let raw = path.as_bytes();
    let mut bytes = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if raw[i] == b'%'
            && i + 2 < raw.len()
            && let (Some(h), Some(l)) = (hex(raw[i + 1]), hex(raw[i + 2]))
        {
            bytes.push((h * 16 + l) as u8);
            i += 3;
        } else {
            bytes.push(raw[i]);
            i += 1;
        }
    }
    let Ok(decoded) = String::from_utf8(bytes) else {
        return Err(Refused::BadRequest);
    };
    if decoded.contains(['\0', '\\']) {
        return Err(Refused::BadRequest);
    }
    let segments: Vec<&str> = decoded.split('/').filter(|s| !s.is_empty()).collect();
    if segments
        .iter()
        .any(|s| *s == "." || *s == ".." || s.contains(':'))
    {
        return Err(Refused::NotFound);
    }
    let joined = segments.join("/");
    Ok(if joined.is_empty() {
        "index.html".to_string()
    } else if decoded.ends_with('/') {
        format!("{joined}/index.html")
    } else {
        joined
    })
}

fn check_resolved(p: &str) -> Result<(), String> {
    ensure(
        !p.is_empty()
            && !p.starts_with('/')
            && !p.contains(['\0', '\\', ':'])
            && p.split('/').all(|s| !s.is_empty() && s != "." && s != "..")
            && Path::new(p)
                .components()
                .all(|c| matches!(c, Component::Normal(_))),
        || format!("resolved path {p:?} could leave the site"),
    )
}

const SITE: &[(&str, &str)] = &[
    ("index.html", "<html><body>home</body></html>"),
    ("404.html", "<html><body>missing</body></html>"),
    ("style.css", "body{}"),
    ("en/index.html", "<html><body>en</body></html>"),
    (
        "en/practices/index.html",
        "<html><body>practices</body></html>",
    ),
    ("café/index.html", "<html><body>café</body></html>"),
    ("a b/index.html", "<html><body>space</body></html>"),
    ("data/practices.json", "[]"),
];

pub struct Env {
    state: Arc<State>,
    address: SocketAddr,
}

impl Env {
    pub fn new() -> Env {
        let state = Arc::new(State::default());
        let files: compendium::MemorySite = SITE
            .iter()
            .map(|(k, v)| (k.to_string(), v.as_bytes().into()))
            .collect();
        state.publish(files, Event::Reload);
        let http = tiny_http::Server::http("127.0.0.1:0").expect("listen");
        let address = http.server_addr().to_ip().expect("ip address");
        let served = state.clone();
        std::thread::spawn(move || {
            for request in http.incoming_requests() {
                let state = served.clone();
                std::thread::spawn(move || server::handle(&state, request));
            }
        });
        Env { state, address }
    }

    /// Sends `GET target`; returns the status, the head and the body.
    fn get(&self, target: &str) -> Result<(u16, String, Vec<u8>), String> {
        let mut stream = TcpStream::connect(self.address).map_err(|e| e.to_string())?;
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .map_err(|e| e.to_string())?;
        write!(
            stream,
            "GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        )
        .map_err(|e| e.to_string())?;
        let mut response = Vec::new();
        stream
            .read_to_end(&mut response)
            .map_err(|e| format!("GET {target:?}: no complete answer: {e}"))?;
        let head_end = response
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .ok_or_else(|| format!("GET {target:?}: no answer ({} bytes)", response.len()))?;
        let head = String::from_utf8_lossy(&response[..head_end]).into_owned();
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| format!("GET {target:?}: bad status line in {head:?}"))?;
        Ok((status, head, response[head_end + 4..].to_vec()))
    }
}

/// Whether `target` can be sent as it is on a request line.
fn sendable(target: &str) -> bool {
    !target.is_empty()
        && target.len() < 4_000
        && target.bytes().all(|b| b.is_ascii_graphic())
        && target != server::EVENTS_PATH
        && target != server::SCRIPT_PATH
}

pub fn check(env: &Env, target: &str) -> Result<(), String> {
    let resolved = server::resolve(target);
    ensure(resolved == expected(target), || {
        format!(
            "resolve({target:?}) = {resolved:?}, documented: {:?}",
            expected(target)
        )
    })?;
    if let Ok(p) = &resolved {
        check_resolved(p)?;
        let _ = server::content_type(p);
    }
    if !sendable(target) {
        return Ok(());
    }
    let (status, head, body) = env.get(target)?;
    let want = match &resolved {
        Err(Refused::BadRequest) => 400,
        Err(Refused::NotFound) => 404,
        Ok(p) if !env.state.has(p) && env.state.has(&format!("{p}/index.html")) => 301,
        Ok(p) if env.state.has(p) => 200,
        Ok(_) => 404,
    };
    ensure(status == want, || {
        format!("GET {target:?}: {status}, expected {want} ({resolved:?})")
    })?;
    if let (301, Ok(p)) = (status, &resolved) {
        let location = head
            .lines()
            .find_map(|l| l.strip_prefix("Location: "))
            .map(|l| {
                percent_encoding::percent_decode_str(l)
                    .decode_utf8_lossy()
                    .into_owned()
            });
        ensure(location.as_deref() == Some(&format!("/{p}/")), || {
            format!("GET {target:?}: redirected to {location:?}")
        })?;
    }
    if let (200, Ok(p)) = (status, &resolved) {
        let file = env.state.get(p).map(|b| b.to_vec()).unwrap_or_default();
        ensure(body.starts_with(&file[..file.len().min(12)]), || {
            format!("GET {target:?} did not serve {p}")
        })?;
    }
    if status == 404 && !matches!(resolved, Err(Refused::BadRequest)) {
        ensure(String::from_utf8_lossy(&body).contains("missing"), || {
            format!("GET {target:?}: 404 without the site's 404 page")
        })?;
    }
    Ok(())
}

#[test]
fn serve_path() {
    let env = Env::new();
    fuzz(TARGET, 256, strategy(), |target: &String| {
        check(&env, target)
    });
}

#[test]
fn inject_and_content_type_take_any_bytes() {
    proptest!(|(bytes in proptest::collection::vec(any::<u8>(), 0..200), path in ".{0,20}")| {
        let out = server::inject(&bytes);
        prop_assert!(String::from_utf8_lossy(&out).contains(server::SCRIPT_PATH));
        let _ = server::content_type(&path);
    });
}
