//! Typed reading of a front-matter table, with a diagnostic (file, line, column) for every
//! value of the wrong type and a warning for every key nobody asked for.

use std::path::Path;

use serde_json::Value as Json;

use super::dates::DateValue;
use super::front_matter::{Key, Node, Value};
use crate::diagnostics::{Diagnostic, LineIndex, Position};

pub struct Fields<'a> {
    node: &'a Node,
    lines: LineIndex<'a>,
    path: &'a Path,
    used: Vec<&'a str>,
    pub diags: Vec<Diagnostic>,
}

impl<'a> Fields<'a> {
    pub fn new(node: &'a Node, text: &'a str, path: &'a Path) -> Self {
        Fields {
            node,
            lines: LineIndex::new(text),
            path,
            used: Vec::new(),
            diags: Vec::new(),
        }
    }

    pub fn pos(&self, node: &Node) -> Option<Position> {
        node.span.as_ref().map(|s| self.lines.position(s.start))
    }

    fn get(&mut self, key: &'a str) -> Option<&'a Node> {
        self.used.push(key);
        match self.node.get(key) {
            Some(Node {
                value: Value::Null, ..
            }) => None,
            other => other,
        }
    }

    fn wrong_type(&mut self, key: &str, node: &Node, expected: &str) {
        let d = Diagnostic::error(
            self.path,
            format!("`{key}` must be {expected}, not {}", node.value.type_name()),
        )
        .at(self.pos(node));
        self.diags.push(d);
    }

    pub fn error_at(&mut self, node: &Node, message: impl Into<String>) {
        let d = Diagnostic::error(self.path, message).at(self.pos(node));
        self.diags.push(d);
    }

    pub fn string(&mut self, key: &'a str) -> Option<String> {
        let n = self.get(key)?;
        match &n.value {
            Value::String(s) => Some(s.clone()),
            _ => {
                self.wrong_type(key, n, "a string");
                None
            }
        }
    }

    pub fn bool(&mut self, key: &'a str) -> Option<bool> {
        let n = self.get(key)?;
        match &n.value {
            Value::Bool(b) => Some(*b),
            _ => {
                self.wrong_type(key, n, "true or false");
                None
            }
        }
    }

    pub fn usize(&mut self, key: &'a str) -> Option<usize> {
        let n = self.get(key)?;
        match &n.value {
            Value::Integer(i) if *i >= 0 => Some(*i as usize),
            _ => {
                self.wrong_type(key, n, "a positive integer");
                None
            }
        }
    }

    pub fn strings(&mut self, key: &'a str) -> Vec<String> {
        let Some(n) = self.get(key) else {
            return Vec::new();
        };
        self.string_list(key, n)
    }

    fn string_list(&mut self, key: &str, n: &Node) -> Vec<String> {
        match &n.value {
            Value::Array(items) => {
                let mut out = Vec::new();
                for item in items {
                    match &item.value {
                        Value::String(s) => out.push(s.clone()),
                        _ => self.wrong_type(&format!("{key}[]"), item, "a string"),
                    }
                }
                out
            }
            _ => {
                self.wrong_type(key, n, "an array of strings");
                Vec::new()
            }
        }
    }

    pub fn date(&mut self, key: &'a str) -> Option<DateValue> {
        let n = self.get(key)?;
        let text = match &n.value {
            Value::Datetime(s) | Value::String(s) => s.clone(),
            _ => {
                self.wrong_type(key, n, "a date (2024-03-05 or 2024-03-05T09:15:00Z)");
                return None;
            }
        };
        match DateValue::parse(&text) {
            Some(d) => Some(d),
            None => {
                self.error_at(
                    n,
                    format!("`{key}` is not a valid date: `{text}` (write 2024-03-05 or 2024-03-05T09:15:00Z)"),
                );
                None
            }
        }
    }

    /// The `[taxonomies]` table: taxonomy name → terms, in the order written.
    pub fn taxonomies(&mut self) -> Vec<(String, Vec<String>, Option<Position>)> {
        let Some(n) = self.get("taxonomies") else {
            return Vec::new();
        };
        let Value::Table(entries) = &n.value else {
            self.wrong_type("taxonomies", n, "a table");
            return Vec::new();
        };
        let mut out = Vec::new();
        for (k, v) in entries {
            let terms = self.string_list(&format!("taxonomies.{}", k.name), v);
            out.push((k.name.clone(), terms, self.key_pos(k)));
        }
        out
    }

    pub fn key_pos(&self, k: &Key) -> Option<Position> {
        k.span.as_ref().map(|s| self.lines.position(s.start))
    }

    pub fn table_json(&mut self, key: &'a str) -> Json {
        match self.get(key) {
            None => Json::Object(Default::default()),
            Some(n) => match &n.value {
                Value::Table(_) => n.to_json(),
                _ => {
                    self.wrong_type(key, n, "a table");
                    Json::Object(Default::default())
                }
            },
        }
    }

    /// Refuses values of `key` (a string or an array of strings: `path`, `slug`, `aliases`)
    /// that could leave the output folder or break out of an HTML attribute; a slug is one
    /// segment.
    pub fn check_url_path(&mut self, key: &'a str, one_segment: bool) {
        let Some(n) = self.get(key) else {
            return;
        };
        let items: Vec<&Node> = match &n.value {
            Value::Array(items) => items.iter().collect(),
            _ => vec![n],
        };
        for item in items {
            let Value::String(v) = &item.value else {
                continue;
            };
            if let Some(why) = unsafe_url_path(v, one_segment) {
                self.error_at(
                    item,
                    format!("`{key}` = `{}` is refused: {why}", v.escape_debug()),
                );
            }
        }
    }

    /// Warns about keys that were never asked for (Zola ignores them; they are often typos).
    pub fn finish(mut self, what: &str) -> Vec<Diagnostic> {
        let unknown: Vec<_> = self
            .node
            .entries()
            .iter()
            .filter(|(k, _)| !self.used.contains(&k.name.as_str()))
            .map(|(k, _)| (k.name.clone(), self.key_pos(k)))
            .collect();
        for (name, pos) in unknown {
            self.diags.push(
                Diagnostic::warning(
                    self.path,
                    format!("unknown {what} front-matter key `{name}` is ignored"),
                )
                .at(pos)
                .with_help("put your own fields under [extra]"),
            );
        }
        self.diags
    }
}

/// Why a URL path from front matter is refused, if it is: it must stay inside the site.
pub fn unsafe_url_path(p: &str, one_segment: bool) -> Option<&'static str> {
    if p.chars().any(|c| c.is_control()) {
        return Some("it holds a control character");
    }
    if p.contains(['\\', '"', '\'', '<', '>', '`']) {
        return Some("it holds a backslash, a quote or an angle bracket");
    }
    if one_segment && p.contains('/') {
        return Some("a slug is one path segment, without `/`");
    }
    let t = p.trim();
    if t.starts_with("//") || t.contains("://") {
        return Some("it must be a path inside the site, not a URL");
    }
    if t.split('/').any(|seg| seg == ".." || seg == ".") {
        return Some("`..` and `.` segments could leave the site");
    }
    if t.len() > 1 && t.as_bytes()[1] == b':' {
        return Some("it must be a path inside the site, not a drive");
    }
    None
}
