//! `compendium serve`: edits, creations, renames and deletions reach the browser as reload
//! events only once the new site is served, and the served site always equals a fresh build.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

use crate::fixture;

struct Server {
    child: Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(root: &Path) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_compendium"))
        .args(["serve", "--port", "0", "--root"])
        .arg(root)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start serve");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("address line");
    let url = line
        .split_whitespace()
        .nth(1)
        .expect("url")
        .trim_end_matches('/')
        .to_string();
    Server { child, url }
}

fn host(url: &str) -> String {
    url.trim_start_matches("http://").to_string()
}

/// Listens to the server's events; each event name arrives on the channel.
fn events(url: &str) -> Receiver<String> {
    let mut stream = TcpStream::connect(host(url)).expect("connect");
    write!(
        stream,
        "GET /__compendium/events HTTP/1.1\r\nHost: x\r\n\r\n"
    )
    .expect("request");
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        let reader = BufReader::new(stream);
        for line in reader.lines() {
            let Ok(line) = line else { return };
            if let Some(name) = line.strip_prefix("event: ")
                && tx.send(name.to_string()).is_err()
            {
                return;
            }
        }
    });
    rx
}

fn get(url: &str) -> (u16, Vec<u8>) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut r = agent.get(url).call().expect("request");
    let status = r.status().as_u16();
    let body = r.body_mut().read_to_vec().expect("body");
    (status, body)
}

fn strip_script(body: &[u8]) -> Vec<u8> {
    // Binary files (the search index) are served as they are.
    match std::str::from_utf8(body) {
        Ok(text) => text
            .replace(
                "<script src=\"/__compendium/livereload.js\" defer></script>",
                "",
            )
            .into_bytes(),
        Err(_) => body.to_vec(),
    }
}

/// The served site equals a fresh full build of `root` (same base URL).
fn assert_equals_fresh_build(root: &Path, url: &str) {
    let out = tempfile::tempdir().expect("tempdir");
    let target = out.path().join("public");
    let options = compendium::BuildOptions {
        base_url: Some(url.to_string()),
        ..Default::default()
    };
    compendium::build(root, &target, &options).expect("fresh build");
    for entry in walkdir::WalkDir::new(&target)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
    {
        let rel = entry
            .path()
            .strip_prefix(&target)
            .expect("prefix")
            .to_string_lossy()
            .replace('\\', "/");
        let (status, body) = get(&format!("{url}/{rel}"));
        assert_eq!(status, 200, "{rel}");
        let expected = std::fs::read(entry.path()).expect("read");
        assert_eq!(
            strip_script(&body),
            expected,
            "{rel} differs from a fresh build"
        );
    }
}

/// Waits until no event has come for a while, so that the events of one change (a save can
/// reach the watcher as two batches, hence two rebuilds) are not taken for the next change's.
fn settle(rx: &Receiver<String>) {
    while rx.recv_timeout(Duration::from_millis(1500)).is_ok() {}
}

fn wait_for(rx: &Receiver<String>, name: &str) {
    loop {
        match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(n) if n == name => return,
            Ok(_) => continue,
            Err(e) => panic!("no `{name}` event: {e}"),
        }
    }
}

