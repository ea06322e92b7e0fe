//! The library: all pages and sections of a site, linked together (sections and their pages,
//! ancestors, siblings, translations, taxonomies). Pure data, built once per build.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::path::Path;

use foldhash::HashMap;

use super::page::Page;
use super::section::{Section, SortBy};
use super::taxonomy::{Taxonomy, build_taxonomies};
use crate::config::Config;
use crate::diagnostics::Diagnostic;

/// Where the pages of one folder and language belong ([`Library::placement`]).
#[derive(Default)]
struct Placement {
    /// The sections listing them, nearest first.
    sections: Vec<usize>,
    /// Their ancestors (those of the farthest section), if a section holds them.
    ancestors: Option<Vec<String>>,
    /// The `page_template` they inherit.
    template: Option<String>,
}

/// A page or a section.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Item {
    Page(usize),
    Section(usize),
}

#[derive(Debug, Default, Clone)]
pub struct Library {
    pub pages: Vec<Page>,
    pub sections: Vec<Section>,
    pub page_by_rel: HashMap<String, usize>,
    pub section_by_rel: HashMap<String, usize>,
    /// Canonical name → every language version.
    pub translations: HashMap<String, Vec<Item>>,
    pub taxonomies: Vec<Taxonomy>,
    /// Relative path of a target → the content linking to it.
    pub backlinks: HashMap<String, Vec<Item>>,
}

impl Library {
    /// Links loaded pages and sections. Problems (URL collisions, unknown taxonomies) go to
    /// `diags`.
    pub fn new(
        pages: Vec<Page>,
        sections: Vec<Section>,
        config: &Config,
        diags: &mut Vec<Diagnostic>,
    ) -> Library {
        let mut lib = Library {
            pages,
            sections,
            ..Library::default()
        };
        // Stable order whatever the order of loading.
        lib.pages
            .sort_by(|a, b| a.file.relative.cmp(&b.file.relative));
        lib.sections
            .sort_by(|a, b| a.file.relative.cmp(&b.file.relative));
        lib.page_by_rel = lib
            .pages
            .iter()
            .enumerate()
            .map(|(i, p)| (p.file.relative.clone(), i))
            .collect();
        lib.section_by_rel = lib
            .sections
            .iter()
            .enumerate()
            .map(|(i, s)| (s.file.relative.clone(), i))
            .collect();
        lib.link_sections(config);
        lib.link_pages(config);
        lib.sort_and_link_siblings();
        // Three passes that only read the pages, each over all of them: side by side.
        let (translations, (collisions, (taxonomies, taxonomy_diags))) = rayon::join(
            || config.is_multilingual().then(|| lib.translations_map()),
            || {
                rayon::join(
                    || {
                        let mut d = Vec::new();
                        lib.check_collisions(&mut d);
                        d
                    },
                    || {
                        let mut d = Vec::new();
                        (build_taxonomies(&lib, config, &mut d), d)
                    },
                )
            },
        );
        if let Some(t) = translations {
            lib.translations = t;
        }
        diags.extend(collisions);
        diags.extend(taxonomy_diags);
        lib.taxonomies = taxonomies;
        lib
    }

    fn index_name(config: &Config, lang: &str) -> String {
        if lang == config.default_language {
            "_index.md".into()
        } else {
            format!("_index.{lang}.md")
        }
    }

    fn section_rel(folder: &str, index_name: &str) -> String {
        if folder.is_empty() {
            index_name.to_string()
        } else {
            format!("{folder}/{index_name}")
        }
    }

    fn link_sections(&mut self, config: &Config) {
        let mut subsections: HashMap<usize, Vec<usize>> = HashMap::default();
        for i in 0..self.sections.len() {
            let s = &self.sections[i];
            let index = Self::index_name(config, &s.lang);
            let comps = s.file.components.clone();
            let mut ancestors = Vec::new();
            if !comps.is_empty() {
                ancestors.push(Self::section_rel("", &index));
                for depth in 1..comps.len() {
                    let rel = Self::section_rel(&comps[..depth].join("/"), &index);
                    if self.section_by_rel.contains_key(&rel) {
                        ancestors.push(rel);
                    }
                }
                let parent_rel = Self::section_rel(&comps[..comps.len() - 1].join("/"), &index);
                if let Some(&p) = self.section_by_rel.get(&parent_rel) {
                    subsections.entry(p).or_default().push(i);
                }
            }
            self.sections[i].ancestors = ancestors
                .into_iter()
                .filter(|a| self.section_by_rel.contains_key(a))
                .collect();
        }
        for (p, mut subs) in subsections {
            subs.sort_by(|a, b| {
                self.sections[*a]
                    .meta
                    .weight
                    .cmp(&self.sections[*b].meta.weight)
                    .then_with(|| {
                        self.sections[*a]
                            .file
                            .relative
                            .cmp(&self.sections[*b].file.relative)
                    })
            });
            self.sections[p].subsections = subs;
        }
    }

