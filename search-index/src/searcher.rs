//! Opening a packed index read-only and querying it.

use std::collections::BTreeMap;

use tantivy::collector::{Count, FacetCollector, FacetCounts, MultiCollector, TopDocs};
use tantivy::directory::OwnedBytes;
use tantivy::query::{BooleanQuery, ConstScoreQuery, Occur, Query, TermQuery};
use tantivy::schema::{Facet, Field, IndexRecordOption, Value};
use tantivy::snippet::SnippetGenerator;
use tantivy::{IndexReader, ReloadPolicy, TantivyDocument, Term};

use crate::analyzer;
use crate::compile::Compiler;
use crate::directory::ReadOnlyDirectory;
use crate::error::Error;
use crate::lang::Lang;
use crate::pack;
use crate::query;
use crate::schema::{self, FacetKind, Fields};
use crate::snippet;

/// Entry point of the read path.
pub enum Index {}

impl Index {
    /// Opens a packed index (the output of `write_index`) without copying its files.
    pub fn open(bytes: Vec<u8>) -> Result<Searcher, Error> {
        Searcher::open(OwnedBytes::new(bytes))
    }
}

/// Filters: OR within a facet, AND across facets.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters {
    values: BTreeMap<FacetKind, Vec<String>>,
}

impl Filters {
    /// No filter.
    pub fn new() -> Filters {
        Filters::default()
    }

    /// Also accept documents whose facet `kind` has the value `id`.
    pub fn add(&mut self, kind: FacetKind, id: impl Into<String>) {
        let ids = self.values.entry(kind).or_default();
        let id = id.into();
        if !ids.contains(&id) {
            ids.push(id);
        }
    }

    /// Builder form of [`Filters::add`].
    pub fn with(mut self, kind: FacetKind, id: impl Into<String>) -> Filters {
        self.add(kind, id);
        self
    }

    /// The accepted ids of facet `kind` (empty: no filter on it).
    pub fn get(&self, kind: FacetKind) -> &[String] {
        self.values.get(&kind).map_or(&[], Vec::as_slice)
    }

    /// Whether no facet is filtered.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

/// One result.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// Stored URL.
    pub url: String,
    /// Stored title.
    pub title: String,
    /// Stored description.
    pub description: String,
    /// HTML: escaped text with the matching words in `<mark>`.
    pub snippet_html: String,
    /// Stored first year.
    pub start_year: Option<i64>,
    /// Stored last year.
    pub end_year: Option<i64>,
}

/// The answer to a search.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Results {
    /// Number of matching documents.
    pub total: usize,
    /// The best `limit` of them, best first.
    pub hits: Vec<Hit>,
    /// For every facet, `(id, count)` by decreasing count, then id. A facet's counts are
    /// those of the query with the *other* facets' filters applied (its own filter is
    /// ignored, so that its other values can still be offered).
    pub facets: BTreeMap<FacetKind, Vec<(String, u64)>>,
}

/// A read-only index of one language, ready to be queried.
pub struct Searcher {
    reader: IndexReader,
    fields: Fields,
    lang: Lang,
    body_stored: bool,
}

/// Longest snippet, in characters.
const SNIPPET_CHARS: usize = 180;

impl Searcher {
    /// Opens a packed index held in `bytes`.
    pub fn open(bytes: OwnedBytes) -> Result<Searcher, Error> {
        let directory = ReadOnlyDirectory::new(pack::unpack(bytes)?);
        let index = tantivy::Index::open(directory)?;
        analyzer::register(&index);
        let schema = index.schema();
        let fields = Fields::resolve(&schema)?;
        let lang = schema::lang_of(&schema)?;
        let body_stored = schema::body_is_stored(&schema, &fields);
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .num_warming_threads(0)
            .try_into()?;
        Ok(Searcher {
            reader,
            fields,
            lang,
            body_stored,
        })
    }

    /// The language of the index.
    pub fn lang(&self) -> Lang {
        self.lang
    }

