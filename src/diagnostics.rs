//! Diagnostics: every problem found while loading, validating or rendering a site.
//!
//! A build never stops at the first problem: each stage pushes into a [`Diagnostics`]
//! collection, and the caller decides at the end whether errors make the build fail.

use std::fmt;
use std::path::{Path, PathBuf};

/// How serious a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

/// One problem, located in a file (line and column count from 1, in the whole file).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    pub path: PathBuf,
    pub line: Option<usize>,
    pub col: Option<usize>,
    pub message: String,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            path: path.into(),
            line: None,
            col: None,
            message: message.into(),
            help: None,
        }
    }

    pub fn warning(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(path, message)
        }
    }

    pub fn at(mut self, pos: Option<Position>) -> Self {
        if let Some(p) = pos {
            self.line = Some(p.line);
            self.col = Some(p.col);
        }
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{}", self.path.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(col) = self.col {
                write!(f, ":{col}")?;
            }
        }
        write!(f, ": {kind}: {}", self.message)?;
        if let Some(help) = &self.help {
            write!(f, "\n  help: {help}")?;
        }
        Ok(())
    }
}

/// A line and column, both counted from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub line: usize,
    pub col: usize,
}

impl Position {
    /// The position of byte `offset` in `text` (columns count characters).
    pub fn of_offset(text: &str, offset: usize) -> Position {
        let offset = offset.min(text.len());
        let before = text.get(..offset).unwrap_or(text);
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
        let col = column(&before[line_start..]);
        Position { line, col }
    }
}

/// 1-based column after `line_head` (the start of a line up to the offset): characters,
/// not counting a byte-order mark or a carriage return.
fn column(line_head: &str) -> usize {
    line_head
        .trim_start_matches('\u{feff}')
        .trim_end_matches('\r')
        .chars()
        .count()
        + 1
}

/// The lines of `text`, each with its `\n`: what `text.split_inclusive('\n')` gives, found
/// with `memchr` (several times faster on the short lines of Markdown).
pub fn lines_inclusive(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let end = memchr::memchr(b'\n', rest.as_bytes()).map_or(rest.len(), |i| i + 1);
        // Just after a `\n`, or the end: a character boundary.
        let (line, tail) = rest.split_at(end);
        rest = tail;
        Some(line)
    })
}

/// The line starts of a text, for finding many positions in it: each costs a binary search
/// and the length of its line, where [`Position::of_offset`] reads the text up to the offset
/// (quadratic for a file with a hundred thousand diagnostics).
#[derive(Debug, Clone)]
pub struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub fn new(text: &'a str) -> Self {
        let starts = std::iter::once(0)
            .chain(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1))
            .collect();
        LineIndex { text, starts }
    }

    /// The same as `Position::of_offset(text, offset)`.
    pub fn position(&self, offset: usize) -> Position {
        let offset = offset.min(self.text.len());
        if !self.text.is_char_boundary(offset) {
            return Position::of_offset(self.text, offset);
        }
        let line = self.starts.partition_point(|&s| s <= offset).max(1);
        let line_start = self.starts[line - 1];
        let col = column(&self.text[line_start..offset]);
        Position { line, col }
    }
}

/// All problems of one run, in the order they were found.
#[derive(Debug, Default, Clone)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, d: Diagnostic) {
        self.items.push(d);
    }

    pub fn extend(&mut self, other: impl IntoIterator<Item = Diagnostic>) {
        self.items.extend(other);
    }

    pub fn has_errors(&self) -> bool {
        self.items.iter().any(Diagnostic::is_error)
    }

    pub fn error_count(&self) -> usize {
        self.items.iter().filter(|d| d.is_error()).count()
    }

    pub fn warning_count(&self) -> usize {
        self.items.len() - self.error_count()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items.iter()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Sorts by file, then position, so that output is stable whatever the order of work.
    pub fn sort(&mut self) {
        self.items.sort_by(|a, b| {
            (&a.path, a.line, a.col, &a.message).cmp(&(&b.path, b.line, b.col, &b.message))
        });
        self.items.dedup();
    }

    pub fn into_vec(self) -> Vec<Diagnostic> {
        self.items
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

/// Shows `path` relative to `root` when it lies inside it.
pub fn display_path(root: &Path, path: &Path) -> PathBuf {
    path.strip_prefix(root).unwrap_or(path).to_path_buf()
}

/// The error a build returns when it found problems: all of them, warnings included.
#[derive(Debug, thiserror::Error)]
#[error("{} error(s) found", .0.error_count())]
pub struct BuildFailed(pub Diagnostics);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_inclusive_is_split_inclusive() {
        for text in [
            "",
            "\n",
            "a",
            "a\n",
            "a\nb",
            "a\r\nb\r\n\n\nc\r",
            "é\n日本\n\u{1f600}",
        ] {
            let expected: Vec<&str> = text.split_inclusive('\n').collect();
            assert_eq!(
                lines_inclusive(text).collect::<Vec<_>>(),
                expected,
                "{text:?}"
            );
        }
    }

    #[test]
    fn position_counts_lines_and_chars() {
        let text = "a\nbé=1\r\nxyz";
        assert_eq!(Position::of_offset(text, 0), Position { line: 1, col: 1 });
        assert_eq!(Position::of_offset(text, 2), Position { line: 2, col: 1 });
        // 'é' is two bytes but one column.
        assert_eq!(Position::of_offset(text, 5), Position { line: 2, col: 3 });
        assert_eq!(Position::of_offset(text, 9), Position { line: 3, col: 1 });
    }

    #[test]
    fn line_index_agrees_with_of_offset() {
        let text = "\u{feff}a\r\nbé=1\r\n\n\u{feff}xyz\r";
        let index = LineIndex::new(text);
        for offset in 0..=text.len() + 2 {
            assert_eq!(
                index.position(offset),
                Position::of_offset(text, offset),
                "{offset}"
            );
        }
        assert_eq!(LineIndex::new("").position(0), Position { line: 1, col: 1 });
    }

    #[test]
    fn display_has_path_line_col() {
        let d = Diagnostic::error("content/a.md", "bad").at(Some(Position { line: 3, col: 7 }));
        assert_eq!(d.to_string(), "content/a.md:3:7: error: bad");
    }
}