    fn link_pages(&mut self, config: &Config) {
        // Pages of one folder and language share their sections, ancestors and inherited
        // template: found once per folder, not once per page.
        let mut by_folder: HashMap<(String, String), Placement> = HashMap::default();
        for i in 0..self.pages.len() {
            if !self.pages[i].meta.render {
                continue;
            }
            let key = (
                self.pages[i].file.parent.clone(),
                self.pages[i].lang.clone(),
            );
            let placement = match by_folder.get(&key) {
                Some(p) => p,
                None => {
                    let p = self.placement(config, &key.0, &key.1);
                    by_folder.entry(key).or_insert(p)
                }
            };
            for &s in &placement.sections {
                self.sections[s].pages.push(i);
            }
            if let Some(ancestors) = &placement.ancestors {
                self.pages[i].ancestors = ancestors.clone();
            }
            if self.pages[i].template.is_none() {
                self.pages[i].template = placement.template.clone();
            }
        }
    }

    /// Where the pages of `folder` in `lang` go: the section holding them, and those above it
    /// while sections are transparent.
    fn placement(&self, config: &Config, folder: &str, lang: &str) -> Placement {
        let index = Self::index_name(config, lang);
        let mut folder = folder.to_string();
        let mut placement = Placement::default();
        loop {
            let rel = Self::section_rel(&folder, &index);
            let Some(&s) = self.section_by_rel.get(&rel) else {
                break;
            };
            placement.sections.push(s);
            let mut ancestors = self.sections[s].ancestors.clone();
            ancestors.push(rel);
            if placement.template.is_none() {
                placement.template = ancestors.iter().rev().find_map(|a| {
                    self.section_by_rel
                        .get(a)
                        .and_then(|&si| self.sections[si].meta.page_template.clone())
                });
            }
            placement.ancestors = Some(ancestors);
            if !self.sections[s].meta.transparent || folder.is_empty() {
                break;
            }
            folder = folder
                .rsplit_once('/')
                .map(|(f, _)| f.to_string())
                .unwrap_or_default();
        }
        placement
    }

    fn sort_and_link_siblings(&mut self) {
        for s in 0..self.sections.len() {
            let sort_by = self.sections[s].meta.sort_by;
            let pages = std::mem::take(&mut self.sections[s].pages);
            let sorted = sort_pages(&self.pages, pages, sort_by);
            if !self.sections[s].meta.transparent && sort_by != SortBy::None {
                for (k, &p) in sorted.iter().enumerate() {
                    self.pages[p].lower = k.checked_sub(1).map(|j| sorted[j]);
                    self.pages[p].higher = sorted.get(k + 1).copied();
                }
            }
            self.sections[s].pages = sorted;
        }
    }

    fn translations_map(&self) -> HashMap<String, Vec<Item>> {
        let mut map: HashMap<String, Vec<Item>> = HashMap::default();
        for (i, s) in self.sections.iter().enumerate() {
            map.entry(s.file.canonical.clone())
                .or_default()
                .push(Item::Section(i));
        }
        for (i, p) in self.pages.iter().enumerate() {
            if p.meta.render {
                map.entry(p.file.canonical.clone())
                    .or_default()
                    .push(Item::Page(i));
            }
        }
        map
    }

    fn check_collisions(&self, diags: &mut Vec<Diagnostic>) {
        // URL → (file, its text, what in the text makes that URL). Paths are borrowed, and
        // only the URLs claimed twice are sorted (for the order of the diagnostics).
        type Claim<'a> = (&'a Path, &'a str, Option<String>);
        let mut claims: HashMap<Cow<'_, str>, Vec<Claim<'_>>> = HashMap::default();
        for p in self.pages.iter().filter(|p| p.meta.render) {
            let key = if p.meta.path.is_some() {
                Some("path".to_string())
            } else {
                p.meta.slug.as_ref().map(|_| "slug".to_string())
            };
            claims
                .entry(Cow::Borrowed(p.path.as_str()))
                .or_default()
                .push((&p.file.path, &p.source, key));
            for a in &p.meta.aliases {
                claims
                    .entry(Cow::Owned(normalize_alias(a)))
                    .or_default()
                    .push((&p.file.path, &p.source, Some(format!("\"{a}\""))));
            }
        }
        for s in self.sections.iter().filter(|s| s.meta.render) {
            claims
                .entry(Cow::Borrowed(s.path.as_str()))
                .or_default()
                .push((&s.file.path, &s.source, None));
            for a in &s.meta.aliases {
                claims
                    .entry(Cow::Owned(normalize_alias(a)))
                    .or_default()
                    .push((&s.file.path, &s.source, Some(format!("\"{a}\""))));
            }
        }
        let mut collided: Vec<_> = claims
            .into_iter()
            .filter(|(_, files)| files.len() > 1)
            .collect();
        collided.sort_by(|a, b| a.0.cmp(&b.0));
        for (url, files) in collided {
            for (f, source, needle) in &files {
                let others: Vec<String> = files
                    .iter()
                    .filter(|o| o.0 != *f)
                    .map(|o| o.0.display().to_string())
                    .collect();
                let offset = needle.as_deref().and_then(|n| source.find(n)).unwrap_or(0);
                diags.push(
                    Diagnostic::error(
                        *f,
                        format!("the URL `{url}` is claimed by more than one file"),
                    )
                    .at(Some(crate::diagnostics::Position::of_offset(
                        source, offset,
                    )))
                    .with_help(format!("also claimed by {}", others.join(", "))),
                );
            }
        }
    }

