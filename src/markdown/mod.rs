//! Markdown → HTML, as Zola renders it: heading ids and a table of contents, `@/` links,
//! `<!-- more -->` summaries, external link attributes, shortcodes and highlighted code.

pub mod highlight;
pub mod shortcodes;

use std::collections::HashMap;

use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, LinkType, Options, Parser, Tag, TagEnd};
use serde::Serialize;
use serde_json::Value as Json;

use crate::config::Config;
pub use highlight::Highlighter;
use shortcodes::{MAX_DEPTH, Piece};

/// A heading, for tables of contents.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Default)]
pub struct Heading {
    pub level: u32,
    pub id: String,
    pub permalink: String,
    pub title: String,
    pub children: Vec<Heading>,
}

/// How a shortcode template is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShortcodeKind {
    Html,
    Markdown,
}

/// Renders shortcode templates (implemented by the template layer).
pub trait Shortcodes: Sync {
    fn kind(&self, name: &str) -> Option<ShortcodeKind>;
    fn render(
        &self,
        name: &str,
        kind: ShortcodeKind,
        args: &serde_json::Map<String, Json>,
        body: Option<&str>,
        nth: usize,
    ) -> Result<String, String>;
}

/// The permalinks of the site's content files, by path relative to `content/` (`@/` links).
pub trait Permalinks: Sync {
    fn permalink(&self, relative: &str) -> Option<&str>;
}

impl Permalinks for foldhash::HashMap<String, String> {
    fn permalink(&self, relative: &str) -> Option<&str> {
        self.get(relative).map(String::as_str)
    }
}

impl Permalinks for crate::content::Library {
    fn permalink(&self, relative: &str) -> Option<&str> {
        self.permalink_of(relative)
    }
}

/// What rendering one piece of Markdown needs to know.
pub struct MarkdownContext<'a> {
    pub config: &'a Config,
    /// Permalink of the page being rendered (relative links are joined to it).
    pub permalink: &'a str,
    /// Relative path of the file being rendered (`blog/a.md`), for backlinks.
    pub relative_path: &'a str,
    /// Relative path of every content file → its permalink.
    pub permalinks: &'a dyn Permalinks,
    pub highlighter: Option<&'a Highlighter>,
    pub shortcodes: Option<&'a dyn Shortcodes>,
    /// The `summary-cutoff.html` output, appended to a summary cut mid-paragraph.
    pub summary_cutoff: &'a str,
    /// What becomes of raw HTML in the text.
    pub raw_html: RawHtml,
}

/// What becomes of raw HTML (blocks and inline tags) written in Markdown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum RawHtml {
    /// Shown as text, with a warning: the default for practices, written by people we don't
    /// know.
    #[default]
    Escape,
    /// Kept, cleaned with an allow-list (ammonia): no script, style, event handler or unsafe
    /// URL survives.
    Sanitize,
}

/// The result of rendering.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rendered {
    pub html: std::sync::Arc<str>,
    /// A hash of `html` when the caller asked for one (the preview's render keys use it
    /// instead of hashing every page's HTML on every build), or 0.
    pub html_key: u64,
    pub summary: Option<String>,
    pub toc: Vec<Heading>,
    /// `@/` links (target relative path, anchor), in order.
    pub internal_links: Vec<(String, Option<String>)>,
    pub external_links: Vec<String>,
    /// Problems that do not stop the build (escaped raw HTML).
    pub warnings: Vec<MarkdownError>,
}

/// A problem in the Markdown, located by a byte offset in the text when known, or else by
/// something to find in it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MarkdownError {
    pub message: String,
    /// Something to find in the source to locate the problem (a link target, a shortcode).
    pub needle: Option<String>,
    /// Byte offset in the text given to [`render`] (known when shortcodes did not change it).
    pub offset: Option<usize>,
    /// A warning rather than an error.
    pub warning: bool,
}

const PLACEHOLDER_OPEN: &str = "@@ZSC";
const PLACEHOLDER_CLOSE: &str = "@@";
const MORE_MARKER: &str = "<!-- more -->";
const CONTINUE_SPAN: &str = "<span id=\"continue-reading\"></span>";

pub fn options(config: &Config) -> Options {
    let mut o = Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES;
    if config.markdown.smart_punctuation {
        o |= Options::ENABLE_SMART_PUNCTUATION;
    }
    o
}

