//! The output-comparison rule of `shared/zola-compat/README.md` ("The comparison rule").
//!
//! Rust port of `shared/zola-compat/tools/compare.py`; the two must agree on whether two
//! output trees differ:
//!
//! 1. both trees hold the same set of files (relative paths, `/`-separated);
//! 2. `.html`/`.htm` files: same visible text (every text node outside `<script>`/`<style>`,
//!    character references decoded, ASCII whitespace runs collapsed to one space, trimmed) and
//!    same list of `href`/`src` values (decoded, collapsed), in document order;
//! 3. `.xml` files: for every element in document order, same qualified name
//!    (`{namespace}local`), same set of attributes, same text and same tail (collapsed);
//! 4. every other file: byte-identical.
//!
//! `compare.py` reads HTML with Python's `html.parser`, a tokenizer without tree
//! construction, while this module uses `scraper` (html5ever), which builds a DOM. Current
//! CPython releases tokenize like HTML5 (`<title>`/`<textarea>` hold text only, `<xmp>`,
//! `<iframe>`, `<noembed>`, `<noframes>` raw text, references in attribute values decoded the
//! HTML5 way), so html5ever's tokenizer matches them. What differs, and is undone here:
//!
//! * html5ever drops a newline right after `<pre>`, `<listing>` and `<textarea>`; Python keeps
//!   it (it can separate two words). Every newline that follows a `>` is doubled before
//!   parsing: where the parser drops one, the other remains, and anywhere else the extra
//!   newline merges into a run of whitespace that is collapsed anyway.
//! * html5ever keeps the content of `<noscript>` as raw text (scripting is on); Python's
//!   parser reads it as markup (Zola's redirect pages hold `<noscript><meta …></noscript>`).
//!   That raw text is parsed again as an HTML fragment and walked in place.
//! * `html.unescape` turns a numeric reference to a control character or a noncharacter
//!   (`&#x2;`, `&#xFFFF;`, …) into nothing, html5ever into the character; such references are
//!   removed before parsing. (Both agree on `&#0;`, `&#x80;`–`&#x9F;`, surrogates.)
//! * An `<a>` left open (or closed out of order) is re-opened by html5ever in the following
//!   blocks, as copies carrying the same `href`; Python sees the tag once. The copies share
//!   the attribute value's buffer with the original, so a value already met at the same
//!   address is not counted again (values longer than 8 bytes; shorter ones are stored inline).
//!
//! Remaining differences only concern malformed or unusual markup: foster parenting (text
//! misplaced in a `<table>` moves before it), CDATA sections inside `<svg>`/`<math>` (text here,
//! ignored by Python), `<script/>` (Python does not enter script mode for the self-closing
//! form), an `href`/`src` without a value (Python skips it, here it is `""`), duplicate
//! attributes (html5ever keeps the first), `href` and `src` on one element (always `href` first
//! here), and tokenizer corner cases such as `</script` without `>`. Python releases from before
//! the 2025 `html.parser` fixes (3.11.7, for one) also read markup inside `<title>`,
//! `<textarea>`, `<xmp>`, `<iframe>`, `<noembed>` and `<noframes>`, and decode legacy
//! references like `&copy` before `=` in attribute values; none of this occurs in Zola's output.
//!
//! Where `compare.py` would stop with an exception (a file that cannot be read, HTML that is
//! not UTF-8, XML that is not well-formed), or where `os.walk` silently yields nothing (a root
//! that does not exist or cannot be listed), a difference is reported instead.

