//! Tera, set up as Zola does: built-in templates, then the theme's, then the site's (each
//! overriding the one before), with Zola's functions and filters.

pub mod context;
pub mod filters;
pub mod functions;
pub mod reads;

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use tera::Tera;

use crate::diagnostics::{Diagnostic, Position};

const BUILTINS: &[(&str, &str)] = &[
    ("__builtins/atom.xml", include_str!("builtins/atom.xml")),
    ("__builtins/rss.xml", include_str!("builtins/rss.xml")),
    (
        "__builtins/sitemap.xml",
        include_str!("builtins/sitemap.xml"),
    ),
    ("__builtins/robots.txt", include_str!("builtins/robots.txt")),
    ("__builtins/404.html", include_str!("builtins/404.html")),
    (
        "__builtins/summary-cutoff.html",
        include_str!("builtins/summary-cutoff.html"),
    ),
    (
        "__builtins/internal/alias.html",
        include_str!("builtins/internal/alias.html"),
    ),
];

/// The template to use for `name`: the site's or theme's if there is one, else the built-in.
pub fn resolve<'a>(tera: &Tera, name: &'a str) -> std::borrow::Cow<'a, str> {
    if exists(tera, name) {
        std::borrow::Cow::Borrowed(name)
    } else {
        std::borrow::Cow::Owned(format!("__builtins/{name}"))
    }
}

pub fn exists(tera: &Tera, name: &str) -> bool {
    tera.templates.contains_key(name)
}

/// The templates of the previous build (`serve`), reused while their sources are the same.
#[derive(Default)]
pub struct TemplateCache {
    parsed: Option<Loaded>,
}

/// The site's templates, a hash of their sources, and what each reads of the pages it is
/// given ([`reads`]).
#[derive(Clone)]
pub struct Loaded {
    /// Shared with the cache: each build copies it once, to add the site's functions.
    pub tera: Arc<Tera>,
    pub hash: u64,
    pub reads: Arc<HashMap<String, reads::Reads>>,
}

/// Loads every template of the theme (if any) and of the site. Every file that fails to parse
/// is reported.
pub fn load(
    root: &Path,
    theme: Option<&str>,
    cache: Option<&mut TemplateCache>,
) -> Result<Loaded, Vec<Diagnostic>> {
    let mut files: Vec<(String, std::path::PathBuf)> = Vec::new();
    let mut dirs = Vec::new();
    if let Some(t) = theme {
        dirs.push(root.join("themes").join(t).join("templates"));
    }
    dirs.push(root.join("templates"));
    for dir in &dirs {
        if !dir.is_dir() {
            continue;
        }
        for path in crate::content::walk::list_files(dir, &globset::GlobSet::empty()) {
            let name = path
                .strip_prefix(dir)
                .unwrap_or(&path)
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            files.retain(|(n, _)| n != &name);
            files.push((name, path));
        }
    }
    let mut diags = Vec::new();
    let mut sources = Vec::new();
    for (name, path) in &files {
        match std::fs::read_to_string(path) {
            Ok(text) => sources.push((name.clone(), text, path.clone())),
            Err(e) => diags.push(Diagnostic::error(
                path,
                format!("cannot read template: {e}"),
            )),
        }
    }
    let hash = crate::incremental::hash_texts(
        sources
            .iter()
            .flat_map(|(n, t, _)| [n.as_str(), t.as_str()]),
    );
    if diags.is_empty()
        && let Some(loaded) = cache.as_ref().and_then(|c| c.parsed.as_ref())
        && loaded.hash == hash
    {
        return Ok(loaded.clone());
    }
    let mut tera = Tera::default();
    tera.autoescape_on(vec![".html", ".htm", ".xml"]);
    for (name, text) in BUILTINS {
        if let Err(e) = tera.add_raw_template(name, text) {
            diags.push(Diagnostic::error(name.to_string(), tera_error_chain(&e)));
        }
    }
    // Add them all at once so that inheritance between them resolves; on failure, add them
    // one by one to report each broken file.
    let all: Vec<(String, String)> = sources
        .iter()
        .map(|(n, t, _)| (n.clone(), t.clone()))
        .collect();
    if let Err(e) = tera.add_raw_templates(all) {
        let mut found = false;
        for (name, text, path) in &sources {
            let mut single = Tera::default();
            if let Err(err) = single.add_raw_template(name, text) {
                found = true;
                diags.push(template_diag(path, text, &err));
            }
        }
        if !found {
            diags.push(Diagnostic::error(
                root.join("templates"),
                tera_error_chain(&e),
            ));
        }
    }
    diags.extend(include_cycles(&sources));
    if diags.is_empty() {
        let loaded = Loaded {
            reads: Arc::new(reads::all(&tera)),
            tera: Arc::new(tera),
            hash,
        };
        if let Some(c) = cache {
            c.parsed = Some(loaded.clone());
        }
        Ok(loaded)
    } else {
        Err(diags)
    }
}

