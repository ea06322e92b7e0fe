//! What templates see: pages, sections, taxonomies and paginators as JSON, shaped as Zola
//! serializes them.

use std::hash::{Hash, Hasher};

use serde_json::{Value as Json, json};

use crate::config::Config;
use crate::content::library::{Item, Library};
use crate::content::taxonomy::{Taxonomy, TaxonomyTerm};
use crate::templates::reads::{Field, PageFields};

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

/// One field of a page as templates see it (`lower` and `higher` are `null`:
/// [`page_with_siblings`] fills them).
fn field(lib: &Library, p: &crate::content::Page, f: Field) -> Json {
    let date_part = |k: usize| match &p.meta.date {
        Some(d) => {
            let (y, m, dd) = d.ymd();
            [json!(y), json!(m), json!(dd)][k].clone()
        }
        None => Json::Null,
    };
    match f {
        Field::RelativePath => json!(p.file.relative),
        Field::ColocatedPath => json!(p.file.colocated_path),
        Field::Content => json!(p.markdown.html),
        Field::Permalink => json!(p.permalink),
        Field::Slug => json!(p.slug),
        Field::Ancestors => json!(p.ancestors),
        Field::Title => json!(p.meta.title),
        Field::Description => json!(p.meta.description),
        Field::Updated => json!(p.meta.updated.as_ref().map(|d| &d.text)),
        Field::Date => json!(p.meta.date.as_ref().map(|d| &d.text)),
        Field::Year => date_part(0),
        Field::Month => date_part(1),
        Field::Day => date_part(2),
        Field::Taxonomies => Json::Object(taxonomies(p)),
        Field::Authors => json!(p.meta.authors),
        Field::Extra => p.meta.extra.clone(),
        Field::Path => json!(p.path),
        Field::Components => json!(p.components),
        Field::Summary => json!(p.markdown.summary),
        Field::Toc => json!(p.markdown.toc),
        Field::WordCount => json!(p.word_count),
        Field::ReadingTime => json!(p.reading_time),
        Field::Assets => json!(p.assets),
        Field::Draft => json!(p.meta.draft),
        Field::Lang => json!(p.lang),
        Field::Lower | Field::Higher => Json::Null,
        Field::Translations => translations(lib, &p.file.canonical),
        Field::Backlinks => backlinks(lib, &p.file.relative),
    }
}

/// A hash of what [`field`] is made of: two equal hashes, two equal values.
fn hash_field(lib: &Library, p: &crate::content::Page, f: Field, h: &mut impl Hasher) {
    match f {
        Field::RelativePath => p.file.relative.hash(h),
        Field::ColocatedPath => p.file.colocated_path.hash(h),
        // The preview hashed it once, when its Markdown was rendered.
        Field::Content => match p.markdown.html_key {
            0 => p.markdown.html.hash(h),
            key => key.hash(h),
        },
        Field::Permalink => p.permalink.hash(h),
        Field::Slug => p.slug.hash(h),
        Field::Ancestors => p.ancestors.hash(h),
        Field::Title => p.meta.title.hash(h),
        Field::Description => p.meta.description.hash(h),
        Field::Updated => p.meta.updated.as_ref().map(|d| &d.text).hash(h),
        // The year, month and day are the date's.
        Field::Date | Field::Year | Field::Month | Field::Day => {
            p.meta.date.as_ref().map(|d| &d.text).hash(h)
        }
        Field::Taxonomies => {
            p.meta.taxonomies.len().hash(h);
            for (name, terms, _) in &p.meta.taxonomies {
                (name, terms).hash(h);
            }
        }
        Field::Authors => p.meta.authors.hash(h),
        Field::Extra => match p.extra_key {
            0 => crate::incremental::hash_json(&p.meta.extra, h),
            key => key.hash(h),
        },
        Field::Path => p.path.hash(h),
        Field::Components => p.components.hash(h),
        Field::Summary => p.markdown.summary.hash(h),
        Field::Toc => p.markdown.toc.hash(h),
        Field::WordCount => p.word_count.hash(h),
        Field::ReadingTime => p.reading_time.hash(h),
        Field::Assets => p.assets.hash(h),
        Field::Draft => p.meta.draft.hash(h),
        Field::Lang => p.lang.hash(h),
        Field::Lower | Field::Higher => {}
        Field::Translations => {
            let translations = lib.translations_of(&p.file.canonical);
            translations.len().hash(h);
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
                (lang, permalink, title, path).hash(h);
            }
        }
        Field::Backlinks => {
            let backlinks = lib.backlinks.get(&p.file.relative);
            backlinks.map_or(0, Vec::len).hash(h);
            for item in backlinks.into_iter().flatten() {
                let (permalink, title) = match *item {
                    Item::Page(j) => (&lib.pages[j].permalink, &lib.pages[j].meta.title),
                    Item::Section(j) => (&lib.sections[j].permalink, &lib.sections[j].meta.title),
                };
                (permalink, title).hash(h);
            }
        }
    }
}

