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
