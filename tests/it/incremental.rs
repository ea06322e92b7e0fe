//! Incremental rebuilds (the preview's): after each edit of the bundled site, a build that
//! reuses the previous build's renders equals a fresh full build, and re-renders only a small
//! part of the site when one practice changes.

use std::path::Path;

use compendium::incremental::RenderCache;
use compendium::{BuildOptions, build_in_memory};

use crate::repo;

fn copy_site(to: &Path) {
    for dir in ["content", "data", "themes", "static"] {
        if repo().join(dir).is_dir() {
            crate::build::copy_dir(&repo().join(dir), &to.join(dir));
        }
    }
    std::fs::copy(repo().join("config.toml"), to.join("config.toml")).expect("config");
}

fn options() -> BuildOptions {
    BuildOptions {
        base_url: Some("http://127.0.0.1:1111".into()),
        ..Default::default()
    }
}

/// Builds incrementally with `cache`, then freshly, and compares; returns (rendered, reused).
fn step(root: &Path, cache: &mut RenderCache, what: &str) -> (usize, usize) {
    let (incremental, _) = build_in_memory(root, &options(), cache)
        .unwrap_or_else(|e| panic!("{what}: incremental build failed: {e:?}"));
    let (fresh, _) = build_in_memory(root, &options(), &mut RenderCache::new())
        .unwrap_or_else(|e| panic!("{what}: fresh build failed: {e:?}"));
    let paths = |s: &compendium::MemorySite| s.keys().cloned().collect::<Vec<_>>();
    assert_eq!(paths(&incremental), paths(&fresh), "{what}: files differ");
    for (path, bytes) in &fresh {
        assert!(
            incremental.get(path) == Some(bytes),
            "{what}: {path} differs from a fresh build"
        );
    }
    (cache.rendered, cache.reused)
}

/// Content files whose body may call a shortcode (their Markdown is never reused).
fn count_shortcode_files(dir: &Path) -> usize {
    let mut n = 0;
    for entry in std::fs::read_dir(dir).expect("read_dir").flatten() {
        let p = entry.path();
        if p.is_dir() {
            n += count_shortcode_files(&p);
        } else if p.extension().is_some_and(|e| e == "md") {
            let text = std::fs::read_to_string(&p).expect("read");
            // The body: after the closing `+++` of the front matter.
            let body = text.splitn(3, "+++").nth(2).unwrap_or("");
            if body.contains("{{") || body.contains("{%") {
                n += 1;
            }
        }
    }
    n
}

fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).expect("read");
    assert!(text.contains(from), "{} has no `{from}`", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).expect("write");
}

#[test]
fn incremental_builds_equal_fresh_builds_and_render_little() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    copy_site(root);
    let mut cache = RenderCache::new();
    let (first, reused) = step(root, &mut cache, "first build");
    assert_eq!(reused, 0, "nothing to reuse in a first build");
    let (_, all) = step(root, &mut cache, "no change");
    assert_eq!(cache.rendered, 0, "an unchanged site renders nothing");
    assert_eq!(all, first);

    let practice = root.join("content/practices/abu-dhabi-dialogue.en.md");
    // A word of the body: that page (and the lists and feeds that show its content).
    edit(&practice, "temporary contractual", "temporary, contractual");
    let (rendered, _) = step(root, &mut cache, "body edit");
    assert!(
        rendered * 10 < first,
        "a body edit re-rendered {rendered} of {first}"
    );
    // Loading reused what it had: one file parsed again, its Markdown (and only texts with
    // shortcodes besides) rendered again.
    assert_eq!(cache.load.files.parsed, 1, "files parsed again");
    let shortcodes = count_shortcode_files(&root.join("content"));
    assert_eq!(
        cache.load.markdown_rendered,
        1 + shortcodes,
        "Markdown rendered again ({shortcodes} files with shortcodes)"
    );

    // The title: lists, terms, related practices and the translations' switchers show it.
    edit(
        &practice,
        "title = \"The Abu Dhabi Dialogue",
        "title = \"The Abu Dhabi Dialogue (ADD)",
    );
    step(root, &mut cache, "title edit");

    // Another theme and a session less, in every language (translations share their facts):
    // the taxonomy pages and the matrix change.
    for lang in ["", ".en", ".es"] {
        let file = root.join(format!("content/practices/abu-dhabi-dialogue{lang}.md"));
        edit(&file, "\"skills-recognition\"", "\"remittances\"");
        edit(&file, "session = [\"2.1\", \"3.3\"]", "session = [\"2.1\"]");
    }
    step(root, &mut cache, "taxonomy edit");

    // A new practice, then renamed (a new URL), then deleted.
    let copy = root.join("content/practices/zz-new-practice.en.md");
    std::fs::copy(&practice, &copy).expect("copy");
    edit(&copy, "(ADD)", "(copy)");
    step(root, &mut cache, "creation");
    let renamed = root.join("content/practices/zz-renamed-practice.en.md");
    std::fs::rename(&copy, &renamed).expect("rename");
    step(root, &mut cache, "rename");
    std::fs::remove_file(&renamed).expect("remove");
    step(root, &mut cache, "deletion");

    // A vocabulary label (data file) and a template: everything that uses them.
    let vocabulary = root.join("data/vocabulary.toml");
    let text = std::fs::read_to_string(&vocabulary).expect("read");
    let label = text
        .lines()
        .find(|l| l.starts_with("label = { fr = \""))
        .expect("a label")
        .to_string();
    edit(
        &vocabulary,
        &label,
        &label.replacen("fr = \"", "fr = \"Nouveau ", 1),
    );
    step(root, &mut cache, "vocabulary edit");
    edit(
        &root.join("themes/default/templates/base.html"),
        "<!DOCTYPE html>",
        "<!DOCTYPE html>\n<!-- edited -->",
    );
    let (rendered, _) = step(root, &mut cache, "template edit");
    assert_eq!(rendered, first, "a template change renders everything");
}