use std::collections::{BTreeMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use scraper::{Html, Node};
use walkdir::WalkDir;

/// Compares the output tree `actual` with the reference tree `expected`.
///
/// Returns one human-readable message per difference (missing file, unexpected file, and for
/// each differing file its first difference), in the order `compare.py` prints them; the result
/// is empty when the trees match.
pub fn compare_trees(expected: &Path, actual: &Path) -> Vec<String> {
    let mut problems = Vec::new();
    let expected_files = list_files(expected, "expected", &mut problems);
    let actual_files = list_files(actual, "actual", &mut problems);
    for rel in expected_files.keys() {
        if !actual_files.contains_key(rel) {
            problems.push(format!("missing: {rel}"));
        }
    }
    for rel in actual_files.keys() {
        if !expected_files.contains_key(rel) {
            problems.push(format!("unexpected: {rel}"));
        }
    }
    for (rel, expected_path) in &expected_files {
        if let Some(actual_path) = actual_files.get(rel) {
            compare_file(rel, expected_path, actual_path, &mut problems);
        }
    }
    problems
}

/// Every file (not directory) below `root`, keyed by its `/`-separated relative path. Like
/// `os.walk`, symbolic links are not followed: a link to a directory is neither listed nor
/// entered, any other link counts as a file.
fn list_files(root: &Path, side: &str, problems: &mut Vec<String>) -> BTreeMap<String, PathBuf> {
    let mut files = BTreeMap::new();
    match fs::metadata(root) {
        Ok(meta) if meta.is_dir() => {}
        Ok(_) => {
            problems.push(format!(
                "unreadable: {side} tree {} is not a directory",
                root.display()
            ));
            return files;
        }
        Err(err) => {
            problems.push(format!("unreadable: {side} tree {}: {err}", root.display()));
            return files;
        }
    }
    for entry in WalkDir::new(root).min_depth(1).follow_links(false) {
        let entry = match entry {
            Ok(entry) => entry,
            Err(err) => {
                problems.push(format!("unreadable: {side} tree: {err}"));
                continue;
            }
        };
        let file_type = entry.file_type();
        if file_type.is_dir() {
            continue;
        }
        if file_type.is_symlink() && fs::metadata(entry.path()).is_ok_and(|m| m.is_dir()) {
            continue;
        }
        let Ok(rel) = entry.path().strip_prefix(root) else {
            continue;
        };
        let key = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        files.insert(key, entry.path().to_path_buf());
    }
    files
}

fn compare_file(rel: &str, expected: &Path, actual: &Path, problems: &mut Vec<String>) {
    if rel.ends_with(".html") || rel.ends_with(".htm") {
        compare_html(rel, expected, actual, problems);
    } else if rel.ends_with(".xml") {
        compare_xml(rel, expected, actual, problems);
    } else {
        compare_bytes(rel, expected, actual, problems);
    }
}

/// Reads both sides with `load`; a side that fails is reported and `None` is returned.
fn load_both<T>(
    rel: &str,
    expected: &Path,
    actual: &Path,
    problems: &mut Vec<String>,
    load: impl Fn(&Path) -> Result<T, String>,
) -> Option<(T, T)> {
    let e = load(expected);
    let a = load(actual);
    match (e, a) {
        (Ok(e), Ok(a)) => Some((e, a)),
        (e, a) => {
            if let Err(err) = e {
                problems.push(format!("unreadable: {rel} (expected: {err})"));
            }
            if let Err(err) = a {
                problems.push(format!("unreadable: {rel} (actual: {err})"));
            }
            None
        }
    }
}

fn read_bytes(path: &Path) -> Result<Vec<u8>, String> {
    fs::read(path).map_err(|err| format!("cannot read {}: {err}", path.display()))
}

fn read_utf8(path: &Path) -> Result<String, String> {
    String::from_utf8(read_bytes(path)?).map_err(|err| {
        format!(
            "{} is not UTF-8 (invalid byte at offset {})",
            path.display(),
            err.utf8_error().valid_up_to()
        )
    })
}

fn compare_bytes(rel: &str, expected: &Path, actual: &Path, problems: &mut Vec<String>) {
    let Some((e, a)) = load_both(rel, expected, actual, problems, read_bytes) else {
        return;
    };
    if e != a {
        let at = e
            .iter()
            .zip(&a)
            .position(|(x, y)| x != y)
            .unwrap_or(e.len().min(a.len()));
        problems.push(format!(
            "bytes differ: {rel} (first difference at byte {at}; expected {} bytes, actual {} bytes)",
            e.len(),
            a.len()
        ));
    }
}

// ---------------------------------------------------------------------------------------------
// Shared helpers

/// `compare.py`'s `collapse`: every run of ASCII whitespace (space, tab, LF, CR, FF, VT)
/// becomes one space, and the ends are trimmed. Other spaces (U+00A0, …) are kept.
fn collapse(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    for ch in s.chars() {
        if matches!(ch, ' ' | '\t' | '\n' | '\r' | '\x0c' | '\x0b') {
            pending_space = true;
        } else {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.push(ch);
        }
    }
    out
}

/// The first index where two lists differ, with the items found there on each side (`None`
/// past the end of the shorter list).
fn first_diff<'a>(e: &'a [String], a: &'a [String]) -> (usize, Option<&'a str>, Option<&'a str>) {
    let at = e
        .iter()
        .zip(a)
        .position(|(x, y)| x != y)
        .unwrap_or(e.len().min(a.len()));
    (
        at,
        e.get(at).map(String::as_str),
        a.get(at).map(String::as_str),
    )
}

fn show_item(item: Option<&str>) -> String {
    match item {
        Some(s) => format!("{s:?}"),
        None => "nothing".to_string(),
    }
}

// ---------------------------------------------------------------------------------------------
// HTML

const HTML_NS: &str = "http://www.w3.org/1999/xhtml";

/// How deeply `<noscript>` raw text (`<noscript>` in `<noscript>` …) is parsed again.
const MAX_REPARSE_DEPTH: usize = 32;

/// Visible text and `href`/`src` values of one HTML document.
struct HtmlDigest {
    text: String,
    links: Vec<String>,
}

fn html_digest(source: &str) -> HtmlDigest {
    let mut raw_text = String::new();
    let mut links = Vec::new();
    collect_html(&prepare_source(source), 0, &mut raw_text, &mut links);
    HtmlDigest {
        text: collapse(&raw_text),
        links,
    }
}

/// Doubles every line break that directly follows a `>` and removes the numeric references
/// that `html.unescape` drops (see the module documentation).
fn prepare_source(source: &str) -> String {
    let mut out = String::with_capacity(source.len() + source.len() / 8);
    let mut rest = source;
    let mut after_gt = false;
    while let Some(ch) = rest.chars().next() {
        if let Some(len) = dropped_reference_len(rest) {
            // `after_gt` is kept: what follows the reference now follows the `>`.
            rest = &rest[len..];
            continue;
        }
        if after_gt && (ch == '\n' || ch == '\r') {
            out.push('\n');
        }
        out.push(ch);
        after_gt = ch == '>';
        rest = &rest[ch.len_utf8()..];
    }
    out
}

/// Length of the numeric reference at the start of `s` (`&#…` or `&#x…`, optional `;`) when
/// Python's `html.unescape` replaces it with nothing: C0/C1 controls other than whitespace
/// (and other than those with a Windows-1252 meaning), and noncharacters.
fn dropped_reference_len(s: &str) -> Option<usize> {
    let bytes = s.as_bytes();
    if bytes.first() != Some(&b'&') || bytes.get(1) != Some(&b'#') {
        return None;
    }
    let (radix, start) = match bytes.get(2) {
        Some(b'x' | b'X') => (16, 3),
        _ => (10, 2),
    };
    let mut end = start;
    let mut value: u32 = 0;
    while let Some(digit) = bytes.get(end).and_then(|&b| char::from(b).to_digit(radix)) {
        value = value
            .saturating_mul(radix)
            .saturating_add(digit)
            .min(0x11_0000);
        end += 1;
    }
    if end == start {
        return None;
    }
    if bytes.get(end) == Some(&b';') {
        end += 1;
    }
    let dropped = matches!(value, 0x1..=0x8 | 0xb | 0xe..=0x1f | 0x7f | 0xfdd0..=0xfdef)
        || (value <= 0x10_ffff && value & 0xfffe == 0xfffe);
    dropped.then_some(end)
}

