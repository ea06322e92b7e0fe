//! Builds of fixture sites: output layout, translations, errors with positions, atomicity.

use crate::{fixture, run};

#[test]
fn errors_are_all_reported_with_positions_and_nothing_is_written() {
    let out = tempfile::tempdir().expect("tempdir");
    let target = out.path().join("public");
    let root = fixture("errors");
    let (code, _stdout, stderr) = run(
        &[
            "build",
            "--root",
            root.to_str().expect("utf8"),
            "--output-dir",
            target.to_str().expect("utf8"),
        ],
        &root,
    );
    assert_eq!(code, 1, "{stderr}");
    assert!(!target.exists(), "a failed build must write nothing");
    for expected in [
        "content/blog/bad-date.md:3:13: error: invalid front matter",
        "content/blog/bad-type.md:3:10: error: `weight` must be a positive integer",
        "content/blog/broken-link.md:7:15: error: broken internal link `@/blog/missing.md`",
        "content/blog/no-template.md:3:13: error: template `nope.html` not found",
        "content/blog/one.md:3:1: error: the URL `/same/` is claimed by more than one file",
        "content/blog/unclosed.md:1:1: error: the front matter opened here is never closed",
        "content/blog/typo.md:3:1: warning: unknown page front-matter key `titel`",
        // A byte-order mark and Windows line endings do not shift columns or lines.
        "content/blog/crlf.md:3:8: error: `date` is not a valid date",
    ] {
        assert!(
            stderr.contains(expected),
            "missing `{expected}` in:\n{stderr}"
        );
    }
    assert!(
        stderr.contains("Build failed: 8 error(s), 1 warning(s)"),
        "{stderr}"
    );
}

/// A section's `page_template` that does not exist is one mistake, on one line of the
/// section: one error there, not one per page on files that do not name it.
#[test]
fn a_missing_page_template_is_reported_once_at_the_section() {
    let dir = tempfile::tempdir().expect("tempdir");
    let files = [
        ("config.toml", "base_url = \"https://a.org\"\n"),
        ("templates/index.html", "home"),
        ("templates/section.html", "{{ section.title }}"),
        ("templates/page.html", "{{ page.title }}"),
        (
            "content/blog/_index.md",
            "+++\ntitle = \"Blog\"\npage_template = \"nope.html\"\n+++\n",
        ),
        ("content/blog/a.md", "+++\ntitle = \"A\"\n+++\nText.\n"),
        ("content/blog/b.md", "+++\ntitle = \"B\"\n+++\nText.\n"),
        (
            "content/blog/own.md",
            "+++\ntitle = \"Own\"\ntemplate = \"gone.html\"\n+++\n",
        ),
    ];
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }
    let (code, _, stderr) = run(&["build", "--root", "."], dir.path());
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("content/blog/_index.md:3:18: error: template `nope.html` not found"),
        "{stderr}"
    );
    assert!(
        stderr.contains("`page_template` of this section"),
        "{stderr}"
    );
    // A page's own `template` is still reported on the page.
    assert!(
        stderr.contains("content/blog/own.md:3:13: error: template `gone.html` not found"),
        "{stderr}"
    );
    assert_eq!(stderr.matches("not found").count(), 2, "{stderr}");
    assert!(!dir.path().join("public").exists(), "nothing is written");
}

#[test]
fn unknown_config_key_names_its_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("config.toml"),
        "base_url = \"https://a.org\"\n\nbase_ur = 1\n",
    )
    .expect("write");
    let (code, _, stderr) = run(&["build", "--root", "."], dir.path());
    assert_eq!(code, 1);
    assert!(
        stderr.contains("config.toml:3:1: error: unknown field `base_ur`"),
        "{stderr}"
    );
}

