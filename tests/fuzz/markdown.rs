//! Target `markdown`: `markdown::render` (shortcodes through the real `TeraShortcodes` and
//! Tera, raw HTML escaped as in practices or sanitised as where a section allows it, links,
//! images, headings with attributes, footnotes, tables, highlighted code, summaries).
//!
//! Invariants: nothing panics or overflows the stack; every error and warning offset lies in
//! the text on a character boundary; the HTML (and the summary) parsed as a browser would
//! has no element that runs or embeds anything (`script`, `iframe`, `object`, `embed`,
//! `style`, `svg`, `math`, `base`, `form`, …), no `on…` attribute, and no URL attribute with
//! a `javascript:`, `vbscript:` or `data:` URL (after the clean-up browsers do). Where raw
//! HTML is escaped (practices), every element and attribute is one that Markdown itself
//! writes: raw HTML never gets through.

use proptest::prelude::*;

use compendium::config::Config;
use compendium::markdown::{self, Highlighter, MarkdownContext, RawHtml, Rendered};
use compendium::templates::filters::TeraShortcodes;

use crate::harness::{ensure, fuzz, seed_bytes};
use crate::inputs::{deep, mutated, seed, text_soup, wide};

pub const TARGET: &str = "markdown";

#[rustfmt::skip]
pub const TOKENS: &[&str] = &[
    // Shortcodes (templates below) and their syntax.
    "{{", "}}", "{%", "%}", "{% end %}", "{%end%}", "{%- end -%}", "{{/*", "*/}}", "{%/*", "*/%}",
    "note(", "md(", "cite(", "list(", "fail(", "missing(", " ", "body=\"", "text=\"", "title='",
    "items=[", "]", ")", "(", "=", ",", "\"", "'", "`", "1", "-1.5e3", "true", "{{ note() }}",
    "{% note() %}", "{% md() %}", "{{ md(text=\"", "{{ list(items=[", "{% list(items=[",
    "{{ cite(title=\"\\\" onmouseover=alert(1) x=\\\"\") }}",
    "{{ md(text=\"<script>alert(1)</script>\") }}", "{{ md(text=\"[x](javascript:alert(1))\") }}",
    "{% md() %}\n<img src=x onerror=alert(1)>\n{% end %}", "{{ fail() }}", "{{ missing() }}",
    // Raw HTML.
    "<script>alert(1)</script>", "<script>", "</script>", "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>", "<a href=\"javascript:alert(1)\">", "</a>", "<div onclick=\"x\">",
    "<div>", "</div>", "<iframe src=x>", "<style>", "<!-- more -->", "<!--", "-->", "<", ">", "</",
    "<scr", "ipt>", "<a", " href=", "<abbr title=\"x\">", "<p>", "<b>", "</b>",
    "<details open ontoggle=alert(1)>", "<math><mi xlink:href=\"javascript:alert(1)\">",
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">", "<![CDATA[", "<?xml ",
    "<base href=x>", "<form action=javascript:alert(1)>", "<object data=x>", "<embed src=x>",
    "<textarea>", "<title>", "<xmp>", "<plaintext>", "&lt;", "&#106;", "&#x6A;avascript:",
    "&colon;", "&#0;", "&",
    // Links and images.
    "[x](javascript:alert(1))", "[x](JaVaScRiPt:alert(1))", "[x]( javascript:alert(1))",
    "[x](<javascript:alert(1)>)", "[x](java\tscript:alert(1))", "[x](&#106;avascript:alert(1))",
    "[x](data:text/html,<script>alert(1)</script>)", "![i](data:image/svg+xml,x)",
    "[x](vbscript:msgbox)", "<javascript:alert(1)>", "<http://example.org>",
    "[r]: javascript:alert(1)", "[r]: /ok", "[r]", "[x][r]", "[x](@/about.md)", "[x](@/../x.md)",
    "[x](@/missing.md#a)", "[x](#top)", "[x](https://example.org \"t\")",
    "[x](/a \"t\\\"onclick=x\")", "![i](/i.png)", "[x](\u{1}javascript:alert(1))", "(", ")", "[",
    "]", "!", "](", "<mailto:a@b.c>",
    // Headings and attributes.
    "# ", "## ", "###### ", "{#id}", "{.cls}", " {onclick=alert(1)}", "{ #x .y data-z=1 }",
    " {style=color:red}", " {/onclick=alert(1)}", " {x/onmouseover=alert(1)}", " {#\"><script>}",
    " {href=javascript:alert(1)}", "Setext\n===",
    // Blocks and inlines.
    "> ", "- ", "* ", "+ ", "1. ", "  ", "    ", "\t", "```", "```js\n", "```rust\n", "```html\n",
    "~~~", "`", "**", "*", "_", "~~", "|", "|---|", "| a | b |\n|---|:-:|\n", "[^1]", "[^1]: ",
    "- [ ] ", "- [x] ", "---", "***", "\\", "\n", "\n\n", "\r\n", "\u{feff}", "\0", "@@ZSC0@@",
    "@@ZSC", "<span id=\"continue-reading\"></span>", "é", "🦀", "\u{202e}", "\"", "'",
];

