//! Zola shortcodes in Markdown: `{{ name(arg=1) }}` and `{% name(arg=1) %}body{% end %}`,
//! escaped as `{{/* … */}}` and `{%/* … */%}`.
//!
//! Parsing is separate from rendering: [`parse`] cuts the text into literal pieces and calls,
//! and the Markdown renderer decides how each call is rendered and substituted.

use serde_json::Value as Json;

/// A piece of Markdown text: literal text, or a shortcode call.
#[derive(Debug, Clone, PartialEq)]
pub enum Piece {
    Text(String),
    Call(Call),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub name: String,
    pub args: serde_json::Map<String, Json>,
    pub body: Option<String>,
    /// Byte offset of the call in the text.
    pub offset: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ShortcodeError {
    pub message: String,
    pub offset: usize,
}

/// Nesting deeper than this is refused (a shortcode body that calls itself, for instance).
pub const MAX_DEPTH: usize = 16;

/// Cuts `text` into literal text and shortcode calls.
pub fn parse(text: &str) -> Result<Vec<Piece>, ShortcodeError> {
    let mut out = Vec::new();
    let mut lit = String::new();
    let mut i = 0;
    let bytes = text.as_bytes();
    // Once an escape has no end, no later one has: not searching again keeps this linear.
    let (mut unclosed_braces, mut unclosed_percents) = (false, false);
    while i < text.len() {
        let rest = &text[i..];
        if rest.starts_with("{{/*") {
            let end = if unclosed_braces {
                None
            } else {
                rest.find("*/}}")
            };
            match end {
                Some(end) => {
                    lit.push_str("{{");
                    lit.push_str(&rest[4..end]);
                    lit.push_str("}}");
                    i += end + 4;
                    continue;
                }
                None => unclosed_braces = true,
            }
        } else if rest.starts_with("{%/*") {
            let end = if unclosed_percents {
                None
            } else {
                rest.find("*/%}")
            };
            match end {
                Some(end) => {
                    lit.push_str("{%");
                    lit.push_str(&rest[4..end]);
                    lit.push_str("%}");
                    i += end + 4;
                    continue;
                }
                None => unclosed_percents = true,
            }
        } else if rest.starts_with("{{") || rest.starts_with("{%") {
            let is_body = rest.starts_with("{%");
            if let Some((name, args, consumed)) =
                parse_call(&rest[2..], if is_body { "%}" } else { "}}" })?
            {
                let call_start = i;
                let mut call = Call {
                    name,
                    args,
                    body: None,
                    offset: call_start,
                };
                i += 2 + consumed;
                if is_body {
                    let (body, used) = find_end(&text[i..]).ok_or_else(|| ShortcodeError {
                        message: format!("the body shortcode `{}` has no `{{% end %}}`", call.name),
                        offset: call_start,
                    })?;
                    // Zola drops the newline right after the opening tag.
                    let body = body
                        .strip_prefix('\n')
                        .or_else(|| body.strip_prefix("\r\n"))
                        .unwrap_or(body);
                    call.body = Some(body.to_string());
                    i += used;
                }
                if !lit.is_empty() {
                    out.push(Piece::Text(std::mem::take(&mut lit)));
                }
                out.push(Piece::Call(call));
                continue;
            }
        }
        // Not a shortcode: copy one character.
        let ch_len = utf8_len(bytes[i]);
        lit.push_str(&text[i..i + ch_len]);
        i += ch_len;
    }
    if !lit.is_empty() {
        out.push(Piece::Text(lit));
    }
    Ok(out)
}

fn utf8_len(b: u8) -> usize {
    match b {
        0x00..=0x7f => 1,
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        _ => 4,
    }
}

/// Finds the `{% end %}` closing a body (nested bodies of other calls are skipped).
fn find_end(text: &str) -> Option<(&str, usize)> {
    let re = end_regex();
    let mut depth = 0usize;
    let mut search = 0;
    // The next opening and the next end found, kept while they lie ahead of the search, so
    // that each part of the text is searched once (not once per nesting level).
    let mut next_open: Option<Option<usize>> = None;
    let mut next_end: Option<regex::Match<'_>> = None;
    loop {
        let open = match next_open {
            Some(o) if o.is_none_or(|o| o >= search) => o,
            _ => next_body_open(&text[search..]).map(|o| o + search),
        };
        next_open = Some(open);
        let m = match next_end {
            Some(m) if m.start() >= search => m,
            _ => re.find_at(text, search)?,
        };
        next_end = Some(m);
        match open {
            Some(o) if o < m.start() => {
                depth += 1;
                search = o + 2;
            }
            _ => {
                if depth == 0 {
                    return Some((&text[..m.start()], m.end()));
                }
                depth -= 1;
                search = m.end();
            }
        }
    }
}

fn next_body_open(text: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(p) = text[from..].find("{%") {
        let at = from + p;
        if let Ok(Some(_)) = parse_call(&text[at + 2..], "%}") {
            return Some(at);
        }
        from = at + 2;
    }
    None
}

fn end_regex() -> &'static regex::Regex {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| regex::Regex::new(r"\{%-?\s*end\s*-?%\}").expect("valid regex"))
}

type ParsedCall = (String, serde_json::Map<String, Json>, usize);

