//! Taxonomies: for each language and each configured taxonomy, its terms and their pages.

use std::collections::BTreeMap;

use foldhash::HashMap;

use super::library::{Library, sort_pages};
use super::section::SortBy;
use crate::config::{Config, TaxonomyConfig};
use crate::diagnostics::Diagnostic;

#[derive(Debug, Clone)]
pub struct TaxonomyTerm {
    pub name: String,
    pub slug: String,
    pub path: String,
    pub permalink: String,
    /// Page indices, newest first.
    pub pages: Vec<usize>,
}

#[derive(Debug, Clone)]
pub struct Taxonomy {
    pub lang: String,
    pub kind: TaxonomyConfig,
    pub path: String,
    pub permalink: String,
    /// Sorted by slug, one term per slug.
    pub items: Vec<TaxonomyTerm>,
}

impl Taxonomy {
    pub fn term(&self, name: &str, config: &Config) -> Option<&TaxonomyTerm> {
        let slug = config.slugify.taxonomy(name);
        self.items
            .binary_search_by(|t| t.slug.as_str().cmp(slug.as_str()))
            .ok()
            .map(|i| &self.items[i])
    }
}

/// Term names with their pages, in order of first use.
type TermPages = Vec<(String, Vec<usize>)>;

/// A taxonomy's terms as they are found, with the position of each name in the list.
type FoundTerms<'a> = (TermPages, HashMap<&'a str, usize>);

/// Builds every taxonomy of every language. A page using a taxonomy its language does not
/// declare is an error.
pub fn build_taxonomies(
    lib: &Library,
    config: &Config,
    diags: &mut Vec<Diagnostic>,
) -> Vec<Taxonomy> {
    // (lang, taxonomy name) -> term name -> pages, in page order. Terms are found through
    // a map (a page's terms are looked up in time independent of how many terms there are).
    let mut slots: HashMap<(&str, &str), FoundTerms> = HashMap::default();
    for (code, opts) in &config.languages {
        for t in &opts.taxonomies {
            slots.insert((code.as_str(), t.name.as_str()), Default::default());
        }
    }
    for (i, page) in lib.pages.iter().enumerate() {
        if !page.meta.render {
            continue;
        }
        for (name, terms, pos) in &page.meta.taxonomies {
            let Some((list, index)) = slots.get_mut(&(page.lang.as_str(), name.as_str())) else {
                diags.push(
                    Diagnostic::error(
                        &page.file.path,
                        format!(
                            "the taxonomy `{name}` is not declared for language `{}` in config.toml",
                            page.lang
                        ),
                    )
                    .at(*pos),
                );
                continue;
            };
            for term in terms {
                match index.get(term.as_str()) {
                    Some(&t) => list[t].1.push(i),
                    None => {
                        index.insert(term, list.len());
                        list.push((term.clone(), vec![i]));
                    }
                }
            }
        }
    }
    let found: BTreeMap<(String, String), TermPages> = slots
        .into_iter()
        .map(|((lang, name), (terms, _))| ((lang.to_string(), name.to_string()), terms))
        .collect();
    // Terms list their pages as `sort_pages` by date does (undated ones left out), then the
    // undated ones: every page's place in that order is found once, and each term sorts its
    // pages by it.
    let dated = sort_pages(&lib.pages, (0..lib.pages.len()).collect(), SortBy::Date);
    let mut rank = vec![usize::MAX; lib.pages.len()];
    for (r, &i) in dated.iter().enumerate() {
        rank[i] = r;
    }
    let mut out = Vec::new();
    for ((lang, name), terms) in found {
        let Some(kind) = config.taxonomy(&lang, &name).cloned() else {
            continue;
        };
        let prefix = config.lang_prefix(&lang);
        let path = format!("{prefix}/{}/", kind.slug);
        let permalink = config.make_permalink(&path);
        let mut items: Vec<TaxonomyTerm> = terms
            .into_iter()
            .map(|(term, pages)| {
                let slug = config.slugify.taxonomy(&term);
                let (mut sorted, undated): (Vec<usize>, Vec<usize>) =
                    pages.into_iter().partition(|&p| rank[p] != usize::MAX);
                sorted.sort_unstable_by_key(|&p| rank[p]);
                sorted.extend(undated);
                let tpath = format!("{path}{slug}/");
                TaxonomyTerm {
                    permalink: config.make_permalink(&tpath),
                    path: tpath,
                    name: term,
                    slug,
                    pages: sorted,
                }
            })
            .collect();
        // Zola sorts terms by slug then name, and merges terms that share a slug under the
        // first name, concatenating their pages without sorting them again.
        items.sort_by(|a, b| a.slug.cmp(&b.slug).then_with(|| a.name.cmp(&b.name)));
        let mut merged: Vec<TaxonomyTerm> = Vec::new();
        for t in items {
            match merged.last_mut() {
                Some(last) if last.slug == t.slug => last.pages.extend(t.pages),
                _ => merged.push(t),
            }
        }
        out.push(Taxonomy {
            lang,
            kind,
            path,
            permalink,
            items: merged,
        });
    }
    out
}