#[test]
fn small_site_layout_translations_aliases_drafts_and_pagination() {
    let out = tempfile::tempdir().expect("tempdir");
    let target = out.path().join("public");
    compendium::build(
        &fixture("small"),
        &target,
        &compendium::BuildOptions::default(),
    )
    .expect("build");
    let read =
        |p: &str| std::fs::read_to_string(target.join(p)).unwrap_or_else(|e| panic!("{p}: {e}"));
    // Default language at /, others under /<lang>/.
    assert!(read("index.html").contains("<h1>Accueil</h1>"));
    assert!(read("en/index.html").contains("<h1>Home</h1>"));
    // Translations know each other.
    let fr = read("blog/premier/index.html");
    assert!(fr.contains("hreflang=\"en\" href=\"https:&#x2F;&#x2F;example.org&#x2F;en&#x2F;blog&#x2F;premier&#x2F;\""), "{fr}");
    // @/ links with anchors resolve.
    assert!(
        fr.contains("href=\"https://example.org/blog/second/#suite\""),
        "{fr}"
    );
    // Shortcodes render.
    assert!(read("en/blog/premier/index.html").contains("<b>Hello you</b>"));
    // Aliases redirect.
    assert!(read("ancien/premier/index.html").contains("https://example.org/blog/premier/"));
    // Drafts are left out, and pagination makes one pager a page with a redirect for pager 1.
    assert!(!target.join("blog/brouillon").exists());
    assert!(read("blog/index.html").contains("Premier"));
    assert!(read("blog/page/2/index.html").contains("Second"));
    assert!(read("blog/page/1/index.html").contains("url=https://example.org/blog/"));
    // Taxonomy terms are slugified, per language.
    assert!(read("theme/ete/index.html").contains("Été"));
    assert!(read("en/theme/summer/index.html").contains("Summer"));
    let sitemap = read("sitemap.xml");
    assert!(sitemap.contains("<loc>https://example.org/en/blog/premier/</loc>"));
}

#[test]
fn drafts_flag_includes_drafts() {
    let out = tempfile::tempdir().expect("tempdir");
    let target = out.path().join("public");
    let options = compendium::BuildOptions {
        drafts: true,
        ..Default::default()
    };
    compendium::build(&fixture("small"), &target, &options).expect("build");
    assert!(target.join("blog/brouillon/index.html").is_file());
}

#[test]
fn failed_build_leaves_previous_output_intact() {
    let site = tempfile::tempdir().expect("tempdir");
    copy_dir(&fixture("small"), site.path());
    let target = site.path().join("public");
    compendium::build(site.path(), &target, &compendium::BuildOptions::default())
        .expect("first build");
    let before = std::fs::read(target.join("blog/second/index.html")).expect("read");
    // Break a page: the second build fails and the first site stays as it was.
    std::fs::write(
        site.path().join("content/blog/second.md"),
        "+++\ntitle = 3\n+++\n",
    )
    .expect("write");
    assert!(compendium::build(site.path(), &target, &compendium::BuildOptions::default()).is_err());
    assert_eq!(
        std::fs::read(target.join("blog/second/index.html")).expect("read"),
        before
    );
    let leftovers: Vec<_> = std::fs::read_dir(site.path())
        .expect("list")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "staging folder left behind");
}

#[test]
fn a_render_failure_after_files_were_written_leaves_the_previous_site() {
    let site = tempfile::tempdir().expect("tempdir");
    copy_dir(&fixture("small"), site.path());
    let target = site.path().join("public");
    compendium::build(site.path(), &target, &compendium::BuildOptions::default())
        .expect("first build");
    let before = std::fs::read(target.join("blog/premier/index.html")).expect("read");
    // Files are written as they are rendered: this page fails only when rendered, after
    // others have gone to the staging folder.
    let second = site.path().join("content/blog/second.md");
    let text = std::fs::read_to_string(&second).expect("read");
    let broken = text.replacen("+++\n", "+++\ntemplate = \"missing.html\"\n", 1);
    assert_ne!(broken, text);
    std::fs::write(&second, broken).expect("write");
    std::fs::write(
        site.path().join("content/blog/premier.md"),
        "+++\ntitle = \"Changé\"\n+++\nNouveau.\n",
    )
    .expect("write");
    let err = compendium::build(site.path(), &target, &compendium::BuildOptions::default())
        .expect_err("a missing template fails the build");
    let text: Vec<String> = err.0.iter().map(|d| d.to_string()).collect();
    assert!(
        text.len() == 1 && text[0].contains("second.md") && text[0].contains("missing.html"),
        "{text:?}"
    );
    assert_eq!(
        std::fs::read(target.join("blog/premier/index.html")).expect("read"),
        before,
        "the previous site was changed by a failed build"
    );
    let names: Vec<String> = std::fs::read_dir(site.path())
        .expect("list")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(names.is_empty(), "left behind: {names:?}");
}