/// Templates that include themselves, directly or through others: Tera would recurse until
/// the stack overflows, so they are errors, at the `include` that closes the cycle. (Include
/// names are string literals in Tera, so reading them from the source is exact.)
fn include_cycles(sources: &[(String, String, std::path::PathBuf)]) -> Vec<Diagnostic> {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| {
        regex::Regex::new(r#"\{%-?\s*include\s+("[^"]*"|'[^']*'|`[^`]*`|\[[^\]]*\])"#)
            .expect("valid regex")
    });
    let names = regex::Regex::new(r#""([^"]*)"|'([^']*)'|`([^`]*)`"#).expect("valid regex");
    // Template name → (included name, byte offset of the include).
    let mut edges: HashMap<&str, Vec<(String, usize)>> = HashMap::new();
    for (name, text, _) in sources {
        for m in re.captures_iter(text) {
            let (Some(whole), Some(list)) = (m.get(0), m.get(1)) else {
                continue;
            };
            for n in names.captures_iter(list.as_str()) {
                if let Some(inc) = n.get(1).or_else(|| n.get(2)).or_else(|| n.get(3)) {
                    edges
                        .entry(name.as_str())
                        .or_default()
                        .push((inc.as_str().to_string(), whole.start()));
                }
            }
        }
    }
    let mut diags = Vec::new();
    for (name, text, path) in sources {
        // Does any include of `name` lead back to `name`?
        for (first, at) in edges.get(name.as_str()).into_iter().flatten() {
            let mut seen: Vec<&str> = Vec::new();
            let mut stack: Vec<(&str, Vec<&str>)> = vec![(first.as_str(), vec![first.as_str()])];
            let mut cycle = None;
            while let Some((cur, chain)) = stack.pop() {
                if cur == name {
                    cycle = Some(chain);
                    break;
                }
                if seen.contains(&cur) {
                    continue;
                }
                seen.push(cur);
                for (next, _) in edges.get(cur).into_iter().flatten() {
                    let mut c = chain.clone();
                    c.push(next.as_str());
                    stack.push((next.as_str(), c));
                }
            }
            if let Some(chain) = cycle {
                diags.push(
                    Diagnostic::error(
                        path,
                        format!(
                            "template `{name}` includes itself ({name} → {}): its render would never end",
                            chain.join(" → ")
                        ),
                    )
                    .at(Some(Position::of_offset(text, *at))),
                );
                break;
            }
        }
    }
    diags
}

/// A template error as a diagnostic; Tera's parse errors carry ` --> line:col`.
pub fn template_diag(path: &Path, _text: &str, err: &tera::Error) -> Diagnostic {
    let msg = tera_error_chain(err);
    let pos = parse_tera_position(&msg);
    Diagnostic::error(
        path,
        msg.lines()
            .filter(|l| !l.trim().is_empty())
            .collect::<Vec<_>>()
            .join(" "),
    )
    .at(pos)
}

fn parse_tera_position(msg: &str) -> Option<Position> {
    let at = msg.find("--> ")?;
    let rest = &msg[at + 4..];
    let mut parts = rest.split(|c: char| c == ':' || c.is_whitespace());
    let line = parts.next()?.parse().ok()?;
    let col = parts.next()?.parse().ok()?;
    Some(Position { line, col })
}

/// Tera's error and all its causes, in one message.
pub fn tera_error_chain(e: &tera::Error) -> String {
    use std::error::Error;
    let mut msg = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        msg.push_str(": ");
        msg.push_str(&c.to_string());
        cur = c.source();
    }
    msg
}