/// Renders `text` (a Markdown body). All problems are returned together.
pub fn render(text: &str, ctx: &MarkdownContext<'_>) -> Result<Rendered, Vec<MarkdownError>> {
    let mut errors = Vec::new();
    // (name, output) of each HTML shortcode, in the order of their placeholders.
    let mut html_shortcodes: Vec<(String, String)> = Vec::new();
    let expanded = expand_shortcodes(text, ctx, &mut html_shortcodes, &mut errors, 0);

    let mut out = Rendered::default();
    if let Some(mut e) = check_nesting(&expanded) {
        if expanded != text {
            e.offset = None;
        }
        errors.push(e);
        return Err(errors);
    }
    // Offsets found while rendering are offsets in `text` only when shortcodes changed nothing.
    let exact = expanded == text;
    let events = transform_events(&expanded, exact, ctx, &mut out, &mut errors);
    let mut html = String::with_capacity(expanded.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, events.into_iter());

    if !html_shortcodes.is_empty() {
        html = insert_shortcodes(&html, &html_shortcodes, &mut errors);
    }
    if let Some(at) = memchr::memmem::find(html.as_bytes(), CONTINUE_SPAN.as_bytes()) {
        out.summary = Some(make_summary(&html[..at], ctx.summary_cutoff));
    }
    out.html = html.into();
    if errors.is_empty() {
        Ok(out)
    } else {
        errors.append(&mut out.warnings);
        Err(errors)
    }
}

/// Whether `text` may call a shortcode (`{{ name(…) }}` or `{% name(…) %}`): without either
/// opening, it is rendered the same with or without shortcodes.
pub fn may_call_shortcodes(text: &str) -> bool {
    // One pass, by `memchr`: `{` is rare in prose.
    let bytes = text.as_bytes();
    memchr::memchr_iter(b'{', bytes).any(|i| matches!(bytes.get(i + 1), Some(b'{' | b'%')))
}

/// Renders shortcodes: Markdown ones are expanded into the text, HTML ones become placeholders
/// replaced after the Markdown is rendered.
fn expand_shortcodes(
    text: &str,
    ctx: &MarkdownContext<'_>,
    html_out: &mut Vec<(String, String)>,
    errors: &mut Vec<MarkdownError>,
    depth: usize,
) -> String {
    if !may_call_shortcodes(text) {
        return text.to_string();
    }
    let pieces = match shortcodes::parse(text) {
        Ok(p) => p,
        Err(e) => {
            errors.push(MarkdownError {
                message: e.message,
                needle: text.get(e.offset..).map(|s| s.chars().take(20).collect()),
                offset: (depth == 0).then_some(e.offset),
                ..Default::default()
            });
            return text.to_string();
        }
    };
    let mut counts: HashMap<String, usize> = HashMap::new();
    let mut out = String::with_capacity(text.len());
    for piece in pieces {
        match piece {
            Piece::Text(t) => out.push_str(&t),
            Piece::Call(call) => {
                let needle = Some(format!("{}(", call.name));
                let Some(sc) = ctx.shortcodes else {
                    continue;
                };
                let Some(kind) = sc.kind(&call.name) else {
                    errors.push(MarkdownError {
                        message: format!(
                            "unknown shortcode `{}`: no templates/shortcodes/{}.html or .md",
                            call.name, call.name
                        ),
                        needle,
                        ..Default::default()
                    });
                    continue;
                };
                if depth >= MAX_DEPTH {
                    errors.push(MarkdownError {
                        message: format!(
                            "shortcodes nested more than {MAX_DEPTH} deep (`{}`)",
                            call.name
                        ),
                        needle,
                        ..Default::default()
                    });
                    continue;
                }
                let nth = {
                    let c = counts.entry(call.name.clone()).or_insert(0);
                    *c += 1;
                    *c
                };
                match sc.render(&call.name, kind, &call.args, call.body.as_deref(), nth) {
                    Ok(rendered) => match kind {
                        ShortcodeKind::Markdown => out.push_str(&rendered),
                        ShortcodeKind::Html => {
                            out.push_str(PLACEHOLDER_OPEN);
                            out.push_str(&html_out.len().to_string());
                            out.push_str(PLACEHOLDER_CLOSE);
                            html_out.push((call.name.clone(), rendered));
                        }
                    },
                    Err(e) => errors.push(MarkdownError {
                        message: format!("shortcode `{}` failed: {e}", call.name),
                        needle,
                        ..Default::default()
                    }),
                }
            }
        }
    }
    out
}