#[test]
fn edits_creations_renames_and_deletions_reload_and_match_a_fresh_build() {
    let dir = tempfile::tempdir().expect("tempdir");
    crate::build::copy_dir(&fixture("small"), dir.path());
    let root = dir.path();
    std::fs::create_dir_all(root.join("static")).expect("static");
    // With a search index, which the preview brings up to date after the pages.
    let config = std::fs::read_to_string(root.join("config.toml")).expect("config");
    std::fs::write(
        root.join("config.toml"),
        format!("build_search_index = true\n{config}"),
    )
    .expect("config");
    let server = start(root);
    let rx = events(&server.url);
    std::thread::sleep(Duration::from_millis(300));
    assert_equals_fresh_build(root, &server.url);
    settle(&rx);

    // Edit: the event comes once the new text is served.
    let second = root.join("content/blog/second.md");
    let text = std::fs::read_to_string(&second)
        .expect("read")
        .replace("Fin.", "Fin, modifiée.");
    std::fs::write(&second, text).expect("write");
    wait_for(&rx, "reload");
    let (_, body) = get(&format!("{}/blog/second/", server.url));
    assert!(String::from_utf8_lossy(&body).contains("Fin, modifiée."));
    // The search index follows the pages.
    wait_for(&rx, "search");
    assert_equals_fresh_build(root, &server.url);
    settle(&rx);

    // Creation.
    std::fs::write(
        root.join("content/blog/third.md"),
        "+++\ntitle = \"Troisième\"\nweight = 4\n+++\nNouveau.\n",
    )
    .expect("write");
    wait_for(&rx, "reload");
    assert_eq!(get(&format!("{}/blog/third/", server.url)).0, 200);
    // The search index follows the pages.
    wait_for(&rx, "search");
    assert_equals_fresh_build(root, &server.url);
    settle(&rx);

    // Rename (as editors save: write a temporary file, then rename it over).
    std::fs::rename(
        root.join("content/blog/third.md"),
        root.join("content/blog/fourth.md"),
    )
    .expect("rename");
    wait_for(&rx, "reload");
    assert_eq!(get(&format!("{}/blog/third/", server.url)).0, 404);
    assert_eq!(get(&format!("{}/blog/fourth/", server.url)).0, 200);
    // The search index follows the pages.
    wait_for(&rx, "search");
    assert_equals_fresh_build(root, &server.url);
    settle(&rx);

    // Deletion.
    std::fs::remove_file(root.join("content/blog/fourth.md")).expect("remove");
    wait_for(&rx, "reload");
    assert_eq!(get(&format!("{}/blog/fourth/", server.url)).0, 404);
    // The search index follows the pages.
    wait_for(&rx, "search");
    assert_equals_fresh_build(root, &server.url);
    settle(&rx);

    // A broken file keeps the last good site and reports the error; the fix reloads.
    std::fs::write(&second, "+++\ntitle = 3\n+++\n").expect("write");
    wait_for(&rx, "error");
    let (status, body) = get(&format!("{}/blog/second/", server.url));
    assert_eq!(status, 200);
    assert!(String::from_utf8_lossy(&body).contains("Fin, modifiée."));
    settle(&rx);
    std::fs::write(
        &second,
        "+++\ntitle = \"Second\"\nweight = 2\n+++\n## Suite\n\nRéparé.\n",
    )
    .expect("write");
    wait_for(&rx, "reload");
    // The search index follows the pages.
    wait_for(&rx, "search");
    assert_equals_fresh_build(root, &server.url);
    settle(&rx);

    // An editor's swap file triggers nothing; a stylesheet only swaps styles.
    std::fs::write(root.join("content/blog/.second.md.swp"), "x").expect("write");
    std::fs::write(root.join("static/site.css"), "p { color: red }").expect("write");
    wait_for(&rx, "css");
    assert_eq!(
        get(&format!("{}/site.css", server.url)).1,
        b"p { color: red }"
    );
}

/// Sends a raw request line and returns the status code.
fn raw_status(url: &str, target: &str) -> u16 {
    let mut stream = TcpStream::connect(host(url)).expect("connect");
    write!(
        stream,
        "GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .expect("write");
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    assert!(
        !response.contains("root:x:0:0"),
        "leaked a file from outside the site: {target}"
    );
    response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

#[test]
fn path_traversal_and_malformed_requests_never_leave_the_site() {
    let server = start(&fixture("small"));
    for target in [
        "/../../../../etc/passwd",
        "/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
        "/blog/..%2f..%2f..%2fetc/passwd",
        "/..\\..\\etc\\passwd",
        "/%00",
        "/index.html%00.css",
        "/%ff%fe",
        "//etc/passwd",
        "/c:/windows/win.ini",
    ] {
        let status = raw_status(&server.url, target);
        assert!(status == 400 || status == 404, "{target}: {status}");
    }
    // Good requests: index for folders, a redirect for a folder without its slash, the site's 404.
    assert_eq!(raw_status(&server.url, "/"), 200);
    assert_eq!(raw_status(&server.url, "/blog"), 301);
    let (status, body) = get(&format!("{}/nothing-here/", server.url));
    assert_eq!(status, 404);
    assert!(!body.is_empty());
    // Every response says not to cache.
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let r = agent.get(&format!("{}/", server.url)).call().expect("get");
    assert_eq!(
        r.headers()
            .get("cache-control")
            .and_then(|v| v.to_str().ok()),
        Some("no-store")
    );
    assert_eq!(
        r.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("text/html; charset=utf-8")
    );
}

#[test]
fn many_clients_at_once() {
    let server = start(&fixture("small"));
    let handles: Vec<_> = (0..24)
        .map(|_| {
            let url = server.url.clone();
            std::thread::spawn(move || get(&format!("{url}/blog/premier/")).0)
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().expect("thread"), 200);
    }
}