/// Appends the text nodes outside `<script>`/`<style>` and the `href`/`src` values of
/// `source` (a document at depth 0, a fragment below), in document order.
fn collect_html(source: &str, depth: usize, text: &mut String, links: &mut Vec<String>) {
    // html5ever drops a leading byte-order mark; Python keeps it as text.
    if source.starts_with('\u{feff}') {
        text.push('\u{feff}');
    }
    let html = if depth == 0 {
        Html::parse_document(source)
    } else {
        Html::parse_fragment(source)
    };
    // Attribute values met so far, by address and length (see the module documentation).
    let mut seen_values: HashSet<(usize, usize)> = HashSet::new();
    // Depth-first, children in order; the flag says "inside <script> or <style>".
    let mut stack = vec![(html.tree.root(), false)];
    while let Some((node, skipped)) = stack.pop() {
        let mut hidden = skipped;
        match node.value() {
            Node::Text(t) => {
                if skipped {
                    continue;
                }
                // Python's parser reads the content of <noscript> as markup.
                let in_noscript = node
                    .parent()
                    .and_then(|p| p.value().as_element())
                    .is_some_and(|el| &*el.name.ns == HTML_NS && &*el.name.local == "noscript");
                if in_noscript && depth < MAX_REPARSE_DEPTH {
                    collect_html(&t.text, depth + 1, text, links);
                } else {
                    text.push_str(&t.text);
                }
            }
            Node::Element(el) => {
                if !skipped {
                    for (name, value) in el.attrs.iter() {
                        let local = &*name.local;
                        if name.prefix.is_some()
                            || !name.ns.is_empty()
                            || (local != "href" && local != "src")
                        {
                            continue;
                        }
                        let copy = value.len() > 8
                            && !seen_values.insert((value.as_ptr() as usize, value.len()));
                        if !copy {
                            links.push(format!("{local}={}", collapse(value)));
                        }
                    }
                }
                // Python skips by tag name, whatever the namespace (also `<svg><style>`).
                hidden = skipped || matches!(&*el.name.local, "script" | "style");
            }
            _ => {}
        }
        let mut children: Vec<_> = node.children().map(|child| (child, hidden)).collect();
        children.reverse();
        stack.extend(children);
    }
}

fn compare_html(rel: &str, expected: &Path, actual: &Path, problems: &mut Vec<String>) {
    let Some((e, a)) = load_both(rel, expected, actual, problems, |p| {
        read_utf8(p).map(|s| html_digest(&s))
    }) else {
        return;
    };
    if e.text != a.text {
        let te: Vec<char> = e.text.chars().collect();
        let ta: Vec<char> = a.text.chars().collect();
        let at = te
            .iter()
            .zip(&ta)
            .position(|(x, y)| x != y)
            .unwrap_or(te.len().min(ta.len()));
        let around = |chars: &[char]| -> String {
            chars[at.saturating_sub(60)..(at + 60).min(chars.len())]
                .iter()
                .collect()
        };
        problems.push(format!(
            "text differs: {rel} (at character {at})\n  expected: ...{:?}\n  actual:   ...{:?}",
            around(&te),
            around(&ta)
        ));
    }
    if e.links != a.links {
        let (at, x, y) = first_diff(&e.links, &a.links);
        problems.push(format!(
            "href/src differ: {rel} (item {at}: expected {}, actual {})",
            show_item(x),
            show_item(y)
        ));
    }
}

// ---------------------------------------------------------------------------------------------
// XML

const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";

/// One element as `xml.etree.ElementTree` sees it.
struct XmlElement {
    /// `{namespace}local`, or `local` outside any namespace.
    tag: String,
    /// Expanded names and decoded values, sorted.
    attrs: Vec<(String, String)>,
    /// Character data before the first child element.
    text: String,
    /// Character data after the end tag, up to the next tag.
    tail: String,
}

/// `compare.py`'s `xml_digest`: one line per element, in document order.
fn xml_digest(source: &str) -> Result<Vec<String>, String> {
    let elements = parse_xml(source)?;
    Ok(elements
        .iter()
        .map(|el| {
            let attrs = el
                .attrs
                .iter()
                .map(|(k, v)| format!("{k}={}", collapse(v)))
                .collect::<Vec<_>>()
                .join(" ");
            format!(
                "<{} {attrs}> {} | {}",
                el.tag,
                collapse(&el.text),
                collapse(&el.tail)
            )
        })
        .collect())
}