/// The preview reports what its watcher saw: files it does not name are not read again (a
/// change it did not report is, on purpose, not seen), new and removed files are found, and
/// after `lost_track` every file is read.
#[test]
fn a_watched_cache_reads_only_the_files_it_is_told_about() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    copy_site(root);
    let mut cache = RenderCache::watched();
    step(root, &mut cache, "first build");
    let rel = Path::new("content/practices/mali-tokten-diaspora-experts.en.md");
    let page = "en/practices/mali-tokten-diaspora-experts/index.html";
    let shows = |site: &compendium::MemorySite, text: &str| {
        String::from_utf8_lossy(&site[page]).contains(text)
    };

    edit(&root.join(rel), "more convincing", "more persuasive");
    let (unreported, _) = build_in_memory(root, &options(), &mut cache).expect("build");
    assert!(
        shows(&unreported, "more convincing"),
        "an unreported change was read: the watcher is not trusted"
    );
    cache.load.saw(rel.to_path_buf());
    step(root, &mut cache, "reported edit");

    // A new file and a removed one: the folders are listed again.
    let new = Path::new("content/practices/copy-of-tokten.en.md");
    std::fs::copy(root.join(rel), root.join(new)).expect("copy");
    cache.load.saw(new.to_path_buf());
    step(root, &mut cache, "reported creation");
    std::fs::remove_file(root.join(new)).expect("remove");
    cache.load.saw(new.to_path_buf());
    step(root, &mut cache, "reported deletion");

    // Events lost: everything is read.
    edit(&root.join(rel), "more persuasive", "more convincing");
    cache.load.lost_track();
    step(root, &mut cache, "lost track");
}

/// Writes `files` (path, text) under `root`.
fn write_site(root: &Path, files: &[(&str, &str)]) {
    for (path, text) in files {
        let p = root.join(path);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    }
}

/// A site with a `theme` taxonomy and a blog of `pages` (file name, title, theme: each with the
/// body "Some words."), rendered by `templates`.
fn write_blog(root: &Path, pages: &[(&str, &str, &str)], templates: &[(&str, &str)]) {
    let mut files: Vec<(String, String)> = vec![
        (
            "config.toml".into(),
            "base_url = \"https://example.org\"\ntitle = \"T\"\n\
             taxonomies = [{ name = \"theme\" }]\n"
                .into(),
        ),
        ("content/_index.md".into(), "+++\n+++\n".into()),
        (
            "content/blog/_index.md".into(),
            "+++\ntitle = \"Blog\"\n+++\n".into(),
        ),
    ];
    for (name, title, theme) in pages {
        files.push((
            format!("content/blog/{name}"),
            format!(
                "+++\ntitle = \"{title}\"\n[taxonomies]\ntheme = [\"{theme}\"]\n+++\nSome words.\n"
            ),
        ));
    }
    for (name, text) in templates {
        files.push((format!("templates/{name}"), text.to_string()));
    }
    let files: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    write_site(root, &files);
}