/// Puts the output of HTML shortcodes in place of their placeholders, in text only. A
/// placeholder inside a tag (a link's or an image's address or title, a code block's
/// language, a heading attribute, an attribute of raw HTML) is an error: the shortcode's HTML
/// would break out of the attribute. A shortcode alone in its paragraph replaces the
/// paragraph. One pass, whatever the number of shortcodes.
fn insert_shortcodes(
    html: &str,
    rendered: &[(String, String)],
    errors: &mut Vec<MarkdownError>,
) -> String {
    #[derive(Clone, Copy, PartialEq)]
    enum In {
        Text,
        Tag,
        Quoted(u8),
        Comment,
    }
    let extra: usize = rendered.iter().map(|(_, r)| r.len()).sum();
    let mut out = String::with_capacity(html.len() + extra);
    let mut placed = vec![false; rendered.len()];
    let mut refused = vec![false; rendered.len()];
    let bytes = html.as_bytes();
    let mut state = In::Text;
    let (mut i, mut copied) = (0, 0);
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'@'
            && state != In::Comment
            && let Some((n, len)) = placeholder(&html[i..])
            && n < rendered.len()
        {
            if state != In::Text {
                if !refused[n] {
                    refused[n] = true;
                    let name = &rendered[n].0;
                    errors.push(MarkdownError {
                        message: format!(
                            "shortcode `{name}` cannot be used inside a link, an image, a code block's language or an HTML attribute: its HTML would break out of it"
                        ),
                        needle: Some(format!("{name}(")),
                        ..Default::default()
                    });
                }
            } else if !placed[n] {
                placed[n] = true;
                out.push_str(&html[copied..i]);
                let after = &html[i + len..];
                if out.ends_with("<p>") && after.starts_with("</p>\n") {
                    out.truncate(out.len() - 3);
                    i += len + 5;
                } else {
                    i += len;
                }
                out.push_str(&rendered[n].1);
                copied = i;
                continue;
            }
        }
        match state {
            In::Text if bytes[i..].starts_with(b"<!--") => {
                state = In::Comment;
                i += 4;
                continue;
            }
            In::Text
                if b == b'<'
                    && bytes.get(i + 1).is_some_and(|c| {
                        c.is_ascii_alphabetic() || matches!(c, b'/' | b'!' | b'?')
                    }) =>
            {
                state = In::Tag
            }
            In::Tag if b == b'"' || b == b'\'' => state = In::Quoted(b),
            In::Tag if b == b'>' => state = In::Text,
            In::Quoted(q) if b == q => state = In::Tag,
            In::Comment if bytes[i..].starts_with(b"-->") => {
                state = In::Text;
                i += 3;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    out.push_str(&html[copied..]);
    out
}

/// `@@ZSC<n>@@` at the start of `s`: `(n, length)`.
fn placeholder(s: &str) -> Option<(usize, usize)> {
    let rest = s.strip_prefix(PLACEHOLDER_OPEN)?;
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 || digits > 9 || !rest[digits..].starts_with(PLACEHOLDER_CLOSE) {
        return None;
    }
    let n = rest[..digits].parse().ok()?;
    Some((n, PLACEHOLDER_OPEN.len() + digits + PLACEHOLDER_CLOSE.len()))
}

/// Is this link outside the site?
pub fn is_external(link: &str) -> bool {
    let l = link.to_ascii_lowercase();
    l.starts_with("http://")
        || l.starts_with("https://")
        || l.starts_with("//")
        || l.starts_with("www.")
}

fn has_scheme(link: &str) -> bool {
    match link.find(':') {
        Some(i) => {
            let scheme = &link[..i];
            !scheme.is_empty()
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '+' || c == '-' || c == '.')
        }
        None => false,
    }
}

/// Resolves a link target: `@/` content paths, local anchors, relative paths.
fn resolve_link(
    dest: &str,
    ctx: &MarkdownContext<'_>,
    out: &mut Rendered,
    errors: &mut Vec<MarkdownError>,
) -> String {
    if let Some(rest) = dest.strip_prefix("@/") {
        let (path, anchor) = match rest.split_once('#') {
            Some((p, a)) => (p, Some(a.to_string())),
            None => (rest, None),
        };
        if path.split(['/', '\\']).any(|seg| seg == ".." || seg == ".") {
            errors.push(MarkdownError {
                message: format!(
                    "internal link `{dest}` refused: `..` and `.` are not allowed in `@/` paths (they start at content/)"
                ),
                needle: Some(dest.to_string()),
                ..Default::default()
            });
            return "#".to_string();
        }
        return match ctx.permalinks.permalink(path) {
            Some(p) => {
                out.internal_links.push((path.to_string(), anchor.clone()));
                match anchor {
                    Some(a) => format!("{p}#{a}"),
                    None => p.to_string(),
                }
            }
            None => {
                errors.push(MarkdownError {
                    message: format!("broken internal link `{dest}`: no content file `{path}`"),
                    needle: Some(dest.to_string()),
                    ..Default::default()
                });
                dest.to_string()
            }
        };
    }
    if let Some(anchor) = dest.strip_prefix('#') {
        // Zola counts a local anchor as a link to the page itself.
        out.internal_links
            .push((ctx.relative_path.to_string(), Some(anchor.to_string())));
        return format!("{}{dest}", ctx.permalink);
    }
    if is_external(dest) {
        out.external_links.push(dest.to_string());
        return dest.to_string();
    }
    if dest.starts_with('/') || has_scheme(dest) || dest.is_empty() {
        return dest.to_string();
    }
    format!("{}{dest}", ctx.permalink)
}

fn external_link_attrs(config: &Config) -> String {
    let mut rel = Vec::new();
    if config.markdown.external_links_target_blank {
        rel.push("noopener");
    }
    if config.markdown.external_links_no_follow {
        rel.push("nofollow");
    }
    if config.markdown.external_links_no_referrer {
        rel.push("noreferrer");
    }
    rel.push("external");
    let mut s = format!(" rel=\"{}\"", rel.join(" "));
    if config.markdown.external_links_target_blank {
        s.push_str(" target=\"_blank\"");
    }
    s
}

fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    pulldown_cmark_escape::escape_html(&mut out, s).ok();
    out
}