/// Parses a whole XML document into its elements (pre-order), with namespaces resolved and
/// references decoded. Comments, processing instructions and the doctype are dropped; text on
/// either side of them joins up, as in ElementTree. Errors where expat would fail on
/// well-formedness are reported.
fn parse_xml(source: &str) -> Result<Vec<XmlElement>, String> {
    let source = source.strip_prefix('\u{feff}').unwrap_or(source);
    if let Some((at, ch)) = source.char_indices().find(|&(_, ch)| !is_xml_char(ch)) {
        return Err(format!(
            "character U+{:04X} not allowed in XML (at byte {at})",
            ch as u32
        ));
    }
    check_xml_declaration(source)?;
    let mut reader = Reader::from_str(source);
    let mut elements: Vec<XmlElement> = Vec::new();
    let mut open: Vec<usize> = Vec::new();
    let mut scopes: Vec<Vec<(String, String)>> = Vec::new();
    // Where character data goes: (element index, true for its text / false for its tail).
    let mut target: Option<(usize, bool)> = None;
    let mut first_event = true;
    loop {
        let position = reader.buffer_position();
        let event = reader
            .read_event()
            .map_err(|err| format!("{err} (near byte {})", reader.error_position()))?;
        let at_start = std::mem::replace(&mut first_event, false);
        let data: Option<String> = match event {
            Event::Start(_) | Event::Empty(_) if !elements.is_empty() && open.is_empty() => {
                return Err(format!(
                    "junk after the document element (element at byte {position})"
                ));
            }
            Event::Start(start) => {
                elements.push(open_element(&start, &mut scopes)?);
                let index = elements.len() - 1;
                open.push(index);
                target = Some((index, true));
                None
            }
            Event::Empty(start) => {
                elements.push(open_element(&start, &mut scopes)?);
                scopes.pop();
                target = Some((elements.len() - 1, false));
                None
            }
            Event::End(_) => {
                let index = open
                    .pop()
                    .ok_or_else(|| format!("unmatched end tag at byte {position}"))?;
                scopes.pop();
                target = Some((index, false));
                None
            }
            Event::Text(t) => Some(t.xml10_content().into_owned()),
            Event::CData(c) => Some(c.xml10_content().into_owned()),
            Event::GeneralRef(_) if open.is_empty() => {
                return Err(format!(
                    "reference outside the document element (at byte {position})"
                ));
            }
            Event::GeneralRef(r) => Some(resolve_reference(&r)?),
            Event::Decl(_) if !at_start => {
                return Err(format!(
                    "XML declaration not at the start of the document (byte {position})"
                ));
            }
            Event::PI(pi) => {
                let target = pi.target();
                if !is_xml_name(target) || target.eq_ignore_ascii_case("xml") {
                    return Err(format!(
                        "bad processing instruction target {target:?} (at byte {position})"
                    ));
                }
                None
            }
            Event::Decl(_) | Event::Comment(_) | Event::DocType(_) => None,
            Event::Eof => break,
        };
        if let Some(data) = data {
            if open.is_empty() {
                // Outside the document element only whitespace is allowed (and ignored).
                if !data.chars().all(is_xml_space) {
                    return Err(format!(
                        "text outside the document element (at byte {position})"
                    ));
                }
            } else if let Some((index, is_text)) = target {
                let element = &mut elements[index];
                if is_text {
                    element.text.push_str(&data);
                } else {
                    element.tail.push_str(&data);
                }
            }
        }
    }
    if let Some(&index) = open.last() {
        return Err(format!("element <{}> is not closed", elements[index].tag));
    }
    if elements.is_empty() {
        return Err("no element found".to_string());
    }
    Ok(elements)
}

fn is_xml_space(ch: char) -> bool {
    matches!(ch, ' ' | '\t' | '\n' | '\r')
}

/// Checks the XML declaration, which quick-xml reads loosely: `version`, then optional
/// `encoding` and `standalone`, quoted. Files are read as UTF-8: a file declared in another
/// encoding is accepted only when it is pure ASCII (Python would decode the rest).
fn check_xml_declaration(source: &str) -> Result<(), String> {
    let Some(rest) = source.strip_prefix("<?xml") else {
        return Ok(());
    };
    if !rest.starts_with(is_xml_space) {
        return Ok(()); // `<?xml-stylesheet …?>` and the like: a processing instruction
    }
    let end = rest
        .find("?>")
        .ok_or_else(|| "unterminated XML declaration".to_string())?;
    let bad = || format!("malformed XML declaration <?xml{}?>", &rest[..end]);
    let mut pseudo_attributes = Vec::new();
    let mut rest = &rest[..end];
    loop {
        let item = rest.trim_start_matches(is_xml_space);
        if item.is_empty() {
            break;
        }
        if item.len() == rest.len() {
            return Err(bad());
        }
        let name_end = item
            .find(|c: char| c == '=' || is_xml_space(c))
            .ok_or_else(bad)?;
        let name = &item[..name_end];
        let after = item[name_end..].trim_start_matches(is_xml_space);
        let after = after
            .strip_prefix('=')
            .ok_or_else(bad)?
            .trim_start_matches(is_xml_space);
        let quote = after
            .chars()
            .next()
            .filter(|&q| q == '"' || q == '\'')
            .ok_or_else(bad)?;
        let after = &after[1..];
        let close = after.find(quote).ok_or_else(bad)?;
        pseudo_attributes.push((name, &after[..close]));
        rest = &after[close + 1..];
    }
    let mut items = pseudo_attributes.into_iter().peekable();
    match items.next() {
        Some(("version", v))
            if !v.is_empty()
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"._:-".contains(&b)) => {}
        _ => return Err(bad()),
    }
    if let Some(&(_, encoding)) = items.peek().filter(|(name, _)| *name == "encoding") {
        items.next();
        let mut name_chars = encoding.bytes();
        let valid_name = name_chars.next().is_some_and(|b| b.is_ascii_alphabetic())
            && name_chars.all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
        if !valid_name {
            return Err(bad());
        }
        // expat reads UTF-8 itself; for another name, Python supplies a single-byte decoder,
        // which reads ASCII as ASCII (even for names it does not know).
        let utf8 = encoding.eq_ignore_ascii_case("utf-8");
        let lower = encoding.to_ascii_lowercase();
        if lower.starts_with("utf-16") || lower.starts_with("utf-32") || lower.starts_with("ucs") {
            return Err(format!("unsupported encoding {encoding:?}"));
        }
        if !utf8 && !source.is_ascii() {
            return Err(format!(
                "non-ASCII content in a file declared as {encoding:?} (only UTF-8 is read)"
            ));
        }
    }
    if let Some(&(_, standalone)) = items.peek().filter(|(name, _)| *name == "standalone") {
        items.next();
        if standalone != "yes" && standalone != "no" {
            return Err(bad());
        }
    }
    if items.next().is_some() {
        return Err(bad());
    }
    Ok(())
}

