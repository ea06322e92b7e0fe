//! Inputs the fuzz targets found, each a named test (smaller copies are seeds too, in
//! `tests/fuzz/seeds/<target>/crash-*`).

use std::time::{Duration, Instant};

use compendium::markdown::RawHtml;

use crate::markdown;

/// `markdown`: 33,000 nested ordered-list markers rendered (in 20 ms) to HTML nested as
/// deep, which an HTML parser took 30 s to read; ordered lists now count towards the nesting
/// limit, like block quotes and bullet lists.
#[test]
fn markdown_deep_ordered_list_is_refused() {
    let env = markdown::Env::new();
    let text = format!("{}x\n", "1. ".repeat(33_210));
    for mode in [RawHtml::Escape, RawHtml::Sanitize] {
        let start = Instant::now();
        let errors = env.render(&text, mode, false).expect_err("refused");
        assert!(errors[0].message.contains("nested more than"), "{errors:?}");
        assert_eq!(errors[0].offset, Some(0));
        assert!(start.elapsed() < Duration::from_secs(5));
    }
    markdown::check(&env, &text).expect("invariants");
}

/// `markdown`: `# Title {onclick=alert(1)}` gave the heading an event handler (in practices
/// too, where raw HTML is escaped); `x/onclick=…` did as well once parsed by a browser.
#[test]
fn markdown_heading_event_handlers_are_refused() {
    let env = markdown::Env::new();
    for text in [
        "# Heading {onclick=alert(1)}\n",
        "## Other {x/onmouseover=alert(1) #id}\n",
        "# T {OnFocus=alert(1) autofocus tabindex=1}\n",
    ] {
        for mode in [RawHtml::Escape, RawHtml::Sanitize] {
            let errors = env.render(text, mode, false).expect_err(text);
            assert!(
                errors[0].message.starts_with("heading attribute"),
                "{text}: {errors:?}"
            );
        }
        markdown::check(&env, text).expect("invariants");
    }
}

/// `markdown`: an HTML shortcode in a code block's language (or a link, an image, an
/// attribute) put its HTML inside an attribute, whose quotes it closed: the arguments, escaped
/// for text, became attributes (`onmouseover=…`). Placeholders are now replaced in text only;
/// in a tag they are an error.
#[test]
fn markdown_shortcode_in_an_attribute_is_refused() {
    let env = markdown::Env::new();
    for text in [
        "\n```{{ note() }}rust\nfn main() { let x = 1; }\n```\n",
        "```{{ cite(title=\" onmouseover=alert(1) x=\") }}rust\nx\n```\n",
        "[link]({{ note() }})\n",
        "![{{ cite(title=\"x\") }}](/i.png)\n",
    ] {
        let errors = env.render(text, RawHtml::Escape, false).expect_err(text);
        assert!(
            errors
                .iter()
                .any(|e| e.message.contains("cannot be used inside")),
            "{text}: {errors:?}"
        );
        markdown::check(&env, text).expect("invariants");
    }
}

/// `markdown`: a megabyte of `{{/*` (and code fences) without `*/}}` took minutes: each escape
/// searched the rest of the text for its end.
#[test]
fn markdown_unclosed_shortcode_escapes_take_linear_time() {
    let env = markdown::Env::new();
    let text = format!("{}=~~~{}", "`".repeat(300), "{{/*".repeat(100_000));
    let start = Instant::now();
    env.render(&text, RawHtml::Escape, false).expect("render");
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "{:?}",
        start.elapsed()
    );
}

/// `markdown`: a megabyte of never-closed code fence took 10 s to highlight (43 MB of HTML);
/// highlighting now stops after `MAX_HIGHLIGHTED` bytes per text.
#[test]
fn markdown_long_code_is_not_all_highlighted() {
    let env = markdown::Env::new();
    let text = format!("```js\n  ```html\n{}```js\n", "```html\n".repeat(60_000));
    let start = Instant::now();
    let html = env
        .render(&text, RawHtml::Escape, true)
        .expect("render")
        .html;
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "{:?}",
        start.elapsed()
    );
    assert!(html.len() < 2 * text.len(), "{} bytes of HTML", html.len());
}

/// `front_matter`: 30,000 YAML items whose value is not written as such (`'it''s'`) were each
/// searched for up to the end of the front matter (minutes for 400 KB).
#[test]
fn front_matter_yaml_values_not_in_the_text_take_linear_time() {
    let text = format!(
        "---\ntitle: t\nextra:\n  l:\n{}---\nbody\n",
        "    - 'it''s'\n".repeat(30_000)
    );
    let start = Instant::now();
    crate::front_matter::check_bytes(text.as_bytes()).expect("invariants");
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "{:?}",
        start.elapsed()
    );
}

/// Found while reading the above: each of 100,000 unknown keys had its position computed by
/// reading the file from its start (and `check` re-read the file for each): minutes for a
/// megabyte. Positions now come from a line index.
#[test]
fn front_matter_many_diagnostics_take_linear_time() {
    let text = format!(
        "+++\ntitle = \"t\"\n{}+++\nbody\n",
        (0..100_000)
            .map(|i| format!("k{i} = 1\n"))
            .collect::<String>()
    );
    let start = Instant::now();
    crate::front_matter::check_bytes(text.as_bytes()).expect("invariants");
    assert!(
        start.elapsed() < Duration::from_secs(30),
        "{:?}",
        start.elapsed()
    );
}

/// `serve_path`: `/caf%C3%A9` names a folder; the redirect to `/café/` put non-ASCII in the
/// `Location` header, whose construction panicked (the browser got a 500). It is
/// percent-encoded now.
#[test]
fn serve_redirect_to_a_folder_with_non_ascii_name() {
    let env = crate::serve::Env::new();
    crate::serve::check(&env, "/caf%C3%A9").expect("301 to /caf%C3%A9/");
    crate::serve::check(&env, "/a%20b").expect("301 to /a%20b/");
}

/// `markdown`: a megabyte of lone `<b>` in sanitised mode kept every one, unclosed: a page
/// nested 200,000 deep, which an HTML parser took 30 s to read. Past `MAX_HTML_TAGS` tags the
/// rest is shown as text.
#[test]
fn markdown_many_lone_tags_are_bounded() {
    let env = markdown::Env::new();
    let text = format!("{}</a>x\n", "<b>".repeat(50_000));
    let start = Instant::now();
    let html = env
        .render(&text, RawHtml::Sanitize, false)
        .expect("render")
        .html;
    assert!(html.matches("<b>").count() <= 10_010);
    markdown::check(&env, &text).expect("invariants");
    assert!(
        start.elapsed() < Duration::from_secs(30),
        "{:?}",
        start.elapsed()
    );
}

/// `front_matter`: 20,000 nested YAML flow sequences (`description: [` on each line) took the
/// YAML scanner 4 s per parse (quadratic); more than `MAX_YAML_FLOW` `[`/`{` are refused.
#[test]
fn front_matter_deep_yaml_flow_is_refused_quickly() {
    let text = format!("---\n{}---\nbody\n", "    description: [\n".repeat(20_000));
    let start = Instant::now();
    crate::front_matter::check_bytes(text.as_bytes()).expect("invariants");
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "{:?}",
        start.elapsed()
    );
}
