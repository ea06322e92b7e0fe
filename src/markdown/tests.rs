use super::*;
use std::path::Path;

fn config(extra: &str) -> Config {
    let mut d = vec![];
    Config::parse(
        Path::new("config.toml"),
        &format!("base_url = \"https://example.org\"\n{extra}"),
        &mut d,
    )
    .expect("config")
}

fn render_with(text: &str, config: &Config) -> Result<Rendered, Vec<MarkdownError>> {
    let mut permalinks = foldhash::HashMap::default();
    permalinks.insert(
        "about.md".to_string(),
        "https://example.org/about/".to_string(),
    );
    let ctx = MarkdownContext {
        config,
        permalink: "https://example.org/blog/post/",
        relative_path: "blog/post.md",
        permalinks: &permalinks,
        highlighter: None,
        shortcodes: None,
        summary_cutoff: "&hellip;",
        raw_html: RawHtml::Escape,
    };
    render(text, &ctx)
}

#[test]
fn heading_ids_are_unique_and_explicit_ids_win() {
    let c = config("");
    let r = render_with("## A b\n\n## A b\n\n### Here {#here}\n", &c).expect("render");
    assert!(r.html.contains("<h2 id=\"a-b\">A b</h2>"), "{}", r.html);
    assert!(r.html.contains("<h2 id=\"a-b-1\">A b</h2>"), "{}", r.html);
    assert!(r.html.contains("<h3 id=\"here\">Here</h3>"), "{}", r.html);
    assert_eq!(r.toc.len(), 2);
    assert_eq!(r.toc[1].children[0].id, "here");
    assert_eq!(
        r.toc[1].children[0].permalink,
        "https://example.org/blog/post/#here"
    );
}

#[test]
fn links_resolve_and_broken_ones_are_errors() {
    let c = config("");
    let r = render_with(
        "[a](@/about.md#x) [b](#local) [c](img.png) [d](https://x.org)",
        &c,
    )
    .expect("render");
    assert!(r.html.contains("href=\"https://example.org/about/#x\""));
    assert!(
        r.html
            .contains("href=\"https://example.org/blog/post/#local\"")
    );
    assert!(
        r.html
            .contains("href=\"https://example.org/blog/post/img.png\"")
    );
    assert!(
        r.html.contains("rel=\"external\" href=\"https://x.org\""),
        "{}",
        r.html
    );
    assert_eq!(
        r.internal_links[0],
        ("about.md".to_string(), Some("x".to_string()))
    );
    let e = render_with("see [x](@/missing.md)", &c).expect_err("broken");
    assert!(e[0].message.contains("missing.md"));
}

#[test]
fn summaries() {
    let c = config("");
    let r = render_with("One.\n\n<!-- more -->\n\nTwo.", &c).expect("render");
    assert_eq!(r.summary.as_deref(), Some("<p>One.</p>"));
    assert!(r.html.contains("<span id=\"continue-reading\"></span>"));
    let r = render_with("One.<!-- more --> Two.", &c).expect("render");
    assert_eq!(r.summary.as_deref(), Some("<p>One.&hellip;</p>"));
}

#[test]
fn smart_punctuation_reaches_heading_ids() {
    let c = config("[markdown]\nsmart_punctuation = true\n");
    let r = render_with("## Keeper's \"rules\"\n", &c).expect("render");
    assert!(r.html.contains("id=\"keeper-s-rules\""), "{}", r.html);
    assert_eq!(r.toc[0].title, "Keeper’s “rules”");
}

#[test]
fn code_blocks_without_highlighting() {
    let c = config("");
    let r = render_with("```text\na < b\n```\n", &c).expect("render");
    assert_eq!(
        &*r.html,
        "<pre><code data-lang=\"text\">a &lt; b\n</code></pre>\n"
    );
}

fn render_html(text: &str, raw_html: RawHtml) -> Result<Rendered, Vec<MarkdownError>> {
    let c = config("");
    let permalinks = foldhash::HashMap::default();
    let ctx = MarkdownContext {
        config: &c,
        permalink: "https://example.org/p/",
        relative_path: "p.md",
        permalinks: &permalinks,
        highlighter: None,
        shortcodes: None,
        summary_cutoff: "&hellip;",
        raw_html,
    };
    render(text, &ctx)
}

#[test]
fn raw_html_is_escaped_with_a_warning_per_block_or_tag() {
    let r = render_html(
        "a <b onclick=\"x()\">b</b>\n\n<script>\nalert(1)\n</script>\n",
        RawHtml::Escape,
    )
    .expect("render");
    assert!(!r.html.contains("<script"), "{}", r.html);
    assert!(!r.html.contains("<b "), "{}", r.html);
    assert!(r.html.contains("&lt;script&gt;"), "{}", r.html);
    // `<b …>`, `</b>` and one for the whole block.
    assert_eq!(r.warnings.len(), 3, "{:?}", r.warnings);
    assert_eq!(r.warnings[0].offset, Some(2));
    assert_eq!(r.warnings[2].offset, Some(26));
    assert!(r.warnings.iter().all(|w| w.warning));
}