#[cfg(test)]
mod tests {
    /// The vendored tera (vendor/README.md) reads a field of a loop's item without copying the
    /// item: the values seen must be those of unpatched tera, for every kind of loop.
    #[test]
    fn loop_items_fields_read_as_before() {
        let mut tera = tera::Tera::default();
        let source = "\
{% set made = given | reverse %}\
{% for p in given | sort(attribute=\"t\") %}{{ p.t }}{{ p.a.n }}{{ p.missing | default(value=\"-\") }};{% endfor %}|\
{% for p in given %}{{ p.t }}{{ p.a.n }}{{ p[\"t\"] }};{% endfor %}|\
{% for k, v in obj %}{{ k }}={{ v.x }};{% endfor %}|\
{% for c in word %}{{ c }}.{% endfor %}|\
{% for p in made %}{% set q = p.a %}{{ q.n }}{{ loop.index }}{% endfor %}";
        tera.add_raw_template("t", source).expect("template parses");
        let mut ctx = tera::Context::new();
        ctx.insert(
            "given",
            &serde_json::json!([{"t": "b", "a": {"n": 2}}, {"t": "a", "a": {"n": 1}}]),
        );
        ctx.insert("word", "héllo");
        ctx.insert("obj", &serde_json::json!({"k1": {"x": 1}, "k2": {"x": 2}}));
        let out = tera.render("t", &ctx).expect("renders");
        assert_eq!(out, "a1-;b2-;|b2b;a1a;|k1=1;k2=2;|h.é.l.l.o.|1122");
        // Variables read in place (conditions, `in`, `{{ … }}`), by kind of frame.
        let cases = [
            (
                "{% set d = e %}{% if not d %}{% set d = 'X' %}{% endif %}[{{ d }}]",
                "[X]",
            ),
            (
                "{% if not nothing %}a{% endif %}{% if nothing %}b{% endif %}",
                "a",
            ),
            (
                "{% set l = ['x', 'y'] %}{% if 'y' in l %}in{% endif %}{% if 'z' not in l %}!{% endif %}",
                "in!",
            ),
            ("{% set h = '<b>' %}{{ h }}|{{ h | safe }}", "&lt;b&gt;|<b>"),
            (
                "{% for p in given %}{% if p.a %}{{ p.t }}{{ p }}{% endif %}{% endfor %}",
                "b[object]a[object]",
            ),
            (
                "{% for k, v in obj %}{% if v %}{{ k }}{{ loop.index }}{{ v.x }}{% endif %}{% endfor %}",
                "k111k222",
            ),
            (
                "{% macro m(q) %}{% if q.a.n > 1 %}{{ q.t }}{% endif %}{% if not q.z %}-{% endif %}{% endmacro m %}{% for p in given %}{{ self::m(q=p) }}{% endfor %}",
                "b--",
            ),
            ("{% if e %}e{% elif obj.k1 %}{{ obj.k1.x }}{% endif %}", "1"),
        ];
        for (source, expected) in cases {
            let mut tera = tera::Tera::default();
            tera.autoescape_on(vec!["t"]);
            tera.add_raw_template("t", source).expect("template parses");
            let mut ctx = tera::Context::new();
            ctx.insert("e", "");
            ctx.insert(
                "given",
                &serde_json::json!([{"t": "b", "a": {"n": 2}}, {"t": "a", "a": {"n": 1}}]),
            );
            ctx.insert("obj", &serde_json::json!({"k1": {"x": 1}, "k2": {"x": 2}}));
            let out = tera.render("t", &ctx).expect("renders");
            assert_eq!(out, expected, "{source}");
        }
    }

