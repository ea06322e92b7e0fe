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
    let mut permalinks = HashMap::new();
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
        r.html,
        "<pre><code data-lang=\"text\">a &lt; b\n</code></pre>\n"
    );
}