fn escape_href(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    pulldown_cmark_escape::escape_href(&mut out, s).ok();
    out
}

fn transform_events<'a>(
    text: &'a str,
    exact: bool,
    ctx: &MarkdownContext<'_>,
    out: &mut Rendered,
    errors: &mut Vec<MarkdownError>,
) -> Vec<Event<'a>> {
    let parser = Parser::new_ext(text, options(ctx.config)).into_offset_iter();
    let mut events: Vec<Event<'a>> = Vec::new();
    let mut code: Option<(String, String)> = None;
    let mut link_stack: Vec<bool> = Vec::new();
    let mut highlight_budget = MAX_HIGHLIGHTED;
    // Tags of raw HTML kept so far (sanitised mode).
    let mut raw_tags = 0;
    // Consecutive lines of a raw HTML block, and the offset of the first.
    let mut html_block: Option<(String, usize)> = None;
    for (ev, range) in parser {
        if !matches!(ev, Event::Html(_))
            && let Some((block, at)) = html_block.take()
        {
            raw_html(
                &block,
                false,
                at,
                exact,
                text,
                ctx,
                out,
                &mut events,
                &mut raw_tags,
            );
        }
        if let Some((_, buf)) = &mut code {
            match ev {
                Event::Text(t) => buf.push_str(&t),
                Event::End(TagEnd::CodeBlock) => {
                    let (lang, buf) = code.take().unwrap_or_default();
                    events.push(Event::Html(
                        code_block(&lang, &buf, ctx, &mut highlight_budget).into(),
                    ));
                }
                _ => {}
            }
            continue;
        }
        match ev {
            Event::Start(Tag::Heading {
                level,
                id,
                classes,
                mut attrs,
            }) => {
                attrs.retain(|(name, value)| {
                    let Some(why) = refused_attribute(name, value.as_deref()) else {
                        return true;
                    };
                    let at = text
                        .get(range.clone())
                        .and_then(|h| h.find(name.as_ref()))
                        .map_or(range.start, |i| range.start + i);
                    errors.push(MarkdownError {
                        message: format!("heading attribute `{name}` refused: {why}"),
                        needle: Some(name.to_string()),
                        offset: exact.then_some(at),
                        warning: false,
                    });
                    false
                });
                events.push(Event::Start(Tag::Heading {
                    level,
                    id,
                    classes,
                    attrs,
                }));
            }
            Event::Start(Tag::CodeBlock(kind)) => {
                let lang = match kind {
                    CodeBlockKind::Fenced(info) => {
                        info.split([' ', ',', '{']).next().unwrap_or("").to_string()
                    }
                    CodeBlockKind::Indented => String::new(),
                };
                code = Some((lang, String::new()));
            }
            Event::Start(Tag::Link {
                link_type,
                mut dest_url,
                title,
                id,
            }) => {
                if refuse_url(&dest_url, "link", range.start, exact, errors) {
                    dest_url = "#".into();
                }
                let external = is_external(&dest_url);
                let resolved = resolve_link(&dest_url, ctx, out, errors);
                if external && link_type != LinkType::Email {
                    let mut tag = format!(
                        "<a{} href=\"{}\"",
                        external_link_attrs(ctx.config),
                        escape_href(&resolved)
                    );
                    if !title.is_empty() {
                        tag.push_str(&format!(" title=\"{}\"", escape_html(&title)));
                    }
                    tag.push('>');
                    events.push(Event::Html(tag.into()));
                    // Written by hand: its end is written by hand too.
                    link_stack.push(true);
                } else {
                    events.push(Event::Start(Tag::Link {
                        link_type,
                        dest_url: resolved.into(),
                        title,
                        id,
                    }));
                    link_stack.push(false);
                }
            }
            Event::End(TagEnd::Link) => {
                let manual = link_stack.pop().unwrap_or(false);
                if manual {
                    events.push(Event::Html("</a>".into()));
                } else {
                    events.push(Event::End(TagEnd::Link));
                }
            }
            Event::Start(Tag::Image {
                link_type,
                mut dest_url,
                title,
                id,
            }) => {
                if refuse_url(&dest_url, "image", range.start, exact, errors) {
                    dest_url = "#".into();
                }
                let resolved = if dest_url.starts_with("@/")
                    || is_external(&dest_url)
                    || dest_url.starts_with('/')
                    || has_scheme(&dest_url)
                {
                    resolve_link(&dest_url, ctx, out, errors)
                } else {
                    format!("{}{}", ctx.permalink, dest_url)
                };
                events.push(Event::Start(Tag::Image {
                    link_type,
                    dest_url: resolved.into(),
                    title,
                    id,
                }));
            }
            Event::Html(h) | Event::InlineHtml(h) if h.trim() == MORE_MARKER => {
                if let Some((block, at)) = html_block.take() {
                    raw_html(
                        &block,
                        false,
                        at,
                        exact,
                        text,
                        ctx,
                        out,
                        &mut events,
                        &mut raw_tags,
                    );
                }
                events.push(Event::Html(CONTINUE_SPAN.into()));
            }
            Event::Html(h) => match &mut html_block {
                Some((block, _)) => block.push_str(&h),
                None => html_block = Some((h.to_string(), range.start)),
            },
            Event::InlineHtml(h) => {
                raw_html(
                    &h,
                    true,
                    range.start,
                    exact,
                    text,
                    ctx,
                    out,
                    &mut events,
                    &mut raw_tags,
                );
            }
            other => events.push(other),
        }
    }
    if let Some((block, at)) = html_block.take() {
        raw_html(
            &block,
            false,
            at,
            exact,
            text,
            ctx,
            out,
            &mut events,
            &mut raw_tags,
        );
    }
    headings(events, ctx, out)
}

