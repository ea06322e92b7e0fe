//! Related pages: the pages of the same language that share the most taxonomy terms with a
//! page, each taxonomy weighted (a shared session may count more than a shared theme).
//!
//! Scores are accumulated from the terms' page lists, so the cost is the size of the page's
//! own terms, not the size of the site. Terms carried by more than [`MAX_TERM_PAGES`] pages
//! are skipped: a term on nearly every page relates nothing, and walking it for every page
//! would make the build quadratic.

use std::collections::HashMap;

use super::library::Library;
use crate::config::Config;

/// Terms with more pages than this do not count towards relatedness.
pub const MAX_TERM_PAGES: usize = 1000;

/// Up to `limit` pages related to page `i`, best first (score, then title), with a score of at
/// least `min_score`; `weights` gives each taxonomy's weight.
pub fn related(
    lib: &Library,
    config: &Config,
    i: usize,
    weights: &[(String, u32)],
    min_score: u32,
    limit: usize,
) -> Vec<usize> {
    let page = &lib.pages[i];
    let mut scores: HashMap<usize, u32> = HashMap::new();
    for (kind, weight) in weights {
        let Some(tax) = lib
            .taxonomies
            .iter()
            .find(|t| t.lang == page.lang && t.kind.name == *kind)
        else {
            continue;
        };
        let Some((_, names, _)) = page.meta.taxonomies.iter().find(|(k, _, _)| k == kind) else {
            continue;
        };
        for name in names {
            let Some(term) = tax.term(name, config) else {
                continue;
            };
            if term.pages.len() > MAX_TERM_PAGES {
                continue;
            }
            for &p in &term.pages {
                if p != i {
                    *scores.entry(p).or_default() += weight;
                }
            }
        }
    }
    let mut ranked: Vec<(usize, u32)> = scores
        .into_iter()
        .filter(|&(p, s)| s >= min_score && lib.pages[p].meta.render)
        .collect();
    let title = |p: usize| lib.pages[p].meta.title.as_deref().unwrap_or("");
    ranked.sort_by(|a, b| {
        b.1.cmp(&a.1)
            .then_with(|| lexical_sort::natural_lexical_cmp(title(a.0), title(b.0)))
            .then_with(|| lib.pages[a.0].permalink.cmp(&lib.pages[b.0].permalink))
    });
    ranked.truncate(limit);
    ranked.into_iter().map(|(p, _)| p).collect()
}

/// Parses `"session:2,theme:1"` into weights (a bare name weighs 1); an error names the bad item.
pub fn parse_weights(spec: &str) -> Result<Vec<(String, u32)>, String> {
    spec.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|item| match item.split_once(':') {
            None => Ok((item.to_string(), 1)),
            Some((k, w)) => w
                .trim()
                .parse()
                .map(|w| (k.trim().to_string(), w))
                .map_err(|_| format!("`{item}`: the weight must be a whole number")),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_parse() {
        assert_eq!(
            parse_weights("session:2, theme").unwrap(),
            vec![("session".to_string(), 2), ("theme".to_string(), 1)]
        );
        assert!(parse_weights("theme:x").is_err());
    }
}