/// Parses ` name(args) }}` (after the opening braces). `Ok(None)` when this is not a call.
fn parse_call(text: &str, close: &str) -> Result<Option<ParsedCall>, ShortcodeError> {
    let mut p = Parser { s: text, i: 0 };
    p.skip_ws();
    let start = p.i;
    while p.i < p.s.len()
        && (p.s.as_bytes()[p.i].is_ascii_alphanumeric() || p.s.as_bytes()[p.i] == b'_')
    {
        p.i += 1;
    }
    if p.i == start || p.s.as_bytes()[start].is_ascii_digit() {
        return Ok(None);
    }
    let name = p.s[start..p.i].to_string();
    p.skip_ws();
    if !p.eat("(") {
        return Ok(None);
    }
    let mut args = serde_json::Map::new();
    loop {
        p.skip_ws();
        if p.eat(")") {
            break;
        }
        let k0 = p.i;
        while p.i < p.s.len()
            && (p.s.as_bytes()[p.i].is_ascii_alphanumeric() || p.s.as_bytes()[p.i] == b'_')
        {
            p.i += 1;
        }
        if p.i == k0 {
            return Ok(None);
        }
        let key = p.s[k0..p.i].to_string();
        p.skip_ws();
        if !p.eat("=") {
            return Ok(None);
        }
        p.skip_ws();
        let Some(v) = p.value() else {
            return Ok(None);
        };
        args.insert(key, v);
        p.skip_ws();
        if p.eat(",") {
            continue;
        }
        p.skip_ws();
        if p.eat(")") {
            break;
        }
        return Ok(None);
    }
    p.skip_ws();
    if !p.eat(close) {
        return Ok(None);
    }
    Ok(Some((name, args, p.i)))
}

struct Parser<'a> {
    s: &'a str,
    i: usize,
}

impl Parser<'_> {
    fn skip_ws(&mut self) {
        while self.i < self.s.len() && self.s.as_bytes()[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }
    fn eat(&mut self, t: &str) -> bool {
        if self.s[self.i..].starts_with(t) {
            self.i += t.len();
            true
        } else {
            false
        }
    }
    fn value(&mut self) -> Option<Json> {
        let rest = &self.s[self.i..];
        let first = rest.chars().next()?;
        match first {
            '"' | '\'' | '`' => {
                let end = rest[1..].find(first)?;
                self.i += end + 2;
                Some(Json::String(rest[1..1 + end].to_string()))
            }
            '[' => {
                self.i += 1;
                let mut items = Vec::new();
                loop {
                    self.skip_ws();
                    if self.eat("]") {
                        break;
                    }
                    items.push(self.value()?);
                    self.skip_ws();
                    if self.eat(",") {
                        continue;
                    }
                    self.skip_ws();
                    if self.eat("]") {
                        break;
                    }
                    return None;
                }
                Some(Json::Array(items))
            }
            _ => {
                if self.eat("true") {
                    return Some(Json::Bool(true));
                }
                if self.eat("false") {
                    return Some(Json::Bool(false));
                }
                let len = rest
                    .find(|c: char| {
                        !(c.is_ascii_digit()
                            || c == '-'
                            || c == '+'
                            || c == '.'
                            || c == 'e'
                            || c == 'E')
                    })
                    .unwrap_or(rest.len());
                let num = &rest[..len];
                if num.is_empty() {
                    return None;
                }
                self.i += len;
                if let Ok(i) = num.parse::<i64>() {
                    return Some(Json::from(i));
                }
                num.parse::<f64>()
                    .ok()
                    .and_then(serde_json::Number::from_f64)
                    .map(Json::Number)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn calls(text: &str) -> Vec<Call> {
        parse(text)
            .expect("parse")
            .into_iter()
            .filter_map(|p| match p {
                Piece::Call(c) => Some(c),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn inline_call_with_every_argument_type() {
        let c = calls(
            r#"a {{ args(s="d", t='s', u=`b"t`, b=true, i=-7, f=1.5, l=["a", 2, true], e=[]) }} b"#,
        );
        assert_eq!(c.len(), 1);
        let a = &c[0].args;
        assert_eq!(a["s"], "d");
        assert_eq!(a["t"], "s");
        assert_eq!(a["u"], "b\"t");
        assert_eq!(a["b"], true);
        assert_eq!(a["i"], -7);
        assert_eq!(a["f"], 1.5);
        assert_eq!(a["l"], serde_json::json!(["a", 2, true]));
        assert_eq!(a["e"], serde_json::json!([]));
    }

    #[test]
    fn body_call_and_escapes() {
        let p = parse("x {% note(title=\"t\") %}\nhello {{ b() }}\n{% end %} {{/* no() */}}")
            .expect("parse");
        assert_eq!(p.len(), 3);
        let Piece::Call(c) = &p[1] else {
            panic!("call")
        };
        assert_eq!(c.body.as_deref(), Some("hello {{ b() }}\n"));
        assert_eq!(p[2], Piece::Text(" {{ no() }}".into()));
    }

    #[test]
    fn not_shortcodes_stay_text() {
        let p = parse("{{ not a call }} and {% raw %}").expect("parse");
        assert_eq!(
            p,
            vec![Piece::Text("{{ not a call }} and {% raw %}".into())]
        );
    }

    #[test]
    fn unclosed_escapes_and_deep_bodies_take_linear_time() {
        // Found by the `markdown` fuzz target: each of 100,000 `{{/*` without an end searched
        // the rest of the text for one (a megabyte took minutes).
        let start = std::time::Instant::now();
        let escapes = "{{/*{%/*".repeat(100_000);
        assert_eq!(parse(&escapes).expect("parse"), vec![Piece::Text(escapes)]);
        // Each nesting level searched the rest for an end, and for an opening.
        let nested =
            "{% a() %}".repeat(20_000) + &"{% end %}".repeat(20_000) + &"{%x".repeat(100_000);
        let p = parse(&nested).expect("parse");
        assert!(matches!(&p[0], Piece::Call(c) if c.name == "a"));
        assert!(
            start.elapsed() < std::time::Duration::from_secs(20),
            "{:?}",
            start.elapsed()
        );
    }

    #[test]
    fn missing_end_is_an_error() {
        assert!(parse("{% note() %} never closed").is_err());
    }
}
