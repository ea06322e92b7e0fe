//! Front matter: split a content file into its front matter and body, and parse the front
//! matter into a tree whose every value knows where it stands in the file.
//!
//! TOML sits between `+++` lines, YAML between `---` lines, as in Zola. Positions count lines
//! and columns in the whole file (a byte-order mark and Windows line endings included).

use std::fmt;
use std::ops::Range;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value as Json;

use crate::diagnostics::Position;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Toml,
    Yaml,
}

/// A content file cut in two.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split<'a> {
    pub format: Format,
    /// The front matter text, without its delimiter lines.
    pub front: &'a str,
    /// Byte offset of `front` in the whole file.
    pub front_offset: usize,
    /// The Markdown body.
    pub body: &'a str,
    /// Byte offset of `body` in the whole file.
    pub body_offset: usize,
}

/// Why a file could not be split.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SplitError {
    #[error("the file is empty: a content file starts with front matter between `+++` lines")]
    Empty,
    #[error(
        "no front matter: a content file starts with a `+++` line (TOML) or a `---` line (YAML)"
    )]
    Missing,
    #[error("the front matter opened here is never closed: add a `{0}` line after it")]
    Unclosed(&'static str),
}

impl SplitError {
    /// Where the problem is, as a byte offset.
    pub fn offset(&self, text: &str) -> usize {
        match self {
            SplitError::Unclosed(_) => {
                text.len()
                    - text
                        .trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n'])
                        .len()
            }
            _ => 0,
        }
    }
}

/// Splits `text` into front matter and body.
pub fn split(text: &str) -> Result<Split<'_>, SplitError> {
    let start = text.len() - text.trim_start_matches('\u{feff}').len();
    let rest = &text[start..];
    if rest.trim().is_empty() {
        return Err(SplitError::Empty);
    }
    let lead = rest.len() - rest.trim_start().len();
    let open_at = start + lead;
    let opened = &text[open_at..];
    let (delim, format) = if opened.starts_with("+++") {
        ("+++", Format::Toml)
    } else if opened.starts_with("---") {
        ("---", Format::Yaml)
    } else {
        return Err(SplitError::Missing);
    };
    // The opening line must hold only the delimiter.
    let first_line_end = opened.find('\n').map(|i| i + 1).unwrap_or(opened.len());
    if !opened[..first_line_end].trim_end().eq(delim) {
        return Err(SplitError::Missing);
    }
    let front_offset = open_at + first_line_end;
    let mut offset = front_offset;
    for line in text[front_offset..].split_inclusive('\n') {
        if line.trim_end() == delim {
            let front = &text[front_offset..offset];
            let body_offset = offset + line.len();
            return Ok(Split {
                format,
                front,
                front_offset,
                body: &text[body_offset..],
                body_offset,
            });
        }
        offset += line.len();
    }
    Err(SplitError::Unclosed(delim))
}

/// A front-matter value with its place in the file.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// Byte range in the whole file, when known.
    pub span: Option<Range<usize>>,
    pub value: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    String(String),
    Integer(i64),
    Float(f64),
    Bool(bool),
    /// A TOML date or date-time, as written.
    Datetime(String),
    Array(Vec<Node>),
    Table(Vec<(Key, Node)>),
    Null,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    pub name: String,
    pub span: Option<Range<usize>>,
}

impl Value {
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::String(_) => "a string",
            Value::Integer(_) => "an integer",
            Value::Float(_) => "a number",
            Value::Bool(_) => "a boolean",
            Value::Datetime(_) => "a date",
            Value::Array(_) => "an array",
            Value::Table(_) => "a table",
            Value::Null => "nothing",
        }
    }
}