#[rustfmt::skip]
const DEEP: &[&str] = &[
    "> ", "- ", "  - ", "[", "*", "_", "<div>", "</div>", "{{ list(items=[", "[^1]", "{% note() %}",
    "{% end %}", "`", "![", "\\", "|", "1. ", "(", "<b>", "# a\n", "a\n",
];

/// A Markdown body for other targets' documents.
pub fn body() -> impl Strategy<Value = String> {
    text_soup(TOKENS, 20)
}

pub fn strategy() -> impl Strategy<Value = String> {
    let base = prop_oneof![
        6 => crate::inputs::soup(TOKENS, 80),
        3 => seed(seed_bytes(TARGET)),
        1 => deep(DEEP),
        1 => wide(TOKENS),
    ];
    mutated(base, TOKENS, 4).prop_map(|b| String::from_utf8_lossy(&b).into_owned())
}

/// Shortcode templates as a theme would write them: HTML ones escape what they print
/// (Tera's autoescape), Markdown ones hand Markdown back.
const SHORTCODES: &[(&str, &str)] = &[
    (
        "shortcodes/note.html",
        "<div class=\"note {{ kind | default(value='') }}\">{{ body | default(value='') }}</div>",
    ),
    (
        "shortcodes/cite.html",
        "<cite title=\"{{ title | default(value='') }}\">{{ nth }}</cite>",
    ),
    (
        "shortcodes/md.md",
        "{{ body | default(value='') }}{{ text | default(value='') }}",
    ),
    (
        "shortcodes/list.md",
        "{% for i in items %}- {{ i }}\n{% endfor %}",
    ),
    ("shortcodes/fail.html", "{{ missing.field }}"),
];

pub struct Env {
    config: Config,
    tera: tera::Tera,
    highlighter: Highlighter,
    permalinks: foldhash::HashMap<String, String>,
}

impl Env {
    pub fn new() -> Env {
        let mut d = Vec::new();
        let config = Config::parse(
            std::path::Path::new("config.toml"),
            "base_url = \"https://example.org\"\n[markdown]\nsmart_punctuation = true\nexternal_links_target_blank = true\n",
            &mut d,
        )
        .expect("config");
        let mut tera = tera::Tera::default();
        tera.add_raw_templates(SHORTCODES.iter().copied())
            .expect("templates");
        let mut permalinks = foldhash::HashMap::default();
        permalinks.insert(
            "about.md".to_string(),
            "https://example.org/about/".to_string(),
        );
        Env {
            config,
            tera,
            highlighter: Highlighter::new("base16-ocean.dark"),
            permalinks,
        }
    }

    pub fn render(
        &self,
        text: &str,
        raw_html: RawHtml,
        highlight: bool,
    ) -> Result<Rendered, Vec<markdown::MarkdownError>> {
        let sc = TeraShortcodes {
            tera: &self.tera,
            base: tera::Context::new(),
        };
        let ctx = MarkdownContext {
            config: &self.config,
            permalink: "https://example.org/practices/p/",
            relative_path: "practices/p.md",
            permalinks: &self.permalinks,
            highlighter: highlight.then_some(&self.highlighter),
            shortcodes: Some(&sc),
            summary_cutoff: "&hellip;",
            raw_html,
        };
        markdown::render(text, &ctx)
    }
}

/// Elements that run, embed or restyle anything, or change how the page is read.
#[rustfmt::skip]
const FORBIDDEN: &[&str] = &[
    "script", "iframe", "frame", "frameset", "object", "embed", "applet", "style", "link", "meta",
    "base", "form", "svg", "math", "template", "noscript", "xmp", "plaintext", "textarea", "title",
    "audio", "video", "portal",
];