/// At most this many raw-HTML warnings per file (the rest is escaped just the same).
const MAX_HTML_WARNINGS: usize = 20;

/// Raw HTML written in the Markdown: escaped (shown as text) with a warning, or sanitised.
#[allow(clippy::too_many_arguments)]
fn raw_html(
    html: &str,
    inline: bool,
    at: usize,
    exact: bool,
    text: &str,
    ctx: &MarkdownContext<'_>,
    out: &mut Rendered,
    events: &mut Vec<Event<'_>>,
    raw_tags: &mut usize,
) {
    match ctx.raw_html {
        RawHtml::Escape => {
            if out.warnings.len() < MAX_HTML_WARNINGS {
                let first = html.trim().lines().next().unwrap_or("");
                let shown: String = first.chars().take(40).collect();
                let more = if shown.len() < first.len() { "…" } else { "" };
                out.warnings.push(MarkdownError {
                    message: format!(
                        "raw HTML `{shown}{more}` is shown as text: raw HTML is off here (a section allows it, sanitised, with `allow_html = true` under [extra] in its _index.md)"
                    ),
                    needle: text
                        .get(at..)
                        .map(|s| s.chars().take(30).collect::<String>().trim().to_string()),
                    offset: exact.then_some(at),
                    warning: true,
                });
            }
            events.push(Event::Text(html.to_string().into()));
        }
        RawHtml::Sanitize => {
            // Past `MAX_HTML_TAGS` tags in a text, the rest is shown as text: lone tags are
            // kept unclosed, and 200,000 of them made a page nested as deep (an HTML parser
            // took 30 s; found by the `markdown` fuzz target).
            let clean = if *raw_tags > MAX_HTML_TAGS {
                escape_html(html)
            } else {
                sanitize_html(html)
            };
            *raw_tags += clean.matches('<').count();
            events.push(if inline {
                Event::InlineHtml(clean.into())
            } else {
                Event::Html(clean.into())
            });
        }
    }
}