impl Node {
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Table(t) => t.iter().find(|(k, _)| k.name == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn entries(&self) -> &[(Key, Node)] {
        match &self.value {
            Value::Table(t) => t,
            _ => &[],
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// As JSON for templates. Tables have their keys sorted, as Zola's TOML data does.
    pub fn to_json(&self) -> Json {
        match &self.value {
            Value::String(s) | Value::Datetime(s) => Json::String(s.clone()),
            Value::Integer(i) => Json::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f)
                .map(Json::Number)
                .unwrap_or(Json::Null),
            Value::Bool(b) => Json::Bool(*b),
            Value::Array(a) => Json::Array(a.iter().map(Node::to_json).collect()),
            Value::Table(t) => {
                let mut sorted: Vec<_> = t.iter().collect();
                sorted.sort_by(|a, b| a.0.name.cmp(&b.0.name));
                Json::Object(
                    sorted
                        .into_iter()
                        .map(|(k, v)| (k.name.clone(), v.to_json()))
                        .collect(),
                )
            }
            Value::Null => Json::Null,
        }
    }

    fn shift(&mut self, by: usize) {
        if let Some(s) = &mut self.span {
            *s = s.start + by..s.end + by;
        }
        match &mut self.value {
            Value::Array(a) => a.iter_mut().for_each(|n| n.shift(by)),
            Value::Table(t) => t.iter_mut().for_each(|(k, n)| {
                if let Some(s) = &mut k.span {
                    *s = s.start + by..s.end + by;
                }
                n.shift(by)
            }),
            _ => {}
        }
    }
}

/// A parse error with its byte offset in the whole file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub message: String,
    pub offset: Option<usize>,
}

impl ParseError {
    pub fn position(&self, text: &str) -> Option<Position> {
        self.offset.map(|o| Position::of_offset(text, o))
    }
}

/// Parses the front matter of `split` (a split of `text`) into a tree.
pub fn parse(text: &str, split: &Split<'_>) -> Result<Node, ParseError> {
    match split.format {
        Format::Toml => parse_toml(split.front, split.front_offset),
        Format::Yaml => parse_yaml(text, split),
    }
}

fn parse_toml(front: &str, offset: usize) -> Result<Node, ParseError> {
    let spanned: toml::Spanned<Value> = toml::from_str(front).map_err(|e| ParseError {
        message: crate::config::toml_message(&e),
        offset: e.span().map(|s| s.start + offset),
    })?;
    let mut node = Node {
        span: Some(spanned.span()),
        value: spanned.into_inner(),
    };
    node.shift(offset);
    Ok(node)
}

/// At most this many flow collections (`[`, `{`) in YAML front matter: the YAML scanner takes
/// time quadratic in their nesting (10,000 nested `[` took 0.5 s, 20,000 four times as long;
/// found by the `front_matter` fuzz target), and brackets are counted whatever their context,
/// so that none can hide one from the count.
pub const MAX_YAML_FLOW: usize = 10_000;

fn parse_yaml(text: &str, split: &Split<'_>) -> Result<Node, ParseError> {
    if let Some((i, _)) = split.front.match_indices(['[', '{']).nth(MAX_YAML_FLOW) {
        return Err(ParseError {
            message: format!(
                "YAML front matter with more than {MAX_YAML_FLOW} `[` or `{{` is refused: write long lists as blocks (`- item`), or use TOML"
            ),
            offset: Some(split.front_offset + i),
        });
    }
    let yaml: serde_yaml::Value = serde_yaml::from_str(split.front).map_err(|e| ParseError {
        message: e.to_string(),
        offset: e
            .location()
            .map(|l| split.front_offset + l.index().min(split.front.len())),
    })?;
    let mut node = from_yaml(&yaml);
    // serde_yaml keeps no positions: find each key's line, in document order, and each
    // scalar's text after it (good enough for block and flow style alike).
    // At most this many bytes are searched in all: a value not found (an escaped string, a
    // block scalar) is searched for up to the end, and a file with many of them would take
    // quadratic time (found by the `front_matter` fuzz target). What is not located has no
    // position.
    let mut budget = split.front.len().saturating_mul(8).saturating_add(1 << 16);
    locate_yaml(&mut node, split.front, 0, split.front_offset, &mut budget);
    node.span = Some(split.front_offset..split.front_offset + split.front.len());
    let _ = text;
    Ok(node)
}

/// Where `needle` is in `front` from `from` (relative to `from`), searching at most `budget`
/// bytes in all.
fn find_within(front: &str, from: usize, needle: &str, budget: &mut usize) -> Option<usize> {
    let rest = front.get(from..).filter(|_| *budget > 0)?;
    let found = rest.find(needle);
    *budget = budget.saturating_sub(found.map_or(rest.len(), |i| i + needle.len()));
    found
}

/// Gives `node` (found at or after byte `from` of `front`) and its children spans, by text
/// search, within `budget` bytes searched. Returns where the search may continue.
fn locate_yaml(
    node: &mut Node,
    front: &str,
    from: usize,
    base: usize,
    budget: &mut usize,
) -> usize {
    let mut cursor = from;
    match &mut node.value {
        Value::Table(entries) => {
            for (k, v) in entries.iter_mut() {
                let needle = format!("{}:", k.name);
                let mut at = cursor.min(front.len());
                let found = loop {
                    let Some(i) = find_within(front, at, &needle, budget).map(|i| at + i) else {
                        break None;
                    };
                    // The key starts a line (after indentation or a list dash) or follows `{`/`,`.
                    let before = front[..i].trim_end_matches([' ', '\t', '-']);
                    if before.is_empty()
                        || before.ends_with('\n')
                        || before.ends_with('{')
                        || before.ends_with(',')
                    {
                        break Some(i);
                    }
                    at = i + needle.len();
                };
                if let Some(i) = found {
                    k.span = Some(base + i..base + i + k.name.len());
                    let value_at = i + needle.len();
                    let skip = front[value_at..].len()
                        - front[value_at..].trim_start_matches([' ', '\t']).len();
                    v.span = Some(base + value_at + skip..base + value_at + skip);
                    cursor = locate_yaml(v, front, value_at, base, budget);
                }
            }
        }
        Value::Array(items) => {
            for item in items.iter_mut() {
                cursor = locate_yaml(item, front, cursor, base, budget);
            }
        }
        Value::String(text) => {
            if let Some(i) = find_within(front, cursor, text, budget) {
                let at = cursor + i;
                node.span = Some(base + at..base + at + text.len());
                return at + text.len();
            }
        }
        Value::Integer(n) => {
            let text = n.to_string();
            if let Some(i) = find_within(front, cursor, &text, budget) {
                let at = cursor + i;
                node.span = Some(base + at..base + at + text.len());
                return at + text.len();
            }
        }
        _ => {}
    }
    cursor
}

fn from_yaml(v: &serde_yaml::Value) -> Node {
    use serde_yaml::Value as Y;
    let value = match v {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(*b),
        Y::Number(n) => match n.as_i64() {
            Some(i) => Value::Integer(i),
            None => Value::Float(n.as_f64().unwrap_or(0.0)),
        },
        Y::String(s) => Value::String(s.clone()),
        Y::Sequence(s) => Value::Array(s.iter().map(from_yaml).collect()),
        Y::Mapping(m) => Value::Table(
            m.iter()
                .map(|(k, v)| {
                    let name = match k {
                        Y::String(s) => s.clone(),
                        other => serde_yaml::to_string(other)
                            .unwrap_or_default()
                            .trim()
                            .to_string(),
                    };
                    (Key { name, span: None }, from_yaml(v))
                })
                .collect(),
        ),
        Y::Tagged(t) => return from_yaml(&t.value),
    };
    Node { span: None, value }
}

// Deserializing a spanned tree from TOML: every nested value is asked for as a
// `toml::Spanned`, which the toml deserializer fills with its byte range.
impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

const TOML_DATETIME_KEY: &str = "$__toml_private_datetime";

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a TOML value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Integer(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        i64::try_from(v)
            .map(Value::Integer)
            .map_err(|_| E::custom("integer too large"))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(item) = seq.next_element::<toml::Spanned<Value>>()? {
            out.push(Node {
                span: Some(item.span()),
                value: item.into_inner(),
            });
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(key) = map.next_key::<MapKey>()? {
            if key.name == TOML_DATETIME_KEY {
                let dt: String = map.next_value()?;
                return Ok(Value::Datetime(dt));
            }
            let value = map.next_value::<toml::Spanned<Value>>()?;
            out.push((
                Key {
                    span: key.span,
                    name: key.name,
                },
                Node {
                    span: Some(value.span()),
                    value: value.into_inner(),
                },
            ));
        }
        Ok(Value::Table(out))
    }
}

/// A table key with its span; the key of TOML's internal date marker comes without one.
struct MapKey {
    name: String,
    span: Option<Range<usize>>,
}

const SPANNED_NAME: &str = "$__serde_spanned_private_Spanned";
const SPANNED_START: &str = "$__serde_spanned_private_start";
const SPANNED_END: &str = "$__serde_spanned_private_end";
const SPANNED_VALUE: &str = "$__serde_spanned_private_value";

impl<'de> Deserialize<'de> for MapKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = MapKey;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E>(self, v: &str) -> Result<MapKey, E> {
                Ok(MapKey {
                    name: v.to_string(),
                    span: None,
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<MapKey, A::Error> {
                let (mut start, mut end, mut name) = (None, None, None);
                while let Some(k) = map.next_key::<String>()? {
                    match k.as_str() {
                        SPANNED_START => start = Some(map.next_value::<usize>()?),
                        SPANNED_END => end = Some(map.next_value::<usize>()?),
                        SPANNED_VALUE => name = Some(map.next_value::<String>()?),
                        _ => return Err(de::Error::custom("unexpected key field")),
                    }
                }
                let name = name.ok_or_else(|| de::Error::custom("missing key"))?;
                Ok(MapKey {
                    name,
                    span: start.zip(end).map(|(s, e)| s..e),
                })
            }
        }
        d.deserialize_struct(
            SPANNED_NAME,
            &[SPANNED_START, SPANNED_END, SPANNED_VALUE],
            V,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_toml_with_bom_and_crlf() {
        let text = "\u{feff}+++\r\ntitle = \"a\"\r\n+++\r\nbody\r\n";
        let s = split(text).expect("split");
        assert_eq!(s.format, Format::Toml);
        assert_eq!(s.front, "title = \"a\"\r\n");
        assert_eq!(s.body, "body\r\n");
        let node = parse(text, &s).expect("parse");
        let title = node.get("title").expect("title");
        let pos = Position::of_offset(text, title.span.clone().expect("span").start);
        assert_eq!(pos, Position { line: 2, col: 9 });
    }

    #[test]
    fn split_errors() {
        assert_eq!(split(""), Err(SplitError::Empty));
        assert_eq!(split("  \n"), Err(SplitError::Empty));
        assert_eq!(split("# Title\n"), Err(SplitError::Missing));
        assert_eq!(split("+++\ntitle = 1\n"), Err(SplitError::Unclosed("+++")));
        assert_eq!(split("+++ x\n+++\n"), Err(SplitError::Missing));
    }

    #[test]
    fn spans_inside_arrays_of_tables_count_whole_file_lines() {
        let text = "+++\ntitle = \"t\"\n[extra]\n[[extra.sources]]\nurl = \"a\"\n[[extra.sources]]\nurl = 3\n+++\n";
        let s = split(text).expect("split");
        let node = parse(text, &s).expect("parse");
        let sources = node
            .get("extra")
            .and_then(|e| e.get("sources"))
            .expect("sources");
        let Value::Array(items) = &sources.value else {
            panic!("not an array")
        };
        let url = items[1].get("url").expect("url");
        assert_eq!(url.value, Value::Integer(3));
        let pos = Position::of_offset(text, url.span.clone().expect("span").start);
        assert_eq!(pos, Position { line: 7, col: 7 });
    }

    #[test]
    fn toml_syntax_error_has_file_position() {
        let text = "+++\ntitle = \"a\"\ndate = 2024-13-45\n+++\n";
        let s = split(text).expect("split");
        let err = parse(text, &s).expect_err("bad date");
        let pos = err.position(text).expect("pos");
        assert_eq!(pos.line, 3);
    }

    #[test]
    fn datetimes_keep_their_text() {
        let text = "+++\ndate = 2024-03-05T09:15:00\nd2 = 2024-01-02\n+++\n";
        let s = split(text).expect("split");
        let node = parse(text, &s).expect("parse");
        assert_eq!(
            node.get("date").map(|n| &n.value),
            Some(&Value::Datetime("2024-03-05T09:15:00".into()))
        );
        assert_eq!(
            node.get("d2").map(|n| &n.value),
            Some(&Value::Datetime("2024-01-02".into()))
        );
    }

    #[test]
    fn yaml_nested_positions() {
        let text = "---\ntitle: Y\ntaxonomies:\n  theme: [remitances, gender]\nextra:\n  sources:\n    - title: T\n      year: soon\n---\n";
        let s = split(text).expect("split");
        let node = parse(text, &s).expect("parse");
        let pos = |n: &Node| Position::of_offset(text, n.span.clone().expect("span").start);
        let themes = node
            .get("taxonomies")
            .and_then(|t| t.get("theme"))
            .expect("theme");
        let Value::Array(items) = &themes.value else {
            panic!("array")
        };
        assert_eq!(pos(&items[0]), Position { line: 4, col: 11 });
        assert_eq!(pos(&items[1]), Position { line: 4, col: 23 });
        let sources = node
            .get("extra")
            .and_then(|e| e.get("sources"))
            .expect("sources");
        let Value::Array(list) = &sources.value else {
            panic!("array")
        };
        assert_eq!(
            pos(list[0].get("year").expect("year")),
            Position { line: 8, col: 13 }
        );
    }

    #[test]
    fn yaml_values_that_are_not_in_the_text_take_linear_time() {
        // Found by the `front_matter` fuzz target: each `'it''s'` (whose value is not written
        // as such) was searched for up to the end of the front matter.
        let text = format!(
            "---\ntitle: t\nl:\n{}---\n",
            "    - 'it''s'\n".repeat(30_000)
        );
        let start = std::time::Instant::now();
        let s = split(&text).expect("split");
        let node = parse(&text, &s).expect("parse");
        assert!(
            start.elapsed() < std::time::Duration::from_secs(20),
            "{:?}",
            start.elapsed()
        );
        let title = node
            .get("title")
            .and_then(|t| t.span.clone())
            .expect("span");
        assert_eq!(
            Position::of_offset(&text, title.start),
            Position { line: 2, col: 8 }
        );
    }

    #[test]
    fn yaml_flow_collections_are_limited() {
        let text = format!("---\nx: {}\n---\n", "[".repeat(MAX_YAML_FLOW + 5));
        let s = split(&text).expect("split");
        let err = parse(&text, &s).expect_err("refused");
        assert!(err.message.contains("more than 10000"), "{err:?}");
        assert_eq!(err.offset, Some(7 + MAX_YAML_FLOW));
        let ok = format!("---\nx: [{}]\n---\n", "a, ".repeat(1000));
        parse(&ok, &split(&ok).expect("split")).expect("parse");
    }

    #[test]
    fn yaml_front_matter() {
        let text = "---\ntitle: Hello\ntags: [a, b]\n---\nBody";
        let s = split(text).expect("split");
        assert_eq!(s.format, Format::Yaml);
        let node = parse(text, &s).expect("parse");
        assert_eq!(node.get("title").and_then(Node::as_str), Some("Hello"));
        let pos = Position::of_offset(
            text,
            node.get("tags")
                .and_then(|n| n.span.clone())
                .expect("span")
                .start,
        );
        assert_eq!(pos.line, 3);
    }
}