#[test]
fn raw_html_is_sanitised_where_allowed() {
    let r = render_html(
        "An <abbr title=\"t\">ab</abbr> and <img src=\"x.png\" onerror=\"x()\">.\n\n\
         <div onclick=\"x()\" class=\"k\">\n<script>alert(1)</script><a href=\"javascript:x()\">l</a>\n</div>\n",
        RawHtml::Sanitize,
    )
    .expect("render");
    assert!(r.html.contains("<abbr title=\"t\">ab</abbr>"), "{}", r.html);
    assert!(r.html.contains("<img src=\"x.png\">"), "{}", r.html);
    assert!(r.html.contains("<div class=\"k\">"), "{}", r.html);
    for bad in ["<script", "onerror", "onclick", "javascript:"] {
        assert!(!r.html.contains(bad), "{bad} in {}", r.html);
    }
    assert!(r.warnings.is_empty());
}

#[test]
fn script_and_data_urls_are_refused_in_links_and_images() {
    for text in [
        "[a](javascript:x())",
        "[a](JaVaScRiPt:x())",
        "[a](&#106;avascript:x())",
        "[a](&#x20;javascript:x())",
        "[a](java&#9;script:x())",
        "[a](vbscript:x)",
        "![a](data:image/png;base64,AAAA)",
        "<javascript:x()>",
        "[a][r]\n\n[r]: javascript:x()",
    ] {
        let errs = render_html(text, RawHtml::Escape).expect_err(text);
        assert_eq!(errs.len(), 1, "{text}: {errs:?}");
        assert!(errs[0].message.contains("refused"), "{text}: {errs:?}");
        assert_eq!(errs[0].offset, Some(0), "{text}");
    }
    let ok = render_html(
        "[a](https://x.org/javascript:) [b](/data:x)",
        RawHtml::Escape,
    );
    assert!(ok.is_ok(), "{ok:?}");
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    // In a thread with a small stack, as rayon's workers have.
    let handle = std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(|| {
            let quotes = format!("{} deep\n", ">".repeat(100_000));
            let e = render_html(&quotes, RawHtml::Escape).expect_err("quotes");
            assert!(e[0].message.contains("nested more than"), "{e:?}");
            let lists: String = (0..500)
                .map(|i| format!("{}- a\n", "  ".repeat(i)))
                .collect();
            let e = render_html(&lists, RawHtml::Escape).expect_err("lists");
            assert!(e[0].message.contains("nested more than"), "{e:?}");
            assert_eq!(e[0].offset, Some((0..100).map(|i| 2 * i + 4).sum()));
            // Ordered lists too (found by the `markdown` fuzz target: 33,000 nested `1. `
            // made a page that takes an HTML parser half a minute).
            let ordered = format!("{}x\n", "1. ".repeat(20_000));
            let e = render_html(&ordered, RawHtml::Escape).expect_err("ordered");
            assert!(e[0].message.contains("nested more than"), "{e:?}");
            let mixed = format!("{}x\n", "1. - 2) ".repeat(40));
            render_html(&mixed, RawHtml::Escape).expect_err("mixed");
            render_html(&format!("{}x\n", "1. ".repeat(60)), RawHtml::Escape).expect("60 deep");
            // What the pre-check lets through still renders: HTML.
            let divs = format!("{}x\n", "<div>".repeat(9_000));
            render_html(&divs, RawHtml::Sanitize).expect("divs");
            let notes: String = (0..100_000)
                .map(|i| format!("n[^{i}]\n"))
                .collect::<String>()
                + &(0..100_000)
                    .map(|i| format!("\n[^{i}]: f\n"))
                    .collect::<String>();
            render_html(&notes, RawHtml::Escape).expect("footnotes");
        })
        .expect("spawn");
    handle.join().expect("no stack overflow");
}

#[test]
fn heading_attributes_cannot_add_event_handlers() {
    // Found by the `markdown` fuzz target: `{onclick=…}` became an attribute of the heading,
    // and `x/onclick` one too once an HTML parser reads the `/` as a separator.
    for (text, name, offset) in [
        ("# Title {onclick=alert(1)}\n", "onclick", 9),
        ("## T {#id ONMOUSEOVER=x}\n", "ONMOUSEOVER", 10),
        ("# T {x/onclick=alert(1)}\n", "x/onclick", 5),
        ("# T {formaction=javascript:alert(1)}\n", "formaction", 5),
    ] {
        let errs = render_html(text, RawHtml::Escape).expect_err(text);
        assert_eq!(errs.len(), 1, "{text}: {errs:?}");
        assert!(
            errs[0]
                .message
                .contains(&format!("heading attribute `{name}` refused")),
            "{text}: {errs:?}"
        );
        assert_eq!(errs[0].offset, Some(offset), "{text}");
    }
    let r = render_html("# T {#id .c data-x=1 lang=fr}\n", RawHtml::Escape).expect("render");
    assert_eq!(
        &*r.html,
        "<h1 id=\"id\" class=\"c\" data-x=\"1\" lang=\"fr\">T</h1>\n"
    );
}