/// A page as templates see it, with the fields not in `fields` `null` (see
/// [`crate::templates::reads`]), and without `lower`/`higher`, which [`page_with_siblings`]
/// adds.
pub fn page(lib: &Library, i: usize, fields: PageFields) -> Json {
    let p = &lib.pages[i];
    let value = |f: Field| {
        if fields.has(f) {
            field(lib, p, f)
        } else {
            Json::Null
        }
    };
    Json::Object(
        Field::ALL
            .into_iter()
            .map(|f| (f.name().to_string(), value(f)))
            .collect(),
    )
}

/// Pages `list` as [`page`] makes each.
pub fn pages(lib: &Library, list: &[usize], fields: PageFields) -> Vec<Json> {
    let blank = blank_page();
    list.iter()
        .map(|&i| page_from(&blank, lib, i, fields))
        .collect()
}

/// A page object with every field null: [`page_from`] copies it, which costs less than
/// building the same object key by key (a list's pages share one; a single page is built
/// directly, a blank and its copy would cost twice).
fn blank_page() -> Json {
    Json::Object(
        Field::ALL
            .into_iter()
            .map(|f| (f.name().to_string(), Json::Null))
            .collect(),
    )
}

/// [`page`], as a copy of `blank` with the fields of page `i` that are in `fields`.
fn page_from(blank: &Json, lib: &Library, i: usize, fields: PageFields) -> Json {
    let p = &lib.pages[i];
    let mut out = blank.clone();
    if let Json::Object(map) = &mut out {
        // The keys are those of `Field::ALL`, in its order.
        for ((_, v), f) in map.iter_mut().zip(Field::ALL) {
            if fields.has(f) {
                *v = field(lib, p, f);
            }
        }
    }
    out
}

/// `object` with `value` in place of the (placeholder) value of `key`, which keeps its place
/// among the keys: `json!` copies every value it is given, which for a list of pages is a
/// copy of each page.
fn put(mut object: Json, key: &str, value: Json) -> Json {
    if let Some(slot) = object.get_mut(key) {
        *slot = value;
    }
    object
}

/// A hash of each field of [`page`], in the order of [`Field::ALL`].
pub type FieldKeys = [u64; Field::ALL.len()];

pub fn field_keys(lib: &Library, i: usize) -> FieldKeys {
    let p = &lib.pages[i];
    Field::ALL.map(|f| {
        let mut h = crate::incremental::hasher();
        hash_field(lib, p, f, &mut h);
        h.finish()
    })
}

/// A hash of the fields of [`page`] in `fields`, from the page's [`field_keys`]: two equal
/// keys, two equal pages.
pub fn page_key(keys: &FieldKeys, fields: PageFields) -> u64 {
    let mut h = crate::incremental::hasher();
    "page".hash(&mut h);
    for (k, f) in keys.iter().zip(Field::ALL) {
        if fields.has(f) {
            k.hash(&mut h);
        }
    }
    h.finish()
}

/// The fields of [`page_light`], in the order of its keys.
const LIGHT: [Field; 11] = [
    Field::RelativePath,
    Field::Permalink,
    Field::Path,
    Field::Slug,
    Field::Lang,
    Field::Title,
    Field::Description,
    Field::Date,
    Field::Updated,
    Field::Taxonomies,
    Field::Extra,
];

