//! How diagnostics are shown: `human` (the offending line with a caret, coloured on a
//! terminal), `github` (pull-request annotations) or `json` (one object per line).

use std::cell::RefCell;
use std::path::{Path, PathBuf};

use annotate_snippets::{AnnotationKind, Level, Renderer, Snippet};

use crate::diagnostics::{Diagnostic, Severity};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Human,
    Github,
    Json,
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "human" => Ok(Format::Human),
            "github" => Ok(Format::Github),
            "json" => Ok(Format::Json),
            other => Err(format!(
                "unknown format `{other}`: use human, github or json"
            )),
        }
    }
}

/// Renders one diagnostic. `root` makes paths relative; `color` is for terminals.
pub fn render(d: &Diagnostic, root: &Path, format: Format, color: bool) -> String {
    let shown = crate::diagnostics::display_path(root, &d.path);
    let shown_str = shown.display().to_string();
    match format {
        Format::Json => {
            let v = serde_json::json!({
                "severity": d.severity,
                "path": shown_str,
                "line": d.line,
                "col": d.col,
                "message": d.message,
                "help": d.help,
            });
            v.to_string()
        }
        Format::Github => {
            let kind = match d.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            let mut s = format!("::{kind} file={}", escape_property(&shown_str));
            if let Some(l) = d.line {
                s.push_str(&format!(",line={l}"));
            }
            if let Some(c) = d.col {
                s.push_str(&format!(",col={c}"));
            }
            let mut msg = d.message.clone();
            if let Some(h) = &d.help {
                msg.push_str(&format!(" (help: {h})"));
            }
            s.push_str(&format!("::{}", escape_data(&msg)));
            s
        }
        Format::Human => human(d, &shown_str, color),
    }
}

/// Line `l` (from 1) of the file at `path`. The last file read is kept with its line starts:
/// diagnostics come sorted by file, and a file with many of them is read once, not once each.
fn source_line(path: &Path, l: usize) -> Option<String> {
    type Lines = (PathBuf, String, Vec<usize>);
    thread_local! {
        static LAST: RefCell<Option<Lines>> = const { RefCell::new(None) };
    }
    LAST.with(|last| {
        let mut last = last.borrow_mut();
        if last.as_ref().is_none_or(|(p, _, _)| p != path) {
            let text = String::from_utf8_lossy(&std::fs::read(path).ok()?).into_owned();
            let starts = std::iter::once(0)
                .chain(text.match_indices('\n').map(|(i, _)| i + 1))
                .collect();
            *last = Some((path.to_path_buf(), text, starts));
        }
        let (_, text, starts) = last.as_ref()?;
        let start = *starts.get(l.checked_sub(1)?)?;
        let end = starts.get(l).map_or(text.len(), |e| e - 1);
        text.get(start..end).map(str::to_string)
    })
}

fn human(d: &Diagnostic, shown: &str, color: bool) -> String {
    let level = match d.severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
    };
    let source_line = d.line.and_then(|l| {
        let line = source_line(&d.path, l)?
            .trim_end_matches('\r')
            .trim_start_matches('\u{feff}')
            .to_string();
        Some(line)
    });
    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    let title = level.clone().primary_title(d.message.as_str());
    let mut groups = Vec::new();
    match (&source_line, d.line) {
        (Some(line), Some(l)) => {
            let col = d.col.unwrap_or(1).saturating_sub(1);
            let start = line
                .char_indices()
                .nth(col)
                .map(|(i, _)| i)
                .unwrap_or(line.len());
            let end = line[start..]
                .char_indices()
                .find(|(_, c)| c.is_whitespace() || *c == ',' || *c == ']')
                .map(|(i, _)| start + i.max(1))
                .unwrap_or(line.len())
                .max(start);
            let path_with_pos = shown.to_string();
            let snippet = Snippet::source(line.as_str())
                .line_start(l)
                .path(path_with_pos)
                .annotation(AnnotationKind::Primary.span(start..end.max(start)));
            let mut g = title.element(snippet);
            if let Some(h) = &d.help {
                g = g.element(Level::HELP.message(h.as_str()));
            }
            groups.push(g);
        }
        _ => {
            // No line to show: the one-line form, with the help under it.
            let mut head = d.clone();
            head.path = shown.into();
            return head.to_string();
        }
    }
    // First a grep-friendly `path:line:col: error: message` line, then the snippet (the
    // renderer's own title line would repeat the message).
    let mut head = d.clone();
    head.path = shown.into();
    head.help = None;
    let rendered = renderer.render(&groups);
    let body = rendered
        .split_once('\n')
        .map(|(_, rest)| rest)
        .unwrap_or("");
    if color {
        let code = if d.severity == Severity::Error {
            "1;31"
        } else {
            "1;33"
        };
        format!("\x1b[{code}m{head}\x1b[0m\n{body}")
    } else {
        format!("{head}\n{body}")
    }
}

fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::Position;

    #[test]
    fn github_and_json_formats() {
        let d = Diagnostic::error("/site/content/a.md", "bad, very: bad")
            .at(Some(Position { line: 3, col: 7 }))
            .with_help("fix it");
        let g = render(&d, Path::new("/site"), Format::Github, false);
        assert_eq!(
            g,
            "::error file=content/a.md,line=3,col=7::bad, very: bad (help: fix it)"
        );
        let j: serde_json::Value =
            serde_json::from_str(&render(&d, Path::new("/site"), Format::Json, false))
                .expect("json");
        assert_eq!(j["line"], 3);
        assert_eq!(j["path"], "content/a.md");
        assert_eq!(j["severity"], "error");
    }
}