/// The allow-list for raw HTML: ammonia's defaults (no script, style, iframe, form, event
/// handler, or URL scheme other than http(s), mailto and a few more), plus `id`, `class`, `dir`.
fn cleaner() -> &'static (
    ammonia::Builder<'static>,
    std::collections::HashSet<&'static str>,
) {
    static CLEANER: std::sync::OnceLock<(
        ammonia::Builder<'static>,
        std::collections::HashSet<&'static str>,
    )> = std::sync::OnceLock::new();
    CLEANER.get_or_init(|| {
        let mut b = ammonia::Builder::default();
        b.add_generic_attributes(["id", "class", "dir"]);
        let tags = b.clone_tags();
        (b, tags)
    })
}

/// Raw HTML nested deeper than this is dropped rather than handed to the sanitiser.
const MAX_HTML_TAGS: usize = 10_000;

/// Sanitises a piece of raw HTML. A lone tag (inline HTML, or a block line with Markdown around
/// it) is kept or dropped on its own, so that a tag closed later in the Markdown still matches.
pub fn sanitize_html(html: &str) -> String {
    let (builder, tags) = cleaner();
    let t = html.trim();
    let newline = if html.ends_with('\n') { "\n" } else { "" };
    if t.starts_with('<') && t.ends_with('>') && !t[1..].contains('<') {
        let inner = &t[1..t.len() - 1];
        if let Some(close) = inner.strip_prefix('/') {
            let name = close.trim().to_ascii_lowercase();
            return if tags.contains(name.as_str()) {
                format!("</{name}>{newline}")
            } else {
                String::new()
            };
        }
        let name: String = inner
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        if name.is_empty() {
            return String::new();
        }
        let cleaned = builder.clean(t).to_string();
        if !cleaned.starts_with(&format!("<{name}")) {
            return String::new();
        }
        let cleaned = cleaned
            .strip_suffix(&format!("</{name}>"))
            .unwrap_or(&cleaned);
        return format!("{cleaned}{newline}");
    }
    if html.matches('<').count() > MAX_HTML_TAGS {
        return escape_html(html);
    }
    builder.clean(html).to_string()
}

/// The URL schemes refused in Markdown links and images, whatever their case or the spaces and
/// control characters around them (browsers ignore those). Entities are already decoded.
fn unsafe_scheme(url: &str) -> Option<&'static str> {
    let cleaned: String = url
        .trim_start_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .take(16)
        .collect::<String>()
        .to_ascii_lowercase();
    ["javascript:", "vbscript:", "data:"]
        .into_iter()
        .find(|s| cleaned.starts_with(s))
}

/// Why a heading attribute (`# Title {key=value}`) is refused, if it is: an event handler, a
/// name an HTML parser could read as something else (`x/onclick`), or a script or data URL.
fn refused_attribute(name: &str, value: Option<&str>) -> Option<&'static str> {
    let plain = name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'));
    if !plain {
        return Some("an attribute name is letters, digits, `-`, `_`, `.` and `:`");
    }
    if name.to_ascii_lowercase().starts_with("on") {
        return Some("event handlers run script");
    }
    if value.and_then(unsafe_scheme).is_some() {
        return Some("its value is a script or data URL");
    }
    None
}

