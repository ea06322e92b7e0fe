//! What templates see: pages, sections, taxonomies and paginators as JSON, shaped as Zola
//! serializes them.

use std::hash::{Hash, Hasher};

use serde_json::{Value as Json, json};

use crate::config::Config;
use crate::content::library::{Item, Library};
use crate::content::taxonomy::{Taxonomy, TaxonomyTerm};

fn translations(lib: &Library, canonical: &str) -> Json {
    let mut list: Vec<Json> = lib
        .translations_of(canonical)
        .iter()
        .map(|item| match *item {
            Item::Page(i) => {
                let p = &lib.pages[i];
                json!({"lang": p.lang, "permalink": p.permalink, "title": p.meta.title, "path": p.file.relative})
            }
            Item::Section(i) => {
                let s = &lib.sections[i];
                json!({"lang": s.lang, "permalink": s.permalink, "title": s.meta.title, "path": s.file.relative})
            }
        })
        .collect();
    list.sort_by(|a, b| a["lang"].as_str().cmp(&b["lang"].as_str()));
    Json::Array(list)
}

fn backlinks(lib: &Library, relative: &str) -> Json {
    let mut list: Vec<(String, Option<String>)> = lib
        .backlinks
        .get(relative)
        .map(|items| {
            items
                .iter()
                .map(|item| match *item {
                    Item::Page(i) => (
                        lib.pages[i].permalink.clone(),
                        lib.pages[i].meta.title.clone(),
                    ),
                    Item::Section(i) => (
                        lib.sections[i].permalink.clone(),
                        lib.sections[i].meta.title.clone(),
                    ),
                })
                .collect()
        })
        .unwrap_or_default();
    list.sort();
    Json::Array(
        list.into_iter()
            .map(|(permalink, title)| json!({"permalink": permalink, "title": title}))
            .collect(),
    )
}

/// A page's taxonomies as written: name → terms.
fn taxonomies(p: &crate::content::Page) -> serde_json::Map<String, Json> {
    p.meta
        .taxonomies
        .iter()
        .map(|(name, terms, _)| (name.clone(), json!(terms)))
        .collect()
}

/// A page as templates see it (without `lower`/`higher`, which [`page_with_siblings`] adds).
pub fn page(lib: &Library, i: usize) -> Json {
    let p = &lib.pages[i];
    let (year, month, day) = match &p.meta.date {
        Some(d) => {
            let (y, m, dd) = d.ymd();
            (json!(y), json!(m), json!(dd))
        }
        None => (Json::Null, Json::Null, Json::Null),
    };
    let taxonomies = taxonomies(p);
    json!({
        "relative_path": p.file.relative,
        "colocated_path": p.file.colocated_path,
        "content": p.content,
        "permalink": p.permalink,
        "slug": p.slug,
        "ancestors": p.ancestors,
        "title": p.meta.title,
        "description": p.meta.description,
        "updated": p.meta.updated.as_ref().map(|d| &d.text),
        "date": p.meta.date.as_ref().map(|d| &d.text),
        "year": year,
        "month": month,
        "day": day,
        "taxonomies": taxonomies,
        "authors": p.meta.authors,
        "extra": p.meta.extra,
        "path": p.path,
        "components": p.components,
        "summary": p.summary,
        "toc": p.toc,
        "word_count": p.word_count,
        "reading_time": p.reading_time,
        "assets": p.assets,
        "draft": p.meta.draft,
        "lang": p.lang,
        "lower": Json::Null,
        "higher": Json::Null,
        "translations": translations(lib, &p.file.canonical),
        "backlinks": backlinks(lib, &p.file.relative),
    })
}

/// A page reduced to what lists need (no content, summary, table of contents, translations
/// or backlinks): what `get_pages` returns, cheap to copy into every page's context.
pub fn page_light(lib: &Library, i: usize) -> Json {
    let p = &lib.pages[i];
    let taxonomies = taxonomies(p);
    json!({
        "relative_path": p.file.relative,
        "permalink": p.permalink,
        "path": p.path,
        "slug": p.slug,
        "lang": p.lang,
        "title": p.meta.title,
        "description": p.meta.description,
        "date": p.meta.date.as_ref().map(|d| &d.text),
        "updated": p.meta.updated.as_ref().map(|d| &d.text),
        "taxonomies": taxonomies,
        "extra": p.meta.extra,
    })
}

/// What [`page_light`] is made of, hashed.
fn hash_light(p: &crate::content::Page, h: &mut impl Hasher) {
    (&p.file.relative, &p.permalink, &p.path, &p.slug, &p.lang).hash(h);
    (&p.meta.title, &p.meta.description).hash(h);
    p.meta.date.as_ref().map(|d| &d.text).hash(h);
    p.meta.updated.as_ref().map(|d| &d.text).hash(h);
    p.meta.taxonomies.len().hash(h);
    for (name, terms, _) in &p.meta.taxonomies {
        (name, terms).hash(h);
    }
    crate::incremental::hash_json(&p.meta.extra, h);
}

/// A hash of everything [`page_light`] is made of: two equal keys, two equal values.
pub fn light_key(lib: &Library, i: usize) -> u64 {
    let mut h = crate::incremental::hasher();
    "light".hash(&mut h);
    hash_light(&lib.pages[i], &mut h);
    h.finish()
}