/// Reads a start tag: pushes its namespace declarations on `scopes` (the caller pops them at
/// the end of the element) and expands the element and attribute names.
fn open_element(
    start: &BytesStart,
    scopes: &mut Vec<Vec<(String, String)>>,
) -> Result<XmlElement, String> {
    let qname = start.name().into_inner();
    if !is_xml_name(qname) {
        return Err(format!("bad element name {qname:?}"));
    }
    check_attribute_spacing(start.attributes_raw())?;
    let mut declarations = Vec::new();
    let mut plain = Vec::new();
    for attr in start.attributes() {
        let attr = attr.map_err(|err| format!("bad attribute: {err}"))?;
        let key = attr.key.into_inner();
        if !is_xml_name(key) {
            return Err(format!("bad attribute name {key:?}"));
        }
        if attr.value.contains('<') {
            return Err(format!("'<' in the value of attribute {key}"));
        }
        let value = xml_unescape(&attr.value)?;
        if key == "xmlns" {
            declarations.push((String::new(), value));
        } else if let Some(prefix) = key.strip_prefix("xmlns:") {
            declarations.push((prefix.to_string(), value));
        } else {
            plain.push((key.to_string(), value));
        }
    }
    scopes.push(declarations);
    let tag = expand_name(qname, true, scopes)?;
    let mut attrs: Vec<(String, String)> = Vec::with_capacity(plain.len());
    for (key, value) in plain {
        let name = expand_name(&key, false, scopes)?;
        if attrs.iter().any(|(k, _)| *k == name) {
            return Err(format!("duplicate attribute {name} on <{tag}>"));
        }
        attrs.push((name, value));
    }
    attrs.sort();
    Ok(XmlElement {
        tag,
        attrs,
        text: String::new(),
        tail: String::new(),
    })
}

/// XML requires whitespace between attributes (`a="1"b="2"` is not well-formed); quick-xml
/// accepts it.
fn check_attribute_spacing(raw: &str) -> Result<(), String> {
    let mut quote = None;
    let mut chars = raw.chars().peekable();
    while let Some(ch) = chars.next() {
        match quote {
            None if ch == '"' || ch == '\'' => quote = Some(ch),
            Some(q) if ch == q => {
                quote = None;
                if chars
                    .peek()
                    .is_some_and(|&next| !is_xml_space(next) && next != '/')
                {
                    return Err(format!("no whitespace between attributes in {raw:?}"));
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// ElementTree's name: `{uri}local` when the name is in a namespace, else the name as written.
/// Unprefixed attributes are in no namespace; unprefixed elements take the default one.
fn expand_name(
    qname: &str,
    is_element: bool,
    scopes: &[Vec<(String, String)>],
) -> Result<String, String> {
    let lookup = |prefix: &str| -> Option<&str> {
        if prefix == "xml" {
            return Some(XML_NS);
        }
        scopes
            .iter()
            .rev()
            .find_map(|scope| scope.iter().rev().find(|(p, _)| p == prefix))
            .map(|(_, uri)| uri.as_str())
    };
    match qname.split_once(':') {
        Some((prefix, local)) => match lookup(prefix) {
            Some(uri) if !uri.is_empty() => Ok(format!("{{{uri}}}{local}")),
            _ => Err(format!("unbound prefix in name {qname}")),
        },
        None if is_element => match lookup("") {
            Some(uri) if !uri.is_empty() => Ok(format!("{{{uri}}}{qname}")),
            _ => Ok(qname.to_string()),
        },
        None => Ok(qname.to_string()),
    }
}

/// Decodes the references of an attribute value.
fn xml_unescape(raw: &str) -> Result<String, String> {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let semi = after
            .find(';')
            .ok_or_else(|| format!("unterminated reference in {raw:?}"))?;
        out.push_str(&resolve_reference(&after[..semi])?);
        rest = &after[semi + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The text of `&name;`: the five predefined entities and character references. A document
/// without a DTD declares no other entity, so anything else is an error, as in expat.
fn resolve_reference(name: &str) -> Result<String, String> {
    let predefined = match name {
        "lt" => Some('<'),
        "gt" => Some('>'),
        "amp" => Some('&'),
        "apos" => Some('\''),
        "quot" => Some('"'),
        _ => None,
    };
    if let Some(ch) = predefined {
        return Ok(ch.to_string());
    }
    let Some(number) = name.strip_prefix('#') else {
        return Err(format!("undefined entity &{name};"));
    };
    let code = match number.strip_prefix('x') {
        Some(hex) if !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()) => {
            u32::from_str_radix(hex, 16).ok()
        }
        None if !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit()) => {
            number.parse::<u32>().ok()
        }
        _ => None,
    };
    match code.and_then(char::from_u32) {
        Some(ch) if is_xml_char(ch) => Ok(ch.to_string()),
        _ => Err(format!("invalid character reference &{name};")),
    }
}

/// XML `Name`, with every non-ASCII character allowed (a simplification of the Unicode ranges).
fn is_xml_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':' || !c.is_ascii())
        && chars.all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, '_' | ':' | '-' | '.') || !c.is_ascii()
        })
}

/// XML 1.0 `Char`.
fn is_xml_char(ch: char) -> bool {
    matches!(ch, '\t' | '\n' | '\r' | '\u{20}'..='\u{fffd}' | '\u{10000}'..)
}

fn compare_xml(rel: &str, expected: &Path, actual: &Path, problems: &mut Vec<String>) {
    let Some((e, a)) = load_both(rel, expected, actual, problems, |p| {
        let source = read_utf8(p)?;
        xml_digest(&source).map_err(|err| format!("{} is not well-formed XML: {err}", p.display()))
    }) else {
        return;
    };
    if e != a {
        let (at, x, y) = first_diff(&e, &a);
        problems.push(format!(
            "xml differs: {rel} (node {at}: expected {}, actual {})",
            show_item(x),
            show_item(y)
        ));
    }
}