/// Elements Markdown writes (pulldown-cmark, headings, highlighted code) or the shortcode
/// templates above.
#[rustfmt::skip]
const MARKDOWN_ELEMENTS: &[&str] = &[
    "html", "body", "p", "h1", "h2", "h3", "h4", "h5", "h6", "a", "img", "em", "strong", "del",
    "code", "pre", "blockquote", "ul", "ol", "li", "table", "thead", "tbody", "tr", "th", "td",
    "hr", "br", "input", "sup", "div", "span", "cite", "section",
];

#[rustfmt::skip]
const MARKDOWN_ATTRIBUTES: &[&str] = &[
    "href", "src", "alt", "title", "id", "class", "rel", "target", "type", "disabled", "checked",
    "start", "style", "data-lang", "data-footnote-id",
];

#[rustfmt::skip]
const URL_ATTRIBUTES: &[&str] = &[
    "href", "src", "action", "formaction", "srcset", "poster", "data", "xlink:href", "background",
    "cite", "longdesc", "lowsrc", "dynsrc", "codebase", "manifest", "ping", "srcdoc",
];

/// The URL as a browser reads it: leading and trailing controls and spaces dropped, tabs
/// and line breaks removed.
fn browser_url(v: &str) -> String {
    v.trim_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect::<String>()
        .to_ascii_lowercase()
}

pub fn check_html(html: &str, escaped: bool) -> Result<(), String> {
    let doc = scraper::Html::parse_fragment(html);
    for node in doc.tree.nodes() {
        let Some(el) = node.value().as_element() else {
            continue;
        };
        let name = el.name();
        ensure(!FORBIDDEN.contains(&name), || {
            format!("element <{name}> in the output")
        })?;
        if escaped {
            ensure(MARKDOWN_ELEMENTS.contains(&name), || {
                format!("raw HTML element <{name}> got through escaping")
            })?;
        }
        for (attr, value) in el.attrs() {
            let lower = attr.to_ascii_lowercase();
            ensure(!lower.starts_with("on"), || {
                format!("event handler attribute `{attr}` on <{name}>")
            })?;
            if URL_ATTRIBUTES.contains(&lower.as_str()) {
                let url = browser_url(value);
                for scheme in ["javascript:", "vbscript:", "data:"] {
                    ensure(!url.starts_with(scheme), || {
                        format!("`{attr}=\"{value}\"` on <{name}>")
                    })?;
                }
            }
            // Headings take any attribute written in Markdown (`# Title {key=value}`).
            let heading = matches!(name, "h1" | "h2" | "h3" | "h4" | "h5" | "h6");
            if escaped && !heading {
                ensure(
                    MARKDOWN_ATTRIBUTES.contains(&lower.as_str()) || lower.starts_with("data-"),
                    || format!("attribute `{attr}` on <{name}> does not come from Markdown"),
                )?;
                if lower == "style" {
                    ensure(value.starts_with("text-align:"), || {
                        format!("style `{value}` on <{name}>")
                    })?;
                }
            }
        }
    }
    Ok(())
}

fn check_offsets(text: &str, errors: &[markdown::MarkdownError]) -> Result<(), String> {
    for e in errors {
        if let Some(o) = e.offset {
            ensure(o <= text.len() && text.is_char_boundary(o), || {
                format!("offset {o} outside the text ({} bytes): {e:?}", text.len())
            })?;
        }
    }
    Ok(())
}

pub fn check(env: &Env, text: &str) -> Result<(), String> {
    let highlight = text.len().is_multiple_of(2);
    for mode in [RawHtml::Escape, RawHtml::Sanitize] {
        let escaped = mode == RawHtml::Escape;
        match env.render(text, mode, highlight) {
            Ok(r) => {
                check_offsets(text, &r.warnings)?;
                check_html(&r.html, escaped).map_err(|e| format!("{mode:?}: {e}"))?;
                if let Some(s) = &r.summary {
                    check_html(s, escaped).map_err(|e| format!("{mode:?} summary: {e}"))?;
                }
            }
            Err(errors) => {
                check_offsets(text, &errors)?;
                ensure(errors.iter().any(|e| !e.warning), || {
                    format!("{mode:?}: failed with warnings only: {errors:?}")
                })?;
            }
        }
    }
    Ok(())
}

#[test]
fn markdown() {
    let env = Env::new();
    fuzz(TARGET, 96, strategy(), |text: &String| check(&env, text));
}