#[test]
fn two_outputs_on_one_path_warn_and_the_later_stage_wins() {
    let site = tempfile::tempdir().expect("tempdir");
    copy_dir(&fixture("small"), site.path());
    // A section at /theme/ and the taxonomy's list at /theme/.
    std::fs::create_dir_all(site.path().join("content/theme")).expect("mkdir");
    std::fs::write(
        site.path().join("content/theme/_index.md"),
        "+++\ntitle = \"Section des thèmes\"\n+++\n",
    )
    .expect("write");
    // And a static file on a page's path, which the page silently replaces, as in Zola.
    std::fs::create_dir_all(site.path().join("static/blog/premier")).expect("mkdir");
    std::fs::write(site.path().join("static/blog/premier/index.html"), "static").expect("write");
    let target = site.path().join("public");
    let (_, warnings, _) =
        compendium::build(site.path(), &target, &compendium::BuildOptions::default())
            .expect("build");
    let collisions: Vec<String> = warnings
        .iter()
        .map(|w| w.to_string())
        .filter(|w| w.contains("more than one output"))
        .collect();
    assert_eq!(collisions.len(), 1, "{collisions:?}");
    assert!(
        collisions[0].contains("`theme/index.html`"),
        "{collisions:?}"
    );
    let html = std::fs::read_to_string(target.join("theme/index.html")).expect("read");
    assert!(
        !html.contains("Section des thèmes"),
        "the section won: {html}"
    );
    let page = std::fs::read_to_string(target.join("blog/premier/index.html")).expect("read");
    assert_ne!(page, "static");
}

pub fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    for entry in walkdir::WalkDir::new(from)
        .into_iter()
        .filter_map(Result::ok)
    {
        let rel = entry.path().strip_prefix(from).expect("prefix");
        let dest = to.join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&dest).expect("mkdir");
        } else {
            std::fs::copy(entry.path(), &dest).expect("copy");
        }
    }
}

#[test]
fn template_syntax_error_names_file_line_and_column_and_content_errors_come_too() {
    let root = fixture("bad-template");
    let out = tempfile::tempdir().expect("tempdir");
    let target = out.path().join("public");
    let (code, _, stderr) = run(
        &[
            "build",
            "--root",
            root.to_str().expect("utf8"),
            "--output-dir",
            target.to_str().expect("utf8"),
        ],
        &root,
    );
    assert_eq!(code, 1);
    assert!(
        stderr.contains("templates/index.html:5:1: error:"),
        "{stderr}"
    );
    // Loading goes on after a template error: the page's own problem is reported in the same run.
    assert!(
        stderr.contains("content/page.md:2:9: error: `title` must be a string"),
        "{stderr}"
    );
    assert!(!target.exists());
}

#[test]
fn highlighting_uses_css_classes_and_one_stylesheet() {
    let out = tempfile::tempdir().expect("tempdir");
    let target = out.path().join("public");
    compendium::build(
        &fixture("highlight"),
        &target,
        &compendium::BuildOptions::default(),
    )
    .expect("build");
    let html = std::fs::read_to_string(target.join("index.html")).expect("index");
    assert!(
        html.contains("<pre data-lang=\"rust\" class=\"language-rust z-code\">"),
        "{html}"
    );
    assert!(html.contains("<span class=\"z-"), "{html}");
    assert!(!html.contains("style=\""), "inline styles: {html}");
    // A block without a language is escaped, not highlighted.
    assert!(
        html.contains("<pre><code>plain &lt; text\n</code></pre>"),
        "{html}"
    );
    let css = std::fs::read_to_string(target.join("syntax-theme.css")).expect("stylesheet");
    assert!(css.contains(".z-"), "{css}");
}

#[test]
fn version_flag() {
    let (code, stdout, _) = run(&["--version"], &crate::repo());
    assert_eq!(code, 0);
    assert!(stdout.starts_with("compendium "), "{stdout}");
}

#[path = "../common/skewed.rs"]
mod skewed;

/// The skewed corpus builds with every listing right: the theme on every page lists them all,
/// the page with 1,000 themes appears in each of its terms.
#[test]
fn skewed_corpus_builds_with_complete_listings() {
    let dir = tempfile::tempdir().expect("tempdir");
    let n = 120;
    skewed::write(dir.path(), n).expect("corpus");
    let out = dir.path().join("public");
    compendium::build(dir.path(), &out, &compendium::BuildOptions::default()).expect("build");
    let everywhere = std::fs::read_to_string(out.join("theme/index.html")).expect("theme list");
    assert!(
        everywhere.contains(&format!("everywhere ({})", n + 1)),
        "{everywhere}"
    );
    for t in [0, skewed::MANY / 2, skewed::MANY - 1] {
        let term = out.join(format!("theme/many-{t}/index.html"));
        let html = std::fs::read_to_string(&term).expect("term page");
        assert!(html.contains("Many themes"), "{}", term.display());
    }
    // Paginated: 50 per pager, so the shared theme has ceil((n + 1) / 50) pagers.
    let pagers = (n + 1).div_ceil(50);
    assert!(
        out.join(format!("theme/everywhere/page/{pagers}/index.html"))
            .is_file()
    );
    assert!(
        !out.join(format!("theme/everywhere/page/{}/index.html", pagers + 1))
            .exists()
    );
}