// ---------------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;

    fn fixtures() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/zola-compat")
    }

    fn copy_tree(from: &Path, to: &Path) {
        for entry in WalkDir::new(from) {
            let entry = entry.expect("walk fixture tree");
            let target = to.join(entry.path().strip_prefix(from).expect("inside the tree"));
            if entry.file_type().is_dir() {
                fs::create_dir_all(&target).expect("create directory");
            } else {
                fs::copy(entry.path(), &target).expect("copy file");
            }
        }
    }

    fn write(root: &Path, rel: &str, content: &str) {
        let path = root.join(rel);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).expect("create directory");
        }
        fs::write(path, content).expect("write file");
    }

    /// A small site: an HTML page, a feed, a stylesheet and a text file.
    fn small_site(root: &Path) {
        write(root, "index.html", PAGE);
        write(root, "atom.xml", FEED);
        write(root, "style.css", "body { color: #333; }\n");
        write(root, "robots.txt", "User-agent: *\n");
    }

    const PAGE: &str = r#"<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Harbour &amp; lights</title>
  <link rel="stylesheet" href="https://example.org/style.css">
  <style>body { margin: 0 }</style>
  <script>var x = "<b>not text</b>";</script>
</head>
<body>
  <nav><a class="nav" href="https://example.org/blog/">Blog</a> <a href="/about/">About</a></nav>
  <h1 id="top">Keeper’s “rules”</h1>
  <p>The lamp is lit at dusk.<br>It burns&nbsp;until dawn.</p>
  <img src="https://example.org/lamp.svg" alt="Lamp">
  <noscript><meta http-equiv="refresh" content="0; url=https://example.org/"></noscript>
  <pre><code data-lang="text">line one
line two</code></pre>
</body>
</html>
"#;

    const FEED: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">
  <title>Harbour</title>
  <link rel="self" type="application/atom+xml" href="https://example.org/atom.xml"/>
  <entry xml:lang="en">
    <title>Fog signals</title>
    <content type="html">&lt;p&gt;Two blasts&lt;/p&gt;</content>
  </entry>