/// Records an error for a link or image to a refused URL scheme; true when refused.
fn refuse_url(
    url: &str,
    what: &str,
    at: usize,
    exact: bool,
    errors: &mut Vec<MarkdownError>,
) -> bool {
    let Some(scheme) = unsafe_scheme(url) else {
        return false;
    };
    errors.push(MarkdownError {
        message: format!(
            "{what} to a `{scheme}` URL refused: links and images may not run script or embed data"
        ),
        needle: Some(url.chars().take(20).collect()),
        offset: exact.then_some(at),
        warning: false,
    });
    true
}

/// Block quotes and lists nested deeper than this are refused (a pathological file, not a
/// text anyone writes).
pub const MAX_NESTING: usize = 100;

/// Refuses Markdown nested deeper than [`MAX_NESTING`] (block quotes, list items), before it
/// reaches the parser and the HTML writer.
fn check_nesting(text: &str) -> Option<MarkdownError> {
    let mut offset = 0;
    for line in crate::diagnostics::lines_inclusive(text) {
        let mut depth = 0;
        let mut indent = 0;
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '>' => depth += 1,
                ' ' => indent += 1,
                '\t' => indent += 4,
                '-' | '*' | '+' => depth += 1,
                // An ordered list marker (`1.`, `12)`) opens a level too.
                '0'..='9' => {
                    while chars.next_if(char::is_ascii_digit).is_some() {}
                    if chars.next_if(|c| matches!(c, '.' | ')')).is_none() {
                        break;
                    }
                    depth += 1;
                }
                _ => break,
            }
        }
        // Each list level needs at least two more columns of indentation (indentation alone is
        // a code block, not nesting).
        if depth > 0 {
            depth += indent / 2;
        }
        if depth > MAX_NESTING {
            return Some(MarkdownError {
                message: format!(
                    "block quotes or lists nested more than {MAX_NESTING} deep are refused"
                ),
                needle: None,
                offset: Some(offset),
                warning: false,
            });
        }
        offset += line.len();
    }
    None
}

/// At most this much code is highlighted per text, the rest is shown plain: highlighting
/// runs at about 100 KB/s and multiplies the size of the HTML by up to 40 (the `markdown`
/// fuzz target found a megabyte of code taking 10 s and making 43 MB of HTML).
pub const MAX_HIGHLIGHTED: usize = 256 * 1024;

fn code_block(lang: &str, code: &str, ctx: &MarkdownContext<'_>, budget: &mut usize) -> String {
    if let Some(h) = ctx.highlighter
        && !lang.is_empty()
        && code.len() <= *budget
        && let Some(inner) = h.highlight(code, lang)
    {
        *budget -= code.len();
        let l = escape_html(lang);
        return format!(
            "<pre data-lang=\"{l}\" class=\"language-{l} z-code\"><code class=\"language-{l}\" data-lang=\"{l}\">{inner}</code></pre>\n"
        );
    }
    if lang.is_empty() {
        format!("<pre><code>{}</code></pre>\n", escape_html(code))
    } else {
        format!(
            "<pre><code data-lang=\"{}\">{}</code></pre>\n",
            escape_html(lang),
            escape_html(code)
        )
    }
}