    /// The vendored tera's array filters borrow the array and copy only what they return
    /// (vendor/README.md, change 5): their results and errors must be unpatched tera's.
    #[test]
    fn array_filters_give_what_they_gave() {
        let cases = [
            // Stable: equal keys keep their order.
            (
                "{% for p in given | sort(attribute='k') %}{{ p.t }}{% endfor %}",
                "cba",
            ),
            ("{{ nums | sort | join(sep=',') }}", "1,2,2,3"),
            ("{{ words | sort | join(sep=' ') }}", "a b c"),
            ("{{ empty | sort | length }}", "0"),
            (
                "{% set s = given | concat(with='x') %}{{ s | length }}{{ s | last }}",
                "4x",
            ),
            (
                "{{ nums | concat(with=words) | join(sep='') }}{{ nums | join(sep='') }}",
                "2312bca2312",
            ),
            (
                "{{ nums | first }}{{ nums | last }}{{ nums | nth(n=1) }}[{{ empty | first }}][{{ empty | last }}][{{ nums | nth(n=9) }}]",
                "223[][][]",
            ),
            (
                "{{ nums | slice(start=1) | join(sep='') }}{{ nums | slice(end=-1) | join(sep='') }}{{ nums | slice(start=3, end=1) | length }}",
                "3122310",
            ),
            (
                "{% for p in given | filter(attribute='k', value=1) %}{{ p.t }}{% endfor %}{% for p in given | filter(attribute='z') %}{{ p.t }}{% endfor %}",
                "bab",
            ),
            ("{{ given | map(attribute='t') | join(sep='') }}", "bca"),
            (
                "{{ given | unique(attribute='k') | map(attribute='t') | join(sep='') }}{{ nums | unique | join(sep='') }}",
                "bc231",
            ),
            (
                "{% for k, v in given | group_by(attribute='k') %}{{ k }}:{{ v | map(attribute='t') | join(sep='') }};{% endfor %}",
                "1:ba;0:c;",
            ),
        ];
        let render = |source: &str| {
            let mut tera = tera::Tera::default();
            tera.add_raw_template("t", source)
                .map_err(|e| super::tera_error_chain(&e))?;
            let mut ctx = tera::Context::new();
            ctx.insert(
                "given",
                &serde_json::json!([
                    {"t": "b", "k": 1, "z": true},
                    {"t": "c", "k": 0},
                    {"t": "a", "k": 1},
                ]),
            );
            ctx.insert("nums", &serde_json::json!([2, 3, 1, 2]));
            ctx.insert("words", &serde_json::json!(["b", "c", "a"]));
            ctx.insert("empty", &serde_json::json!([]));
            ctx.insert("text", "abc");
            tera.render("t", &ctx)
                .map_err(|e| super::tera_error_chain(&e))
        };
        for (source, expected) in cases {
            assert_eq!(render(source).as_deref(), Ok(expected), "{source}");
        }
        for name in [
            "sort",
            "concat(with=1)",
            "first",
            "last",
            "join",
            "slice",
            "map(attribute='t')",
            "unique",
            "group_by(attribute='t')",
            "filter(attribute='t')",
            "nth(n=0)",
        ] {
            let filter = name.split('(').next().unwrap_or(name);
            let err = render(&format!("{{{{ text | {name} }}}}")).expect_err(name);
            assert!(
                err.contains(&format!(
                    "Filter `{filter}` was called on an incorrect value: got `\"abc\"` but expected a Vec<Value>"
                )),
                "{name}: {err}"
            );
        }
        let err = render("{{ given | sort(attribute='nope') }}").expect_err("no such field");
        assert!(
            err.contains("attribute 'nope' does not reference a field"),
            "{err}"
        );
    }
}