/// Builds `root` (a [`write_blog`] site), then counts the outputs rendered again after each of:
/// a word added to `one.md`, its title changed, and (once `template` is edited from `from` to
/// `to`) another word added. Each build must equal a fresh one.
fn render_counts(root: &Path, template: &str, from: &str, to: &str) -> [usize; 3] {
    let mut cache = RenderCache::new();
    step(root, &mut cache, "first build");
    let post = root.join("content/blog/one.md");
    edit(&post, "Some words.", "Some more words.");
    let (body, _) = step(root, &mut cache, "body edit");
    edit(&post, "title = \"One\"", "title = \"First\"");
    let (title, _) = step(root, &mut cache, "title edit");
    edit(&root.join("templates").join(template), from, to);
    step(root, &mut cache, "template edit");
    edit(&post, "Some more words.", "Some more words still.");
    let (content, _) = step(root, &mut cache, "body edit, content shown");
    [body, title, content]
}

/// Lists get only the page fields their templates name (`templates::reads`): a word added to
/// a page re-renders that page, not the lists that show its title, until a list names the
/// content; and each build still equals a fresh one.
#[test]
fn lists_render_again_only_for_the_fields_they_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    write_blog(
        root,
        &[
            ("one.md", "One", "a"),
            ("two.md", "Two", "a"),
            ("three.md", "Three", "b"),
        ],
        &[
            (
                "index.html",
                "{% for s in section.subsections %}{{ s }}{% endfor %}",
            ),
            (
                "page.html",
                "<h1>{{ page.title }}</h1>{{ page.content | safe }}",
            ),
            (
                "section.html",
                "{% for p in section.pages %}<a href=\"{{ p.permalink }}\">{{ p.title }}</a>\
                 {% endfor %}",
            ),
            (
                "taxonomy_single.html",
                "{{ term.name }}{% for p in term.pages %}{{ p.title }}{% endfor %}",
            ),
            (
                "taxonomy_list.html",
                "{% for t in terms %}{{ t.name }} ({{ t.page_count }}){% endfor %}",
            ),
        ],
    );
    let [body, title, content] = render_counts(
        root,
        "section.html",
        "{{ p.title }}",
        "{{ p.title }}{{ p.content | safe }}",
    );
    assert_eq!(body, 1, "only the page itself shows its content");
    // The page, the section's list and its term's page; not the list of terms.
    assert_eq!(
        title, 3,
        "a title shows on its page, its section and its term"
    );
    // A list that shows the content renders again when it changes.
    assert_eq!(
        content, 2,
        "the page and the section that lists its content"
    );
}

/// Pages returned by `get_taxonomy_term`, `get_section` and `get_page` are built with the fields
/// the calling template reads, like its context's lists: a word added to a page does not render
/// again a page that shows its title through them, until it shows its content.
#[test]
fn function_results_render_again_only_for_the_fields_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    write_blog(
        root,
        &[("one.md", "One", "a"), ("two.md", "Two", "a")],
        &[
            (
                "index.html",
                "{% set t = get_taxonomy_term(kind=\"theme\", term=\"a\") %}\
                 {% for p in t.pages | sort(attribute=\"title\") %}{{ p.title }}{% endfor %}\
                 {% set s = get_section(path=\"blog/_index.md\") %}\
                 {% for p in s.pages %}{{ p.permalink }}{% endfor %}\
                 {% set one = get_page(path=\"blog/one.md\") %}{{ one.title }}",
            ),
            ("page.html", "{{ page.content | safe }}"),
            ("section.html", "{{ section.title }}"),
            ("taxonomy_single.html", "{{ term.name }}"),
            ("taxonomy_list.html", "{{ terms | length }}"),
        ],
    );
    let [body, title, content] = render_counts(
        root,
        "index.html",
        "{{ one.title }}",
        "{{ one.content | safe }}",
    );
    assert_eq!(body, 1, "only the page itself shows its content");
    // The page shows only its content.
    assert_eq!(title, 1, "the home page, which shows titles");
    assert_eq!(
        content, 2,
        "the page and the home page, which shows its content"
    );
}

/// `build` writes each language's search index from documents made one at a time; the
/// preview makes them all first (it keeps them, to reuse an index whose documents did not
/// change). Both give the same index.
#[test]
fn a_build_writes_the_search_index_of_the_preview() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("public");
    compendium::build(&repo(), &out, &options()).expect("build");
    let (preview, _) =
        build_in_memory(&repo(), &options(), &mut RenderCache::new()).expect("preview build");
    let indexes: Vec<(&String, _)> = preview
        .iter()
        .filter(|(path, _)| path.starts_with("search/") && !path.ends_with(".wasm"))
        .collect();
    assert!(
        indexes.iter().any(|(path, _)| path.ends_with(".idx")),
        "no index in {:?}",
        indexes.iter().map(|(p, _)| p).collect::<Vec<_>>()
    );
    for (path, bytes) in indexes {
        let written = std::fs::read(out.join(path.as_str()))
            .unwrap_or_else(|e| panic!("{path}: not written by the build: {e}"));
        assert!(written == **bytes, "{path} differs");
    }
}
