//! Opening a packed index read-only and querying it.

use std::collections::BTreeMap;
use std::sync::Arc;

use tantivy::collector::{Count, FacetCollector, FacetCounts, MultiCollector, TopDocs};
use tantivy::postings::TermInfo;
use tantivy::query::{BooleanQuery, ConstScoreQuery, Occur, Query, TermQuery};
use tantivy::schema::{Facet, Field, IndexRecordOption, Value};
use tantivy::snippet::SnippetGenerator;
use tantivy::{IndexReader, ReloadPolicy, TantivyDocument, Term};

use crate::analyzer;
use crate::compile::Compiler;
use crate::directory::{ChunkDirectory, ChunkStore};
use crate::error::Error;
use crate::lang::Lang;
use crate::pack::Packed;
use crate::query;
use crate::schema::{self, FacetKind, Fields};
use crate::snippet;

/// Entry point of the read path.
pub enum Index {}

impl Index {
    /// Opens a packed index whose chunks are all at hand (native use and tests).
    pub fn open(packed: &Packed) -> Result<Searcher, Error> {
        Searcher::open(ChunkStore::complete(packed)?)
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
///
/// Its chunks may arrive one by one: every call that needs a chunk not in its
/// [`ChunkStore`] yet fails with [`Error::NeedChunks`] naming all the chunks that the call
/// found missing; add them and call again. A search reads in three steps (dictionary
/// blocks of every word, postings of every term, stored documents of the hits), each
/// gathering everything it misses before giving up, so a first search takes at most three
/// round trips after the head.
pub struct Searcher {
    reader: IndexReader,
    fields: Fields,
    lang: Lang,
    body_stored: bool,
    store: Arc<ChunkStore>,
}

/// Longest snippet, in characters.
const SNIPPET_CHARS: usize = 180;

impl Searcher {
    /// Opens the index whose chunks `store` holds, and reads what every search needs: the
    /// dictionaries' block indexes, field norms and facet columns ([`Error::NeedChunks`] if
    /// some of it is missing).
    pub fn open(store: Arc<ChunkStore>) -> Result<Searcher, Error> {
        let opened = Searcher::open_inner(store.clone());
        missing_or(&store, opened)
    }

    fn open_inner(store: Arc<ChunkStore>) -> Result<Searcher, Error> {
        let index = tantivy::Index::open(ChunkDirectory::new(store.clone()))?;
        analyzer::register(&index);
        let schema = index.schema();
        let fields = Fields::resolve(&schema)?;
        let lang = schema::lang_of(&schema)?;
        let body_stored = schema::body_is_stored(&schema, &fields);
        let reader: IndexReader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .num_warming_threads(0)
            .try_into()?;
        let searcher = Searcher {
            reader,
            fields,
            lang,
            body_stored,
            store,
        };
        searcher.warm()?;
        Ok(searcher)
    }

    /// Reads what every search reads, each part tried even if another is missing.
    fn warm(&self) -> Result<(), Error> {
        let searcher = self.reader.searcher();
        let mut first_error = None;
        let mut note = |result: Result<(), Error>| {
            if let Err(error) = result {
                first_error.get_or_insert(error);
            }
        };
        for segment in searcher.segment_readers() {
            for &(field, _) in &self.fields.text {
                note(segment.inverted_index(field).map(drop).map_err(Error::from));
                note(
                    segment
                        .get_fieldnorms_reader(field)
                        .map(drop)
                        .map_err(Error::from),
                );
            }
            for kind in FacetKind::ALL {
                let field = self.fields.facet(kind);
                note(segment.inverted_index(field).map(drop).map_err(Error::from));
                note(
                    segment
                        .facet_reader(kind.name())
                        .map(drop)
                        .map_err(Error::from),
                );
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// The chunks of the index: how many are loaded, and how many there are.
    pub fn chunk_counts(&self) -> (usize, usize) {
        self.store.counts()
    }

    /// The store this searcher reads from (add chunks to it).
    pub fn store(&self) -> &Arc<ChunkStore> {
        &self.store
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
        let result = self.search_inner(query, filters, limit);
        missing_or(&self.store, result)
    }

    fn search_inner(&self, query: &str, filters: &Filters, limit: usize) -> Result<Results, Error> {
        let searcher = self.reader.searcher();
        let parsed = query::parse(query);
        // 1. Dictionary blocks: every word looked up, whatever is missing.
        let text_query = Compiler::new(&searcher, &self.fields.text, analyzer::analyzer(self.lang))
            .lenient(&self.store)
            .compile(&parsed);
        self.stop_if_missing()?;
        let text_query = text_query?;

        // 2. Postings (and positions for phrases) of every term, whatever is missing.
        let full = self.narrowed(&*text_query, filters, None);
        self.read_postings(&searcher, &*full)?;
        self.stop_if_missing()?;

        // 3. The search itself, then the stored documents of every hit.
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

        let mut docs = Vec::with_capacity(top_docs.len().min(limit));
        for (_score, address) in top_docs.into_iter().take(limit) {
            match searcher.doc::<TantivyDocument>(address) {
                Ok(doc) => docs.push(doc),
                Err(_) if self.store.has_missing() => {}
                Err(error) => return Err(error.into()),
            }
        }
        self.stop_if_missing()?;
        let snippets = self.snippet_generators(&searcher, &*text_query)?;
        let hits = docs.iter().map(|doc| self.hit(doc, &snippets)).collect();
        Ok(Results {
            total,
            hits,
            facets,
        })
    }

    /// [`Error::NeedChunks`] if a read asked for chunks not loaded.
    fn stop_if_missing(&self) -> Result<(), Error> {
        let missing = self.store.take_missing();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(Error::NeedChunks(missing))
        }
    }

    /// Reads the postings of every term of `query`, so that one pass finds all the chunks
    /// they are in (errors caused by missing chunks are left to the store to report).
    fn read_postings(&self, searcher: &tantivy::Searcher, query: &dyn Query) -> Result<(), Error> {
        let mut terms: Vec<(Term, bool)> = Vec::new();
        query.query_terms(&mut |term, positions| terms.push((term.clone(), positions)));
        for segment in searcher.segment_readers() {
            for (term, positions) in &terms {
                let option = if *positions {
                    IndexRecordOption::WithFreqsAndPositions
                } else {
                    IndexRecordOption::WithFreqs
                };
                let index = match segment.inverted_index(term.field()) {
                    Ok(index) => index,
                    Err(_) if self.store.has_missing() => continue,
                    Err(error) => return Err(error.into()),
                };
                let read = index.get_term_info(term).and_then(|info| {
                    let Some(info) = info else { return Ok(()) };
                    if *positions {
                        // Positions on their own first (no postings: doc_freq 0, empty
                        // range), so that a missing postings chunk does not hide them.
                        let positions_only = TermInfo {
                            doc_freq: 0,
                            postings_range: 0..0,
                            positions_range: info.positions_range.clone(),
                        };
                        let probe = index.read_postings_from_terminfo(&positions_only, option);
                        if probe.is_err() && !self.store.has_missing() {
                            probe?;
                        }
                    }
                    index.read_postings_from_terminfo(&info, option).map(drop)
                });
                match read {
                    Ok(()) => {}
                    Err(_) if self.store.has_missing() => {}
                    Err(error) => return Err(error.into()),
                }
            }
        }
        Ok(())
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

/// `result`, unless reads found chunks missing: then [`Error::NeedChunks`] with all of them
/// (an error caused by a missing chunk says nothing else).
fn missing_or<T>(store: &ChunkStore, result: Result<T, Error>) -> Result<T, Error> {
    let missing = store.take_missing();
    match result {
        Err(Error::NeedChunks(mut ids)) => {
            ids.extend(missing);
            ids.sort_unstable();
            ids.dedup();
            Err(Error::NeedChunks(ids))
        }
        _ if !missing.is_empty() => Err(Error::NeedChunks(missing)),
        result => result,
    }
}
