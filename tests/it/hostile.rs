//! The hostile corpus (`tests/fixtures/hostile/`): content written to run script in a reader's
//! browser, read files outside the site or write outside the output folder. Every attempt is
//! reported with its file and line, and none succeeds.

use std::path::Path;

use crate::{fixture, run};

/// Copies the fixture into a fresh folder (inputs that git cannot hold well are added there).
fn copy_site(to: &Path) {
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).expect("mkdir");
        for e in std::fs::read_dir(from).expect("read_dir") {
            let e = e.expect("entry");
            let target = to.join(e.file_name());
            if e.file_type().expect("type").is_dir() {
                copy(&e.path(), &target);
            } else {
                std::fs::copy(e.path(), &target).expect("copy");
            }
        }
    }
    copy(&fixture("hostile"), to);
}

fn page(title: &str, body: &str) -> String {
    format!("+++\ntitle = \"{title}\"\n+++\n{body}")
}

fn check(root: &Path) -> (i32, String) {
    let (code, _, stderr) = run(&["check", "--root", root.to_str().expect("utf8")], root);
    (code, stderr)
}

#[test]
fn every_hostile_input_is_reported_with_its_file_and_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let site = dir.path().join("site");
    copy_site(&site);
    // Tested on its own below: a broken template stops the build before Markdown is rendered.
    std::fs::remove_file(site.join("templates/shortcodes/recurse.html")).expect("rm");
    let errors = site.join("content/errors");
    // Generated inputs: invalid UTF-8, a file over `max_file_size`, block quotes nested
    // 100,000 deep.
    std::fs::write(errors.join("latin1.md"), b"+++\ntitle = \"caf\xe9\"\n+++\n").expect("write");
    std::fs::write(errors.join("huge.md"), page("huge", &"a".repeat(4_100_000))).expect("write");
    std::fs::write(
        errors.join("quotes.md"),
        page("q", &format!("{} deep\n", ">".repeat(100_000))),
    )
    .expect("write");
    let (code, stderr) = check(&site);
    assert_eq!(code, 1, "{stderr}");
    for expected in [
        "content/errors/_index.md:3:12: error: `aliases` = `../../outside-section` is refused",
        "content/errors/aliases.md:3:21: error: `aliases` = `../../../tmp/x` is refused",
        "content/errors/path.md:3:8: error: `path` = `../../x` is refused",
        "content/errors/slug.md:3:8: error: `slug` = `../x` is refused",
        "content/errors/attribute.md:3:8: error: `path` = ",
        "content/errors/at-link.md:4:18: error: internal link `@/../../x.md` refused",
        "content/errors/load-data.md:4:4: error: shortcode `read` failed",
        "`load_data`: `../../etc/passwd` is refused",
        "content/errors/links.md:4:1: error: link to a `javascript:` URL refused",
        "content/errors/links.md:6:1: error: link to a `javascript:` URL refused",
        "content/errors/links.md:8:1: error: link to a `javascript:` URL refused",
        "content/errors/links.md:10:1: error: link to a `javascript:` URL refused",
        "content/errors/links.md:12:1: error: link to a `vbscript:` URL refused",
        "content/errors/links.md:14:1: error: image to a `data:` URL refused",
        "content/errors/links.md:16:1: error: link to a `javascript:` URL refused",
        "content/errors/links.md:18:1: error: link to a `javascript:` URL refused",
        "content/errors/latin1.md:2:13: error: the file is not valid UTF-8",
        "content/errors/huge.md:1:1: error: the file is 3.9 MB; content files are limited to 3.8 MB (4000000 bytes)",
        "content/errors/quotes.md:4:1: error: block quotes or lists nested more than 100 deep",
        "content/practices/raw-html.md:6:1: warning: raw HTML `<script>",
        "content/practices/raw-html.md:8:26: warning: raw HTML `<img src=\"x.png\" onerror=",
        "content/practices/raw-html.md:10:1: warning: raw HTML `<div onclick=",
        "content/practices/raw-html.md:12:1: warning: raw HTML `<iframe",
    ] {
        assert!(
            stderr.contains(expected),
            "missing `{expected}` in:\n{stderr}"
        );
    }
    // The file was never read.
    assert!(!stderr.contains("root:"), "{stderr}");
}

#[test]
fn a_template_that_includes_itself_is_an_error_not_a_stack_overflow() {
    let dir = tempfile::tempdir().expect("tempdir");
    let site = dir.path().join("site");
    copy_site(&site);
    let (code, stderr) = check(&site);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains(
            "templates/shortcodes/recurse.html:1:1: error: template `shortcodes/recurse.html` includes itself"
        ),
        "{stderr}"
    );
}