</feed>
"#;

    fn site_pair() -> (tempfile::TempDir, tempfile::TempDir) {
        let expected = tempfile::tempdir().expect("temp dir");
        let actual = tempfile::tempdir().expect("temp dir");
        small_site(expected.path());
        small_site(actual.path());
        (expected, actual)
    }

    fn replace_in(root: &Path, rel: &str, from: &str, to: &str) {
        let path = root.join(rel);
        let content = fs::read_to_string(&path).expect("read file");
        assert!(content.contains(from), "{from:?} not found in {rel}");
        fs::write(&path, content.replace(from, to)).expect("write file");
    }

    #[test]
    fn fixture_trees_match_themselves() {
        for name in ["basic", "i18n", "functions"] {
            let tree = fixtures().join(name).join("expected");
            assert!(tree.is_dir(), "missing fixture {}", tree.display());
            assert_eq!(compare_trees(&tree, &tree), Vec::<String>::new(), "{name}");
        }
    }

    #[test]
    fn fixture_copy_matches() {
        let copy = tempfile::tempdir().expect("temp dir");
        let tree = fixtures().join("basic/expected");
        copy_tree(&tree, copy.path());
        assert_eq!(compare_trees(&tree, copy.path()), Vec::<String>::new());
    }

    #[test]
    fn small_site_matches_itself() {
        let (expected, actual) = site_pair();
        assert_eq!(
            compare_trees(expected.path(), actual.path()),
            Vec::<String>::new()
        );
    }

    #[test]
    fn markup_only_changes_are_not_differences() {
        let (expected, actual) = site_pair();
        let root = actual.path();
        // Attribute order and quoting.
        replace_in(
            root,
            "index.html",
            r#"<a class="nav" href="https://example.org/blog/">"#,
            "<a href='https://example.org/blog/' class=nav>",
        );
        replace_in(
            root,
            "index.html",
            r#"<meta charset="utf-8">"#,
            "<meta charset=utf-8 >",
        );
        // Entity spelling, in text and in attributes.
        replace_in(
            root,
            "index.html",
            r#"href="https://example.org/style.css""#,
            r#"href="https:&#x2F;&#x2F;example.org&#x2F;style.css""#,
        );
        replace_in(
            root,
            "index.html",
            "Harbour &amp; lights",
            "Harbour &#38; lights",
        );
        replace_in(root, "index.html", "Keeper’s", "Keeper&rsquo;s");
        replace_in(root, "index.html", "burns&nbsp;until", "burns\u{a0}until");
        // Whitespace runs, markup, comments.
        replace_in(
            root,
            "index.html",
            "The lamp is lit",
            "The   lamp\n\t is lit",
        );
        replace_in(root, "index.html", "</nav>", "</nav>\n\n<!-- menu -->\n");
        replace_in(root, "index.html", "<br>", "<br />");
        replace_in(
            root,
            "index.html",
            "<script>var x",
            "<script>var y = 1; var x",
        );
        // XML: attribute order, entity spelling, CDATA, whitespace, comments.
        replace_in(
            root,
            "atom.xml",
            r#"<link rel="self" type="application/atom+xml" href="https://example.org/atom.xml"/>"#,
            "<link href=\"https://example.org&#x2F;atom.xml\"\n        rel='self' type=\"application/atom+xml\"></link>",
        );
        replace_in(
            root,
            "atom.xml",
            "&lt;p&gt;Two blasts&lt;/p&gt;",
            "<![CDATA[<p>Two   blasts</p>]]>",
        );
        replace_in(
            root,
            "atom.xml",
            "<title>Fog signals</title>",
            "<title>Fog <!-- x -->signals</title>",
        );
        assert_eq!(
            compare_trees(expected.path(), actual.path()),
            Vec::<String>::new()
        );
    }

    #[test]
    fn namespace_prefix_choice_is_not_a_difference() {
        let (expected, actual) = site_pair();
        replace_in(
            actual.path(),
            "atom.xml",
            r#"<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">"#,
            r#"<a:feed xml:lang="en" xmlns="http://www.w3.org/2005/Atom"
                xmlns:a="http://www.w3.org/2005/Atom">"#,
        );
        replace_in(actual.path(), "atom.xml", "</feed>", "</a:feed>");
        assert_eq!(
            compare_trees(expected.path(), actual.path()),
            Vec::<String>::new()
        );
    }

    fn single_problem(expected: &Path, actual: &Path, prefix: &str) -> String {
        let problems = compare_trees(expected, actual);
        assert_eq!(problems.len(), 1, "{problems:#?}");
        assert!(problems[0].starts_with(prefix), "{problems:#?}");
        problems[0].clone()
    }

    #[test]
    fn changed_text_is_a_difference() {
        let (expected, actual) = site_pair();
        replace_in(actual.path(), "index.html", "lit at dusk", "lit at dawn");
        let problem = single_problem(expected.path(), actual.path(), "text differs: index.html");
        assert!(problem.contains("lit at dusk"), "{problem}");
        assert!(problem.contains("lit at dawn"), "{problem}");
    }

    #[test]
    fn non_ascii_space_is_significant() {
        let (expected, actual) = site_pair();
        replace_in(
            actual.path(),
            "index.html",
            "burns&nbsp;until",
            "burns until",
        );
        single_problem(expected.path(), actual.path(), "text differs: index.html");
    }

    #[test]
    fn text_of_title_and_noscript_content_count() {
        let (expected, actual) = site_pair();
        replace_in(
            actual.path(),
            "index.html",
            "Harbour &amp; lights",
            "Harbour lights",
        );
        single_problem(expected.path(), actual.path(), "text differs: index.html");

        let (expected, actual) = site_pair();
        replace_in(
            actual.path(),
            "index.html",
            "<noscript><meta",
            "<noscript>Enable JavaScript<meta",
        );
        single_problem(expected.path(), actual.path(), "text differs: index.html");
    }

    #[test]
    fn noscript_markup_is_markup() {
        // Only the attribute quoting inside <noscript> changes.
        let (expected, actual) = site_pair();
        replace_in(
            actual.path(),
            "index.html",
            r#"<meta http-equiv="refresh" content="0; url=https://example.org/">"#,
            r#"<meta content='0; url=https://example.org/' http-equiv=refresh>"#,
        );
        assert_eq!(
            compare_trees(expected.path(), actual.path()),
            Vec::<String>::new()
        );
    }

    #[test]
    fn newline_after_pre_separates_words() {
        let expected = tempfile::tempdir().expect("temp dir");
        let actual = tempfile::tempdir().expect("temp dir");
        write(
            expected.path(),
            "a.html",
            "<p>Intro</p><div><pre>\ncode</pre></div>",
        );
        write(
            actual.path(),
            "a.html",
            "<p>Intro</p><div><pre>code</pre></div>",
        );
        single_problem(expected.path(), actual.path(), "text differs: a.html");
        write(
            actual.path(),
            "a.html",
            "<p>Intro</p><div>\n<pre>code</pre></div>",
        );
        assert_eq!(
            compare_trees(expected.path(), actual.path()),
            Vec::<String>::new()
        );
    }

    #[test]
    fn script_and_style_content_is_ignored() {
        let (expected, actual) = site_pair();
        replace_in(actual.path(), "index.html", "margin: 0", "margin: 1px");
        replace_in(actual.path(), "index.html", "not text", "still not text");
        assert_eq!(
            compare_trees(expected.path(), actual.path()),
            Vec::<String>::new()
        );
    }

    #[test]
    fn changed_href_is_a_difference() {
        let (expected, actual) = site_pair();
        replace_in(
            actual.path(),
            "index.html",
            r#"href="/about/""#,
            r#"href="/about""#,
        );
        let problem = single_problem(
            expected.path(),
            actual.path(),
            "href/src differ: index.html",
        );
        assert!(problem.contains("href=/about/"), "{problem}");
    }

    #[test]
    fn changed_src_is_a_difference() {
        let (expected, actual) = site_pair();
        replace_in(actual.path(), "index.html", "lamp.svg", "lamp.png");
        single_problem(
            expected.path(),
            actual.path(),
            "href/src differ: index.html",
        );
    }

    #[test]
    fn missing_file_is_a_difference() {
        let (expected, actual) = site_pair();
        fs::remove_file(actual.path().join("robots.txt")).expect("remove file");
        let problem = single_problem(expected.path(), actual.path(), "missing: robots.txt");
        assert_eq!(problem, "missing: robots.txt");
    }

    #[test]
    fn extra_file_is_a_difference() {
        let (expected, actual) = site_pair();
        write(actual.path(), "blog/extra/index.html", "<p>extra</p>");
        let problem = single_problem(expected.path(), actual.path(), "unexpected:");
        assert_eq!(problem, "unexpected: blog/extra/index.html");
    }

    #[test]
    fn changed_css_byte_is_a_difference() {
        let (expected, actual) = site_pair();
        replace_in(actual.path(), "style.css", "#333", "#334");
        let problem = single_problem(expected.path(), actual.path(), "bytes differ: style.css");
        assert!(problem.contains("byte 17"), "{problem}");
    }

    #[test]
    fn other_files_compare_bytes_not_text() {
        let (expected, actual) = site_pair();
        replace_in(
            actual.path(),
            "robots.txt",
            "User-agent: *\n",
            "User-agent:  *\n",
        );
        single_problem(expected.path(), actual.path(), "bytes differ: robots.txt");
    }

    #[test]
    fn xml_differences() {
        let cases = [
            ("<title>Fog signals</title>", "<title>Fog signal</title>"),
            (r#"type="html""#, r#"type="text""#),
            (r#"<entry xml:lang="en">"#, "<entry>"),
            ("&lt;/p&gt;</content>", "&lt;/p&gt;</content>tail"),
            ("<title>Harbour</title>", "<subtitle>Harbour</subtitle>"),
            (
                "<title>Harbour</title>",
                "<title>Harbour</title><!-- c --><?pi x?>x",
            ),
            (
                r#"<feed xmlns="http://www.w3.org/2005/Atom""#,
                r#"<feed xmlns="http://www.w3.org/2005/atom""#,
            ),
        ];
        for (from, to) in cases {
            let (expected, actual) = site_pair();
            replace_in(actual.path(), "atom.xml", from, to);
            let problem = single_problem(expected.path(), actual.path(), "xml differs: atom.xml");
            assert!(problem.contains("(node "), "{problem}");
        }
    }

    #[test]
    fn unparsable_and_unreadable_files_are_differences() {
        let (expected, actual) = site_pair();
        replace_in(actual.path(), "atom.xml", "</feed>", "");
        let problem = single_problem(
            expected.path(),
            actual.path(),
            "unreadable: atom.xml (actual:",
        );
        assert!(problem.contains("not well-formed"), "{problem}");

        let (expected, actual) = site_pair();
        replace_in(actual.path(), "atom.xml", "Harbour", "Harbour &nbsp;");
        single_problem(
            expected.path(),
            actual.path(),
            "unreadable: atom.xml (actual:",
        );

        let (expected, actual) = site_pair();
        fs::write(actual.path().join("index.html"), b"<p>caf\xe9</p>").expect("write file");
        single_problem(
            expected.path(),
            actual.path(),
            "unreadable: index.html (actual:",
        );

        let expected = tempfile::tempdir().expect("temp dir");
        small_site(expected.path());
        let nowhere = expected.path().join("no-such-dir");
        let problems = compare_trees(expected.path(), &nowhere);
        assert!(
            problems[0].starts_with("unreadable: actual tree"),
            "{problems:#?}"
        );
    }

    #[test]
    fn collapse_matches_python() {
        assert_eq!(collapse("  a \t\n b\x0b\x0cc\r\n"), "a b c");
        assert_eq!(collapse("\u{a0}a\u{a0}"), "\u{a0}a\u{a0}");
        assert_eq!(collapse(" \n "), "");
    }

    #[test]
    fn html_digest_basics() {
        let d = html_digest(
            "<!DOCTYPE html><title>T&#x2F;1</title><style>p{}</style>\
             <p>a<!-- c -->b <a href=' https://x.org/&#x2F; '>c</a></p>\
             <svg><a xlink:href=\"#n\"/><image href=\"i.png\"/><style>q</style></svg>",
        );
        assert_eq!(d.text, "T/1ab c");
        assert_eq!(d.links, vec!["href=https://x.org//", "href=i.png"]);
    }

    #[test]
    fn html_control_references_vanish_like_in_python() {
        let d = html_digest("<p>a&#x2;b&#2c&#xFFFF;d&#x80;&#x9;e</p><p>1</p><pre>&#x7f;\n2</pre>");
        assert_eq!(d.text, "abcd\u{20ac} e1 2");
    }

    #[test]
    fn reopened_links_count_once() {
        let once = "<p><a href=\"https://example.org/x\">1</a></p>\n<p>2</p> <a href=\"https://example.org/x\">3</a>";
        let expected = vec!["href=https://example.org/x"; 2];
        assert_eq!(html_digest(once).links, expected);
        // The first <a> is not closed: html5ever copies it into the second paragraph.
        let open = "<p><a href=\"https://example.org/x\">1</p>\n<p>2</p> <a href=\"https://example.org/x\">3</a>";
        assert_eq!(html_digest(open).links, expected);
        assert_eq!(html_digest(open).text, html_digest(once).text);
    }

    #[test]
    fn xml_declaration_is_checked() {
        assert!(xml_digest("<?xml version='1.0' standalone=\"yes\"?><r/>").is_ok());
        assert!(xml_digest("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<r/>").is_ok());
        assert!(xml_digest("<?xml-stylesheet href=\"a.xsl\"?><r/>").is_ok());
        assert!(xml_digest("<?xml version=\"1.0\" encoding=\"latin1\"?><r>e</r>").is_ok());
        assert!(xml_digest("<r a=\"1\" b='2'/>").is_ok());
        assert!(xml_digest("<r a=\"1\"\n/>").is_ok());
        assert!(xml_digest("<r a=\"1\"/>").is_ok());
        for bad in [
            "<?xml version=1.0?><r/>",
            "<?xml encoding=\"UTF-8\" version=\"1.0\"?><r/>",
            "<?xml version=\"1.0\" encoding=\"TF-8\"?><r>\u{e9}</r>",
            "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><r>\u{e9}</r>",
            "<?xml version=\"1.0\" encoding=\"UTF-16\"?><r/>",
            "<?xml version=\"1.0\"?>&#10;<r/>",
            " <?xml version=\"1.0\"?><r/>",
            "<r/><r/>",
            "<r>",
            "text<r/>",
            "<r a=\"1\" a=\"2\"/>",
            "<r a=\"1\"b=\"2\"/>",
            "<?x'ml version=\"1.0\"?><r/>",
            "<r/><?xml version=\"1.0\"?>",
            "<r a'=\"1\"/>",
            "<?xml version=\"1.0\" encoding=\"U TF-8\"?><r/>",
            "<p:r/>",
            "<r>&nbsp;</r>",
            "<r>&#1;</r>",
        ] {
            assert!(xml_digest(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn xml_digest_basics() {
        let lines = xml_digest(
            "<?xml version=\"1.0\"?>\n<!-- c -->\n<r xmlns:a=\"urn:a\" z=\"1\" a:y=\"&amp;2\">\
             x<!-- c -->y<a:c b=\" q \"/>tail <![CDATA[<b>]]></r>\n",
        )
        .expect("well-formed");
        assert_eq!(
            lines,
            vec!["<r z=1 {urn:a}y=&2> xy | ", "<{urn:a}c b=q>  | tail <b>"]
        );
    }
}