/// Every shortcode is an HTML one that writes `<b class="NAME" title="x">x</b>`.
struct HtmlShortcodes;

impl Shortcodes for HtmlShortcodes {
    fn kind(&self, _: &str) -> Option<ShortcodeKind> {
        Some(ShortcodeKind::Html)
    }
    fn render(
        &self,
        name: &str,
        _: ShortcodeKind,
        _: &serde_json::Map<String, Json>,
        _: Option<&str>,
        _: usize,
    ) -> Result<String, String> {
        Ok(format!("<b class=\"{name}\" title=\"x\">x</b>"))
    }
}

fn render_shortcodes(text: &str, raw_html: RawHtml) -> Result<Rendered, Vec<MarkdownError>> {
    let c = config("");
    let permalinks = foldhash::HashMap::default();
    let ctx = MarkdownContext {
        config: &c,
        permalink: "https://example.org/p/",
        relative_path: "p.md",
        permalinks: &permalinks,
        highlighter: None,
        shortcodes: Some(&HtmlShortcodes),
        summary_cutoff: "&hellip;",
        raw_html,
    };
    render(text, &ctx)
}

#[test]
fn html_shortcodes_go_in_text_only() {
    let r = render_shortcodes(
        "a {{ sc() }} b\n\n{{ sc() }}\n\n`@@ZSC0@@`",
        RawHtml::Escape,
    )
    .expect("render");
    assert_eq!(
        &*r.html,
        "<p>a <b class=\"sc\" title=\"x\">x</b> b</p>\n<b class=\"sc\" title=\"x\">x</b><p><code>@@ZSC0@@</code></p>\n"
    );
    // Found by the `markdown` fuzz target: in an attribute, the shortcode's HTML broke out of
    // it (and its quotes let escaped arguments become attributes, `onmouseover=` included).
    for (text, mode) in [
        ("```{{ sc() }}rust\nfn f() {}\n```\n", RawHtml::Escape),
        ("[a]({{ sc() }})", RawHtml::Escape),
        ("[a](/x \"{{ sc() }}\")", RawHtml::Escape),
        ("![{{ sc() }}](/i.png)", RawHtml::Escape),
        ("# T {#{{ sc() }}}", RawHtml::Escape),
        ("[a](/x \"@@ZSC0@@\") {{ sc() }}", RawHtml::Escape),
        ("<abbr title=\"{{ sc() }}\">t</abbr>", RawHtml::Sanitize),
    ] {
        let errs = render_shortcodes(text, mode).expect_err(text);
        assert_eq!(errs.len(), 1, "{text}: {errs:?}");
        assert!(
            errs[0]
                .message
                .starts_with("shortcode `sc` cannot be used inside"),
            "{text}: {errs:?}"
        );
        assert_eq!(errs[0].needle.as_deref(), Some("sc("), "{text}");
    }
}

#[test]
fn highlighting_stops_after_max_highlighted_bytes() {
    // Found by the `markdown` fuzz target: a megabyte of code took 10 s to highlight.
    let c = config("");
    let permalinks = foldhash::HashMap::default();
    let highlighter = Highlighter::new("base16-ocean.dark");
    let ctx = MarkdownContext {
        config: &c,
        permalink: "https://example.org/p/",
        relative_path: "p.md",
        permalinks: &permalinks,
        highlighter: Some(&highlighter),
        shortcodes: None,
        summary_cutoff: "&hellip;",
        raw_html: RawHtml::Escape,
    };
    let big = "let a = 1;\n".repeat(MAX_HIGHLIGHTED / 11 + 1);
    let text = format!("```js\nlet a;\n```\n\n```js\n{big}```\n\n```js\nlet b;\n```\n");
    let html = render(&text, &ctx).expect("render").html;
    assert_eq!(html.matches("z-code").count(), 2, "the small blocks");
    assert!(html.contains("<pre><code data-lang=\"js\">let a = 1;\n"));
}

#[test]
fn raw_html_keeps_at_most_max_html_tags_per_text() {
    // Found by the `markdown` fuzz target: 200,000 lone `<b>` were each kept, unclosed.
    let text = "a <b> ".repeat(MAX_HTML_TAGS + 100);
    let html = render_html(&text, RawHtml::Sanitize).expect("render").html;
    let kept = html.matches("<b>").count();
    assert!(
        (MAX_HTML_TAGS..MAX_HTML_TAGS + 10).contains(&kept),
        "{kept}"
    );
    assert_eq!(
        html.matches("&lt;b&gt;").count(),
        MAX_HTML_TAGS + 100 - kept
    );
}

#[test]
fn may_call_shortcodes_finds_both_openings_anywhere() {
    for text in ["{{ x() }}", "a {% x() %}", "é{{", "{%", "text {{\n"] {
        assert!(may_call_shortcodes(text), "{text:?}");
    }
    for text in [
        "",
        "{",
        "a { b } c",
        "{ {",
        "{}",
        "text}}",
        "%}",
        "é{",
        "{\n{",
    ] {
        assert!(!may_call_shortcodes(text), "{text:?}");
    }
}