    /// Number of documents in the index.
    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Runs `query` (see [`crate::query`] for the syntax) narrowed by `filters` and returns
    /// the `limit` best hits, the total and the facet counts.
    pub fn search(&self, query: &str, filters: &Filters, limit: usize) -> Result<Results, Error> {
        let searcher = self.reader.searcher();
        let parsed = query::parse(query);
        let text_query = Compiler::new(&searcher, &self.fields.text, analyzer::analyzer(self.lang))
            .compile(&parsed)?;

        let full = self.narrowed(&*text_query, filters, None);
        let mut multi = MultiCollector::new();
        let top = multi.add_collector(TopDocs::with_limit(limit.max(1)).order_by_score());
        let count = multi.add_collector(Count);
        let mut facet_handles = Vec::new();
        for kind in FacetKind::ALL {
            if filters.get(kind).is_empty() {
                facet_handles.push((kind, multi.add_collector(facet_collector(kind))));
            }
        }
        let mut fruits = searcher.search(&*full, &multi)?;
        let top_docs = top.extract(&mut fruits);
        let total = count.extract(&mut fruits);
        let mut facets = BTreeMap::new();
        for (kind, handle) in facet_handles {
            facets.insert(kind, facet_counts(&handle.extract(&mut fruits)));
        }
        for kind in FacetKind::ALL {
            if !filters.get(kind).is_empty() {
                let query = self.narrowed(&*text_query, filters, Some(kind));
                let counts = searcher.search(&*query, &facet_collector(kind))?;
                facets.insert(kind, facet_counts(&counts));
            }
        }

        let snippets = self.snippet_generators(&searcher, &*text_query)?;
        let mut hits = Vec::with_capacity(top_docs.len().min(limit));
        for (_score, address) in top_docs.into_iter().take(limit) {
            let doc: TantivyDocument = searcher.doc(address)?;
            hits.push(self.hit(&doc, &snippets));
        }
        Ok(Results {
            total,
            hits,
            facets,
        })
    }

    /// `text_query` AND the filters of every facet but `except`.
    fn narrowed(
        &self,
        text_query: &dyn Query,
        filters: &Filters,
        except: Option<FacetKind>,
    ) -> Box<dyn Query> {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, text_query.box_clone())];
        for kind in FacetKind::ALL {
            let ids = filters.get(kind);
            if ids.is_empty() || Some(kind) == except {
                continue;
            }
            let field = self.fields.facet(kind);
            let alternatives: Vec<(Occur, Box<dyn Query>)> = ids
                .iter()
                .map(|id| (Occur::Should, facet_term(field, id)))
                .collect();
            let any = Box::new(BooleanQuery::new(alternatives));
            clauses.push((Occur::Must, Box::new(ConstScoreQuery::new(any, 0.0))));
        }
        if clauses.len() == 1 {
            return text_query.box_clone();
        }
        Box::new(BooleanQuery::new(clauses))
    }

    /// Snippet generators, most wanted source first (body if stored, then description).
    fn snippet_generators(
        &self,
        searcher: &tantivy::Searcher,
        query: &dyn Query,
    ) -> Result<Vec<SnippetGenerator>, Error> {
        let mut sources = Vec::new();
        if self.body_stored {
            sources.push(self.fields.body);
        }
        sources.push(self.fields.description);
        let mut generators = Vec::with_capacity(sources.len());
        for field in sources {
            let mut generator = SnippetGenerator::create(searcher, query, field)?;
            generator.set_max_num_chars(SNIPPET_CHARS);
            generators.push(generator);
        }
        Ok(generators)
    }

    fn hit(&self, doc: &TantivyDocument, snippets: &[SnippetGenerator]) -> Hit {
        let text = |field: Field| {
            doc.get_first(field)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_string()
        };
        let year = |field: Field| doc.get_first(field).and_then(|v| v.as_i64());
        let description = text(self.fields.description);
        let snippet_html = snippets
            .iter()
            .map(|generator| generator.snippet_from_doc(doc))
            .find(|snippet| !snippet.highlighted().is_empty())
            .map(|mut snippet| {
                snippet.set_snippet_prefix_postfix("<mark>", "</mark>");
                snippet.to_html()
            })
            .unwrap_or_else(|| snippet::escaped_excerpt(&description, SNIPPET_CHARS));
        Hit {
            url: text(self.fields.url),
            title: text(self.fields.title),
            description,
            snippet_html,
            start_year: year(self.fields.start_year),
            end_year: year(self.fields.end_year),
        }
    }
}

fn facet_term(field: Field, id: &str) -> Box<dyn Query> {
    let term = Term::from_facet(field, &Facet::from_path([id]));
    Box::new(TermQuery::new(term, IndexRecordOption::Basic))
}

/// Counts of the facet's top-level values. Only the root is registered: FacetCollector
/// panics when given a facet and one of its descendants.
fn facet_collector(kind: FacetKind) -> FacetCollector {
    let mut collector = FacetCollector::for_field(kind.name());
    collector.add_facet(Facet::root());
    collector
}

fn facet_counts(counts: &FacetCounts) -> Vec<(String, u64)> {
    let mut out: Vec<(String, u64)> = counts
        .get(Facet::root())
        .filter(|(_, count)| *count > 0)
        .map(|(facet, count)| (facet.to_path().join("/"), count))
        .collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    out
}