/// A hash of everything [`page`] is made of (the page, its translations' and its backlinks'
/// titles and links): two equal keys, two equal values. Render keys and fingerprints are made
/// of it; it costs a small part of building the JSON.
pub fn page_key(lib: &Library, i: usize) -> u64 {
    let p = &lib.pages[i];
    let mut h = crate::incremental::hasher();
    "page".hash(&mut h);
    hash_light(p, &mut h);
    (&p.file.colocated_path, &p.content, &p.summary, &p.toc).hash(&mut h);
    (&p.ancestors, &p.meta.authors, &p.components, &p.assets).hash(&mut h);
    (p.word_count, p.reading_time, p.meta.draft).hash(&mut h);
    let translations = lib.translations_of(&p.file.canonical);
    translations.len().hash(&mut h);
    for item in translations.iter() {
        let (lang, permalink, title, path) = match *item {
            Item::Page(j) => {
                let t = &lib.pages[j];
                (&t.lang, &t.permalink, &t.meta.title, &t.file.relative)
            }
            Item::Section(j) => {
                let t = &lib.sections[j];
                (&t.lang, &t.permalink, &t.meta.title, &t.file.relative)
            }
        };
        (lang, permalink, title, path).hash(&mut h);
    }
    let backlinks = lib.backlinks.get(&p.file.relative);
    backlinks.map_or(0, Vec::len).hash(&mut h);
    for item in backlinks.into_iter().flatten() {
        let (permalink, title) = match *item {
            Item::Page(j) => (&lib.pages[j].permalink, &lib.pages[j].meta.title),
            Item::Section(j) => (&lib.sections[j].permalink, &lib.sections[j].meta.title),
        };
        (permalink, title).hash(&mut h);
    }
    h.finish()
}

pub fn page_with_siblings(lib: &Library, i: usize) -> Json {
    let mut v = page(lib, i);
    if let Some(l) = lib.pages[i].lower {
        v["lower"] = page(lib, l);
    }
    if let Some(h) = lib.pages[i].higher {
        v["higher"] = page(lib, h);
    }
    v
}

/// A section as templates see it; `pages` holds its pages (empty for `metadata_only`).
pub fn section(lib: &Library, i: usize, pages: Vec<Json>) -> Json {
    let s = &lib.sections[i];
    let subsections: Vec<&str> = s
        .subsections
        .iter()
        .map(|&j| lib.sections[j].file.relative.as_str())
        .collect();
    json!({
        "relative_path": s.file.relative,
        "colocated_path": Json::Null,
        "content": s.content,
        "permalink": s.permalink,
        "draft": s.meta.draft,
        "ancestors": s.ancestors,
        "title": s.meta.title,
        "description": s.meta.description,
        "extra": s.meta.extra,
        "path": s.path,
        "components": s.components,
        "toc": s.toc,
        "word_count": s.word_count,
        "reading_time": s.reading_time,
        "lang": s.lang,
        "assets": s.assets,
        "pages": pages,
        "subsections": subsections,
        "translations": translations(lib, &s.file.canonical),
        "backlinks": backlinks(lib, &s.file.relative),
        "generate_feeds": s.meta.generate_feeds,
        "transparent": s.meta.transparent,
        "paginate_by": s.meta.paginate_by,
        "paginate_reversed": s.meta.paginate_reversed,
    })
}

pub fn term(lib: &Library, t: &TaxonomyTerm, with_pages: bool) -> Json {
    let list: Vec<Json> = if with_pages {
        t.pages.iter().map(|&p| page(lib, p)).collect()
    } else {
        Vec::new()
    };
    json!({
        "name": t.name,
        "slug": t.slug,
        "path": t.path,
        "permalink": t.permalink,
        "pages": list,
        "page_count": t.pages.len(),
    })
}

pub fn taxonomy(lib: &Library, t: &Taxonomy, with_pages: bool) -> Json {
    json!({
        "kind": t.kind,
        "lang": t.lang,
        "permalink": t.permalink,
        "items": t.items.iter().map(|term_| term(lib, term_, with_pages)).collect::<Vec<_>>(),
    })
}

/// One pager of a paginated list.
pub struct Pager {
    pub index: usize,
    pub path: String,
    pub permalink: String,
    pub pages: Vec<usize>,
}

/// Cuts `items` into pagers: pager 1 at `base_path`, the others at `base_path/<paginate_path>/<n>/`.
pub fn paginate(
    config: &Config,
    base_path: &str,
    paginate_path: &str,
    per: usize,
    items: &[usize],
) -> Vec<Pager> {
    let chunks: Vec<&[usize]> = if items.is_empty() {
        vec![&[]]
    } else {
        items.chunks(per).collect()
    };
    chunks
        .into_iter()
        .enumerate()
        .map(|(k, chunk)| {
            let path = if k == 0 {
                base_path.to_string()
            } else {
                format!("{base_path}{paginate_path}/{}/", k + 1)
            };
            Pager {
                index: k + 1,
                permalink: config.make_permalink(&path),
                path,
                pages: chunk.to_vec(),
            }
        })
        .collect()
}

pub fn paginator(
    pagers: &[Pager],
    k: usize,
    per: usize,
    total: usize,
    base_url: &str,
    lib: &Library,
) -> Json {
    let p = &pagers[k];
    json!({
        "paginate_by": per,
        "base_url": base_url,
        "number_pagers": pagers.len(),
        "first": pagers[0].permalink,
        "last": pagers[pagers.len() - 1].permalink,
        "previous": if k > 0 { Json::String(pagers[k - 1].permalink.clone()) } else { Json::Null },
        "next": pagers.get(k + 1).map(|n| Json::String(n.permalink.clone())).unwrap_or(Json::Null),
        "total_pages": total,
        "current_index": p.index,
        "pages": p.pages.iter().map(|&i| page(lib, i)).collect::<Vec<_>>(),
    })
}