#[test]
fn symlinks_out_of_the_site_are_refused_and_never_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let secret = dir.path().join("secret.txt");
    std::fs::write(&secret, "TOP SECRET").expect("write");
    let secret_dir = dir.path().join("secret-dir");
    std::fs::create_dir_all(&secret_dir).expect("mkdir");
    std::fs::write(secret_dir.join("leak.md"), page("leak", "TOP SECRET")).expect("write");
    for (link, target) in [
        ("content/practices/leak.md", &secret),
        ("content/leaked", &secret_dir),
        ("static/leak.txt", &secret),
    ] {
        let site = dir.path().join(format!("site-{}", link.replace('/', "-")));
        copy_site(&site);
        std::fs::remove_dir_all(site.join("content/errors")).expect("rm");
        std::fs::remove_file(site.join("templates/shortcodes/recurse.html")).expect("rm");
        std::fs::create_dir_all(site.join("static")).expect("mkdir");
        std::os::unix::fs::symlink(target, site.join(link)).expect("symlink");
        let out = site.join("public");
        let (code, _, stderr) = run(
            &[
                "build",
                "--root",
                ".",
                "--output-dir",
                out.to_str().expect("utf8"),
            ],
            &site,
        );
        assert_eq!(code, 1, "{link}: {stderr}");
        assert!(
            stderr.contains(&format!(
                "{link}:1:1: error: symbolic link pointing outside the site"
            )),
            "{link}: {stderr}"
        );
        assert!(!out.exists(), "{link}: nothing is written");
    }
    // load_data on a symbolic link out of the site.
    let site = dir.path().join("site-load-data");
    copy_site(&site);
    std::fs::remove_dir_all(site.join("content/errors")).expect("rm");
    std::fs::remove_file(site.join("templates/shortcodes/recurse.html")).expect("rm");
    std::fs::create_dir_all(site.join("data")).expect("mkdir");
    std::os::unix::fs::symlink(&secret, site.join("data/leak.txt")).expect("symlink");
    std::fs::write(
        site.join("content/load.md"),
        page("load", "{{ read(path=\"data/leak.txt\") }}\n"),
    )
    .expect("write");
    let (code, stderr) = check(&site);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("content/load.md:4:4: error: shortcode `read` failed")
            && stderr.contains("is a symbolic link pointing outside the site"),
        "{stderr}"
    );
    assert!(!stderr.contains("TOP SECRET"), "{stderr}");
}

/// The warn-and-escape inputs (and pathological but legal ones) build; the site has no script
/// from content, no event handler, no script or data URL, and nothing is written elsewhere.
#[test]
fn the_escaped_site_has_no_script_and_writes_only_its_output() {
    let dir = tempfile::tempdir().expect("tempdir");
    let site = dir.path().join("site");
    copy_site(&site);
    std::fs::remove_dir_all(site.join("content/errors")).expect("rm");
    std::fs::remove_file(site.join("templates/shortcodes/recurse.html")).expect("rm");
    // Legal but pathological: a 1 MB line, 100,000 footnotes.
    std::fs::write(
        site.join("content/line.md"),
        page("line", &"word ".repeat(200_000)),
    )
    .expect("write");
    let notes: String = (0..100_000)
        .map(|i| format!("n[^{i}]\n"))
        .collect::<String>()
        + &(0..100_000)
            .map(|i| format!("\n[^{i}]: f\n"))
            .collect::<String>();
    std::fs::write(site.join("content/notes.md"), page("notes", &notes)).expect("write");
    let before: Vec<_> = std::fs::read_dir(dir.path())
        .expect("ls")
        .map(|e| e.expect("entry").file_name())
        .collect();
    let out = dir.path().join("public");
    let (code, _, stderr) = run(
        &[
            "build",
            "--root",
            "site",
            "--output-dir",
            out.to_str().expect("utf8"),
        ],
        dir.path(),
    );
    assert_eq!(code, 0, "{stderr}");
    let mut after: Vec<_> = std::fs::read_dir(dir.path())
        .expect("ls")
        .map(|e| e.expect("entry").file_name())
        .collect();
    after.retain(|n| n != "public");
    assert_eq!(before, after, "only the output folder is new");
    assert_hostile_free(&out);
    let practice =
        std::fs::read_to_string(out.join("practices/raw-html/index.html")).expect("read");
    assert!(
        practice.contains("&lt;script&gt;window.__pwned"),
        "{practice}"
    );
    let trusted = std::fs::read_to_string(out.join("trusted/sanitised/index.html")).expect("read");
    assert!(
        trusted.contains("<abbr title=\"Harbour Office\">HO</abbr>"),
        "{trusted}"
    );
    assert!(trusted.contains("<p>kept</p>"), "{trusted}");
}

/// No `<script>` but JSON data (which must parse), no `on…` attribute, no script or data URL.
pub fn assert_hostile_free(out: &Path) {
    let mut checked = 0;
    for e in walkdir::WalkDir::new(out) {
        let e = e.expect("entry");
        if e.path().extension().is_none_or(|x| x != "html") {
            continue;
        }
        checked += 1;
        let html = std::fs::read_to_string(e.path()).expect("read");
        let doc = scraper::Html::parse_document(&html);
        let all = scraper::Selector::parse("*").expect("selector");
        for el in doc.select(&all) {
            let v = el.value();
            if v.name() == "script" {
                assert_eq!(
                    v.attr("type"),
                    Some("application/ld+json"),
                    "{}",
                    e.path().display()
                );
                let text: String = el.text().collect();
                serde_json::from_str::<serde_json::Value>(&text).expect("JSON-LD parses");
            }
            for bad in ["iframe", "object", "embed", "style", "svg"] {
                assert_ne!(v.name(), bad, "{}", e.path().display());
            }
            for (name, value) in v.attrs() {
                assert!(!name.starts_with("on"), "{name} in {}", e.path().display());
                let value = value.trim().to_ascii_lowercase();
                for scheme in ["javascript:", "vbscript:", "data:"] {
                    assert!(
                        !value.starts_with(scheme),
                        "{name}={value} in {}",
                        e.path().display()
                    );
                }
            }
        }
    }
    assert!(checked >= 5, "{checked} pages checked");
}
