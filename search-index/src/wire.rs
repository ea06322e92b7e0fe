//! The compact encodings between the WebAssembly module and its JavaScript glue.
//!
//! Request (UTF-8 text): the query on the first line, then one `facet=id` line per filter
//! value, e.g. `"remesas\ntheme=remittances\ncountry=mx"`. The glue replaces line breaks in
//! the query by spaces.
//!
//! Response: JSON written by hand (no JSON library in the module):
//! `{"total":N,"hits":[{"url","title","description","snippet","start_year","end_year"}],
//! "facets":{"theme":{"id":count,…},…}}`; absent years are `null`.

use std::fmt::Write;

use crate::error::Error;
use crate::schema::FacetKind;
use crate::searcher::{Filters, Results};

/// Decodes a request into its query and filters.
pub fn decode_request(request: &str) -> Result<(String, Filters), Error> {
    let mut lines = request.split('\n');
    let query = lines.next().unwrap_or_default().to_string();
    let mut filters = Filters::new();
    for line in lines.filter(|line| !line.is_empty()) {
        let (facet, id) = line
            .split_once('=')
            .ok_or_else(|| Error::Request(format!("filter without `=`: {line}")))?;
        filters.add(facet.parse::<FacetKind>()?, id);
    }
    Ok((query, filters))
}

/// Encodes a request (the inverse of [`decode_request`]).
pub fn encode_request(query: &str, filters: &Filters) -> String {
    let mut out = query.replace(['\n', '\r'], " ");
    for kind in FacetKind::ALL {
        for id in filters.get(kind) {
            out.push('\n');
            out.push_str(kind.name());
            out.push('=');
            out.push_str(id);
        }
    }
    out
}

/// Encodes results as JSON.
pub fn results_json(results: &Results) -> String {
    let mut out = String::with_capacity(256 + 512 * results.hits.len());
    out.push_str("{\"total\":");
    push_display(&mut out, results.total);
    out.push_str(",\"hits\":[");
    for (i, hit) in results.hits.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("{\"url\":");
        push_string(&mut out, &hit.url);
        out.push_str(",\"title\":");
        push_string(&mut out, &hit.title);
        out.push_str(",\"description\":");
        push_string(&mut out, &hit.description);
        out.push_str(",\"snippet\":");
        push_string(&mut out, &hit.snippet_html);
        out.push_str(",\"start_year\":");
        push_year(&mut out, hit.start_year);
        out.push_str(",\"end_year\":");
        push_year(&mut out, hit.end_year);
        out.push('}');
    }
    out.push_str("],\"facets\":{");
    for (i, (kind, counts)) in results.facets.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_string(&mut out, kind.name());
        out.push_str(":{");
        for (j, (id, count)) in counts.iter().enumerate() {
            if j > 0 {
                out.push(',');
            }
            push_string(&mut out, id);
            out.push(':');
            push_display(&mut out, count);
        }
        out.push('}');
    }
    out.push_str("}}");
    out
}

/// `{"error":"…"}`.
pub fn error_json(message: &str) -> String {
    let mut out = String::from("{\"error\":");
    push_string(&mut out, message);
    out.push('}');
    out
}

/// `{"need":[3,17,…]}`: the chunks to add before asking again.
pub fn need_json(ids: &[u32]) -> String {
    let mut out = String::from("{\"need\":[");
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_display(&mut out, id);
    }
    out.push_str("]}");
    out
}

fn push_display(out: &mut String, value: impl std::fmt::Display) {
    // Writing to a String cannot fail.
    let _ = write!(out, "{value}");
}

fn push_year(out: &mut String, year: Option<i64>) {
    match year {
        Some(year) => push_display(out, year),
        None => out.push_str("null"),
    }
}

/// A JSON string literal.
fn push_string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 || c == '\u{2028}' || c == '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::searcher::Hit;

    #[test]
    fn request_round_trip() {
        let filters = Filters::new()
            .with(FacetKind::Theme, "remittances")
            .with(FacetKind::Theme, "diaspora")
            .with(FacetKind::Country, "mx");
        let encoded = encode_request("remesas\nfamilia", &filters);
        assert_eq!(
            encoded,
            "remesas familia\ntheme=remittances\ntheme=diaspora\ncountry=mx"
        );
        let (query, decoded) = decode_request(&encoded).expect("valid request");
        assert_eq!(query, "remesas familia");
        assert_eq!(decoded, filters);
        assert!(decode_request("q\nnope=1").is_err());
        assert!(decode_request("q\ntheme").is_err());
    }

    #[test]
    fn json_is_escaped() {
        let mut results = Results {
            total: 1,
            ..Results::default()
        };
        results.hits.push(Hit {
            url: "/a\"b".into(),
            title: "t\\\n\u{1}".into(),
            description: String::new(),
            snippet_html: "&lt;x&gt;".into(),
            start_year: Some(2019),
            end_year: None,
        });
        results
            .facets
            .insert(FacetKind::Theme, vec![("remittances".into(), 1)]);
        assert_eq!(
            results_json(&results),
            concat!(
                r#"{"total":1,"hits":[{"url":"/a\"b","title":"t\\\n\u0001","description":"","#,
                r#""snippet":"&lt;x&gt;","start_year":2019,"end_year":null}],"#,
                r#""facets":{"theme":{"remittances":1}}}"#
            )
        );
        assert_eq!(error_json("bad \"x\""), r#"{"error":"bad \"x\""}"#);
    }
}
