//! A section: a folder with an `_index.md`.

use std::path::Path;

use serde_json::Value as Json;

use super::fields::Fields;
use super::file_info::FileInfo;
use super::front_matter::Node;
use crate::config::Config;
use crate::diagnostics::Diagnostic;
use crate::markdown::Heading;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortBy {
    Date,
    UpdateDate,
    Title,
    TitleBytes,
    Weight,
    Slug,
    #[default]
    None,
}

/// What a section's front matter says.
#[derive(Debug, Clone, PartialEq)]
pub struct SectionMeta {
    pub title: Option<String>,
    pub description: Option<String>,
    pub sort_by: SortBy,
    pub weight: usize,
    pub paginate_by: Option<usize>,
    pub paginate_path: String,
    pub paginate_reversed: bool,
    pub template: Option<String>,
    pub page_template: Option<String>,
    pub transparent: bool,
    pub render: bool,
    pub redirect_to: Option<String>,
    pub aliases: Vec<String>,
    pub in_search_index: bool,
    pub generate_feeds: bool,
    pub draft: bool,
    pub insert_anchor_links: Option<String>,
    pub extra: Json,
}

impl SectionMeta {
    pub fn read(node: &Node, text: &str, path: &Path) -> (SectionMeta, Vec<Diagnostic>) {
        let mut f = Fields::new(node, text, path);
        let sort_by = match f.string("sort_by").as_deref() {
            None | Some("none") => SortBy::None,
            Some("date") => SortBy::Date,
            Some("update_date") => SortBy::UpdateDate,
            Some("title") => SortBy::Title,
            Some("title_bytes") => SortBy::TitleBytes,
            Some("weight") => SortBy::Weight,
            Some("slug") => SortBy::Slug,
            Some(other) => {
                if let Some(n) = node.get("sort_by") {
                    f.error_at(
                        n,
                        format!("unknown `sort_by` value `{other}`: use date, update_date, title, title_bytes, weight, slug or none"),
                    );
                }
                SortBy::None
            }
        };
        let paginate_by = f.usize("paginate_by").filter(|n| *n > 0);
        let meta = SectionMeta {
            title: f.string("title"),
            description: f.string("description"),
            sort_by,
            weight: f.usize("weight").unwrap_or(0),
            paginate_by,
            paginate_path: f.string("paginate_path").unwrap_or_else(|| "page".into()),
            paginate_reversed: f.bool("paginate_reversed").unwrap_or(false),
            template: f.string("template"),
            page_template: f.string("page_template"),
            transparent: f.bool("transparent").unwrap_or(false),
            render: f.bool("render").unwrap_or(true),
            redirect_to: f.string("redirect_to"),
            aliases: f.strings("aliases"),
            in_search_index: f.bool("in_search_index").unwrap_or(true),
            generate_feeds: f.bool("generate_feeds").unwrap_or(false),
            draft: f.bool("draft").unwrap_or(false),
            insert_anchor_links: f.string("insert_anchor_links"),
            extra: f.table_json("extra"),
        };
        f.check_url_path("aliases", false);
        f.check_url_path("paginate_path", true);
        (meta, f.finish("section"))
    }
}

#[derive(Debug, Clone)]
pub struct Section {
    pub file: FileInfo,
    pub meta: SectionMeta,
    pub lang: String,
    pub source: std::sync::Arc<str>,
    pub body_offset: usize,
    /// As [`crate::content::page::Page::source_key`].
    pub source_key: u64,
    pub path: String,
    pub components: Vec<String>,
    pub permalink: String,
    pub assets: Vec<String>,
    pub asset_files: Vec<String>,
    pub ancestors: Vec<String>,
    /// Pages (indices into the library), sorted.
    pub pages: Vec<usize>,
    /// Direct subsections (indices), by weight.
    pub subsections: Vec<usize>,
    pub word_count: usize,
    pub reading_time: usize,
    pub content: std::sync::Arc<str>,
    pub toc: Vec<Heading>,
    pub internal_links: Vec<(String, Option<String>)>,
    pub external_links: Vec<String>,
}

impl Section {
    pub fn body(&self) -> &str {
        &self.source[self.body_offset..]
    }

    pub fn is_root(&self) -> bool {
        self.file.components.is_empty()
    }

    pub fn resolve_path(&mut self, config: &Config) {
        let folder = self.file.components.join("/");
        let prefix = config.lang_prefix(&self.lang);
        self.path = if folder.is_empty() {
            format!("{prefix}/")
        } else {
            format!("{prefix}/{folder}/")
        };
        self.components = self
            .path
            .split('/')
            .filter(|c| !c.is_empty())
            .map(str::to_string)
            .collect();
        self.permalink = config.make_permalink(&self.path);
    }
}