    pub fn translations_of(&self, canonical: &str) -> &[Item] {
        self.translations
            .get(canonical)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// The section `@/…` or a relative path names, in `lang` (its translation if it exists).
    pub fn find_section(&self, rel: &str) -> Option<usize> {
        self.section_by_rel
            .get(rel.trim_start_matches("@/"))
            .copied()
    }

    pub fn find_page(&self, rel: &str) -> Option<usize> {
        self.page_by_rel.get(rel.trim_start_matches("@/")).copied()
    }

    /// The permalink of the content at a relative path (`blog/_index.md`, `about.md`).
    pub fn permalink_of(&self, rel: &str) -> Option<&str> {
        if let Some(i) = self.find_page(rel) {
            return Some(&self.pages[i].permalink);
        }
        self.find_section(rel)
            .map(|i| self.sections[i].permalink.as_str())
    }

    pub fn item_permalink(&self, item: Item) -> &str {
        match item {
            Item::Page(i) => &self.pages[i].permalink,
            Item::Section(i) => &self.sections[i].permalink,
        }
    }

    /// Fills backlinks from the internal links that rendering found.
    pub fn fill_backlinks(&mut self) {
        let mut map: HashMap<String, Vec<Item>> = HashMap::default();
        for (i, p) in self.pages.iter().enumerate() {
            for (target, _) in &p.markdown.internal_links {
                let v = map.entry(target.clone()).or_default();
                if !v.contains(&Item::Page(i)) {
                    v.push(Item::Page(i));
                }
            }
        }
        for (i, s) in self.sections.iter().enumerate() {
            for (target, _) in &s.internal_links {
                let v = map.entry(target.clone()).or_default();
                if !v.contains(&Item::Section(i)) {
                    v.push(Item::Section(i));
                }
            }
        }
        self.backlinks = map;
    }
}

/// Aliases are site paths; `a/b/` and `/a/b` name the same one.
pub fn normalize_alias(a: &str) -> String {
    let t = a.trim().trim_start_matches('/');
    if t.ends_with(".html") || t.ends_with('/') {
        format!("/{t}")
    } else {
        format!("/{t}/")
    }
}

/// Sorts `pages` as Zola does; pages that lack the sort key are left out.
pub fn sort_pages(all: &[Page], pages: Vec<usize>, sort_by: SortBy) -> Vec<usize> {
    if sort_by == SortBy::None {
        return pages;
    }
    let mut keep: Vec<usize> = pages
        .into_iter()
        .filter(|&i| {
            let m = &all[i].meta;
            match sort_by {
                SortBy::Date => m.date.is_some(),
                SortBy::UpdateDate => m.date.is_some() || m.updated.is_some(),
                SortBy::Title | SortBy::TitleBytes => m.title.is_some(),
                SortBy::Weight => m.weight.is_some(),
                SortBy::Slug | SortBy::None => true,
            }
        })
        .collect();
    // By date: the keys are taken once, next to the indices, rather than read through each
    // page at every comparison (taxonomy terms and sections sort thousands of pages).
    let moment = |i: usize| {
        let m = &all[i].meta;
        let date = m.date.as_ref().map(|d| d.datetime);
        match sort_by {
            SortBy::UpdateDate => std::cmp::max(date, m.updated.as_ref().map(|d| d.datetime)),
            _ => date,
        }
    };
    if matches!(sort_by, SortBy::Date | SortBy::UpdateDate) {
        let mut keyed: Vec<(std::cmp::Reverse<_>, usize)> = keep
            .into_iter()
            .map(|i| (std::cmp::Reverse(moment(i)), i))
            .collect();
        keyed.sort_by(|(ka, a), (kb, b)| {
            ka.cmp(kb)
                .then_with(|| all[*a].permalink.cmp(&all[*b].permalink))
        });
        return keyed.into_iter().map(|(_, i)| i).collect();
    }
    keep.sort_by(|&a, &b| {
        let (pa, pb) = (&all[a], &all[b]);
        let ord = match sort_by {
            SortBy::Title => lexical_sort::natural_lexical_cmp(
                pa.meta.title.as_deref().unwrap_or(""),
                pb.meta.title.as_deref().unwrap_or(""),
            ),
            SortBy::TitleBytes => pa.meta.title.cmp(&pb.meta.title),
            SortBy::Weight => pa.meta.weight.cmp(&pb.meta.weight),
            SortBy::Slug => lexical_sort::natural_lexical_cmp(&pa.slug, &pb.slug),
            // Sorted above.
            SortBy::Date | SortBy::UpdateDate | SortBy::None => Ordering::Equal,
        };
        ord.then_with(|| pa.permalink.cmp(&pb.permalink))
    });
    keep
}