/// A page reduced to what lists need (no content, summary, table of contents, translations
/// or backlinks): what `get_pages` returns, cheap to copy into every page's context. Its
/// [`page_key`] is that of [`PageFields::LIGHT`].
pub fn page_light(lib: &Library, i: usize) -> Json {
    let p = &lib.pages[i];
    Json::Object(
        LIGHT
            .into_iter()
            .map(|f| (f.name().to_string(), field(lib, p, f)))
            .collect(),
    )
}

/// The field `name` of [`page_light`]`(lib, i)`, without building the rest.
pub fn light_field(lib: &Library, i: usize, name: &str) -> Option<Json> {
    let f = LIGHT.into_iter().find(|f| f.name() == name)?;
    Some(field(lib, &lib.pages[i], f))
}

impl PageFields {
    /// The fields of [`page_light`].
    pub const LIGHT: PageFields = PageFields::of(&LIGHT);
}

/// [`page`] with its neighbours in its section's order (when `fields` has them).
pub fn page_with_siblings(lib: &Library, i: usize, fields: PageFields) -> Json {
    let mut v = page(lib, i, fields);
    if let Some(l) = lib.pages[i].lower.filter(|_| fields.has(Field::Lower)) {
        v["lower"] = page(lib, l, fields);
    }
    if let Some(h) = lib.pages[i].higher.filter(|_| fields.has(Field::Higher)) {
        v["higher"] = page(lib, h, fields);
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
    let object = json!({
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
        "pages": Json::Null,
        "subsections": subsections,
        "translations": translations(lib, &s.file.canonical),
        "backlinks": backlinks(lib, &s.file.relative),
        "generate_feeds": s.meta.generate_feeds,
        "transparent": s.meta.transparent,
        "paginate_by": s.meta.paginate_by,
        "paginate_reversed": s.meta.paginate_reversed,
    });
    put(object, "pages", Json::Array(pages))
}

/// A taxonomy term; its `pages` are empty unless `pages` has their fields.
pub fn term(lib: &Library, t: &TaxonomyTerm, pages: Option<PageFields>) -> Json {
    let list: Vec<Json> = match pages {
        Some(fields) => self::pages(lib, &t.pages, fields),
        None => Vec::new(),
    };
    let object = json!({
        "name": t.name,
        "slug": t.slug,
        "path": t.path,
        "permalink": t.permalink,
        "pages": Json::Null,
        "page_count": t.pages.len(),
    });
    put(object, "pages", Json::Array(list))
}

pub fn taxonomy(lib: &Library, t: &Taxonomy, pages: Option<PageFields>) -> Json {
    let object = json!({
        "kind": t.kind,
        "lang": t.lang,
        "permalink": t.permalink,
        "items": Json::Null,
    });
    let items = t
        .items
        .iter()
        .map(|term_| term(lib, term_, pages))
        .collect();
    put(object, "items", Json::Array(items))
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

/// A paginated list: its pagers, how many pages each holds, how many in all, and the URL
/// the pagers' numbers are appended to.
pub struct Pagination<'p> {
    pub pagers: &'p [Pager],
    pub per: usize,
    pub total: usize,
    pub base_url: &'p str,
}

/// The `paginator` of pager `k`; its `pages` are empty unless `pages` has their fields.
pub fn paginator(
    pagination: &Pagination,
    k: usize,
    lib: &Library,
    pages: Option<PageFields>,
) -> Json {
    let Pagination {
        pagers,
        per,
        total,
        base_url,
    } = *pagination;
    let p = &pagers[k];
    let object = json!({
        "paginate_by": per,
        "base_url": base_url,
        "number_pagers": pagers.len(),
        "first": pagers[0].permalink,
        "last": pagers[pagers.len() - 1].permalink,
        "previous": if k > 0 { Json::String(pagers[k - 1].permalink.clone()) } else { Json::Null },
        "next": pagers.get(k + 1).map(|n| Json::String(n.permalink.clone())).unwrap_or(Json::Null),
        "total_pages": total,
        "current_index": p.index,
        "pages": Json::Null,
    });
    let list = match pages {
        Some(fields) => self::pages(lib, &p.pages, fields),
        None => Vec::new(),
    };
    put(object, "pages", Json::Array(list))
}