/// Gives headings their ids (explicit, or slugified from their text, made unique) and builds
/// the table of contents.
fn headings<'a>(
    events: Vec<Event<'a>>,
    ctx: &MarkdownContext<'_>,
    out: &mut Rendered,
) -> Vec<Event<'a>> {
    let mut result = Vec::with_capacity(events.len());
    let mut used: HashMap<String, usize> = HashMap::new();
    // Explicit ids are reserved first, as they cannot change.
    for ev in &events {
        if let Event::Start(Tag::Heading { id: Some(id), .. }) = ev {
            used.insert(id.to_string(), 0);
        }
    }
    let mut flat: Vec<Heading> = Vec::new();
    let mut iter = events.into_iter();
    while let Some(ev) = iter.next() {
        let Event::Start(Tag::Heading {
            level,
            id,
            classes,
            attrs,
        }) = ev
        else {
            result.push(ev);
            continue;
        };
        let mut inner = Vec::new();
        let mut title = String::new();
        for e in iter.by_ref() {
            match &e {
                Event::End(TagEnd::Heading(_)) => break,
                Event::Text(t) | Event::Code(t) => title.push_str(t),
                Event::SoftBreak | Event::HardBreak => title.push(' '),
                _ => {}
            }
            inner.push(e);
        }
        let id = match id {
            Some(id) => id.to_string(),
            None => unique_id(&ctx.config.slugify.anchor(title.trim()), &mut used),
        };
        let lvl = heading_level(level);
        let mut open = format!("<h{lvl} id=\"{}\"", escape_html(&id));
        if !classes.is_empty() {
            open.push_str(&format!(" class=\"{}\"", escape_html(&classes.join(" "))));
        }
        for (k, v) in attrs {
            open.push_str(&format!(" {}", escape_html(&k)));
            if let Some(v) = v {
                open.push_str(&format!("=\"{}\"", escape_html(&v)));
            }
        }
        open.push('>');
        result.push(Event::Html(open.into()));
        result.extend(inner);
        result.push(Event::Html(format!("</h{lvl}>\n").into()));
        flat.push(Heading {
            level: lvl,
            permalink: format!("{}#{}", ctx.permalink, id),
            id,
            title: title.trim().to_string(),
            children: vec![],
        });
    }
    out.toc = make_toc(flat);
    result
}

fn heading_level(l: HeadingLevel) -> u32 {
    match l {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

fn unique_id(base: &str, used: &mut HashMap<String, usize>) -> String {
    let base = if base.is_empty() { "section" } else { base };
    if !used.contains_key(base) {
        used.insert(base.to_string(), 0);
        return base.to_string();
    }
    let mut n = used.get(base).copied().unwrap_or(0);
    loop {
        n += 1;
        let candidate = format!("{base}-{n}");
        if !used.contains_key(&candidate) {
            used.insert(base.to_string(), n);
            used.insert(candidate.clone(), 0);
            return candidate;
        }
    }
}

/// Nests a flat list of headings by level.
pub fn make_toc(flat: Vec<Heading>) -> Vec<Heading> {
    fn insert(parent: &mut Heading, h: &Heading) -> bool {
        if h.level <= parent.level {
            return false;
        }
        if h.level == parent.level + 1 {
            parent.children.push(h.clone());
            return true;
        }
        let placed = match parent.children.last_mut() {
            Some(last) => insert(last, h),
            None => false,
        };
        if !placed {
            parent.children.push(h.clone());
        }
        true
    }
    let mut toc: Vec<Heading> = Vec::new();
    for h in flat {
        let inserted = match toc.last_mut() {
            Some(last) => insert(last, &h),
            None => false,
        };
        if !inserted {
            toc.push(h);
        }
    }
    toc
}

/// The summary: the HTML before `<!-- more -->`. Cut inside a paragraph, its open tags are
/// closed and the cutoff (`&hellip;` by default) is appended.
fn make_summary(before: &str, cutoff: &str) -> String {
    let open = open_tags(before);
    if open.is_empty() {
        return before.trim_end().to_string();
    }
    let mut s = before.to_string();
    s.push_str(cutoff);
    for t in open.iter().rev() {
        s.push_str(&format!("</{t}>"));
    }
    s
}

fn open_tags(html: &str) -> Vec<String> {
    const VOID: &[&str] = &[
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr",
    ];
    let mut stack: Vec<String> = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        rest = &rest[i + 1..];
        let end = rest.find('>').unwrap_or(rest.len());
        let tag = &rest[..end];
        if tag.starts_with('!') || tag.ends_with('/') {
            rest = &rest[end..];
            continue;
        }
        if let Some(name) = tag.strip_prefix('/') {
            let name = name.trim().to_ascii_lowercase();
            if let Some(pos) = stack.iter().rposition(|t| *t == name) {
                stack.truncate(pos);
            }
        } else {
            let name: String = tag
                .split(|c: char| c.is_whitespace())
                .next()
                .unwrap_or("")
                .to_ascii_lowercase();
            if !name.is_empty() && !VOID.contains(&name.as_str()) {
                stack.push(name);
            }
        }
        rest = &rest[end..];
    }
    stack
}

#[cfg(test)]
mod tests;
