//! The native writer: documents → one packed, deterministic index.
//!
//! The index is built in RAM by tantivy's single-segment writer (one thread, documents in
//! the given order, no merge needed: the result is one segment). tantivy names the segment
//! with a random UUID; the packed files are renamed to [`SEGMENT_ID`] and `meta.json` is
//! rewritten accordingly, so the same input always packs to the same bytes. The head
//! inlines the chunks that opening reads: the writer opens the index it just packed and
//! records them.

use std::borrow::Borrow;
use std::path::Path;

use tantivy::directory::RamDirectory;
use tantivy::schema::Facet;
use tantivy::store::Compressor;
use tantivy::tokenizer::TokenizerManager;
use tantivy::{Directory, IndexBuilder, IndexSettings, TantivyDocument};

use crate::directory::ChunkStore;
use crate::doc::SearchDoc;
use crate::error::Error;
use crate::lang::Lang;
use crate::pack::{self, Packed};
use crate::remembering;
use crate::schema::{self, FacetKind, Fields};
use crate::searcher::Searcher;

/// The segment id every packed index uses (32 hex digits, the UUID's "simple" form).
pub const SEGMENT_ID: &str = "c0de0000000000000000000000000001";

/// Memory the single-segment writer may use before it fails (it never flushes).
const MEMORY_BUDGET: usize = 1 << 30;

/// Size of a block of the document store: a hit costs the reader the chunks of one block,
/// so blocks are small (a stored document is a few hundred bytes).
const DOCSTORE_BLOCK: usize = 1024;

/// How an index is written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteOptions {
    /// Store the body text too: snippets can then come from the body, at the price of a
    /// much larger index. Off by default (snippets come from the description).
    pub store_body: bool,
}

/// Builds `lang`'s index from `docs` (a slice, or documents made one by one as the writer
/// takes them) and packs it (see [`crate::pack`]).
pub fn write_index<D: Borrow<SearchDoc>>(
    lang: Lang,
    docs: impl IntoIterator<Item = D>,
) -> Result<Packed, Error> {
    write_index_with(lang, docs, WriteOptions::default())
}

/// [`write_index`] with options.
pub fn write_index_with<D: Borrow<SearchDoc>>(
    lang: Lang,
    docs: impl IntoIterator<Item = D>,
    options: WriteOptions,
) -> Result<Packed, Error> {
    let schema = schema::build(lang, options.store_body);
    let fields = Fields::resolve(&schema)?;
    let tokenizers = TokenizerManager::default();
    tokenizers.register(
        lang.tokenizer_name(),
        remembering::remembering_analyzer(lang),
    );
    let settings = IndexSettings {
        docstore_compression: Compressor::None,
        docstore_compress_dedicated_thread: false,
        docstore_blocksize: DOCSTORE_BLOCK,
        ..IndexSettings::default()
    };
    let directory = RamDirectory::create();
    let mut writer = IndexBuilder::new()
        .schema(schema)
        .settings(settings)
        .tokenizers(tokenizers)
        .single_segment_index_writer(directory.clone(), MEMORY_BUDGET)?;
    for doc in docs {
        let doc = doc.borrow();
        if doc.lang != lang.code() {
            return Err(Error::LangMismatch {
                url: doc.url.clone(),
                doc_lang: doc.lang.clone(),
                index_lang: lang.code().to_string(),
            });
        }
        writer.add_document(to_tantivy(doc, &fields))?;
    }
    let index = writer.finalize()?;
    let metas = index.load_metas()?;
    let [segment] = metas.segments.as_slice() else {
        return Err(Error::Pack(format!(
            "expected one segment, got {}",
            metas.segments.len()
        )));
    };
    let segment_id = segment.id();
    let simple = segment_id.uuid_string();
    let hyphenated = hyphenate(&simple);

    let mut files = Vec::new();
    let mut names: Vec<_> = metas.list_segment_files().into_iter().collect();
    names.sort();
    for path in names {
        if !directory
            .exists(&path)
            .map_err(tantivy::TantivyError::from)?
        {
            continue;
        }
        let data = read(&directory, &path)?;
        let name = path.to_string_lossy().replace(&simple, SEGMENT_ID);
        files.push((name, data));
    }
    let meta = read(&directory, Path::new("meta.json"))?;
    let meta = String::from_utf8(meta).map_err(|_| Error::Pack("meta.json is not UTF-8".into()))?;
    let meta = meta
        .replace(&simple, SEGMENT_ID)
        .replace(&hyphenated, &hyphenate(SEGMENT_ID));
    files.push(("meta.json".to_string(), meta.into_bytes()));
    let (toc, chunks) = pack::split(&files)?;
    let recording = ChunkStore::recording(toc.clone(), &chunks)?;
    Searcher::open(recording.clone())?;
    let head = pack::encode_head(&toc, &chunks, &recording.touched())?;
    Ok(Packed { head, chunks })
}

fn read(directory: &RamDirectory, path: &Path) -> Result<Vec<u8>, Error> {
    Ok(directory
        .atomic_read(path)
        .map_err(tantivy::TantivyError::from)?)
}

/// `0123…` (32 hex digits) → `01234567-89ab-cdef-0123-456789abcdef`.
fn hyphenate(simple: &str) -> String {
    let mut out = String::with_capacity(36);
    for (i, c) in simple.chars().enumerate() {
        if matches!(i, 8 | 12 | 16 | 20) {
            out.push('-');
        }
        out.push(c);
    }
    out
}

fn to_tantivy(doc: &SearchDoc, fields: &Fields) -> TantivyDocument {
    let mut out = TantivyDocument::new();
    out.add_text(fields.url, &doc.url);
    out.add_text(fields.title, &doc.title);
    out.add_text(fields.description, &doc.description);
    out.add_text(fields.body, &doc.body);
    for (field, values) in [
        (fields.theme_labels, &doc.theme_labels),
        (fields.country_names, &doc.country_names),
        (fields.implementers, &doc.implementers),
    ] {
        for value in values {
            out.add_text(field, value);
        }
    }
    for kind in FacetKind::ALL {
        for id in doc.facet_values(kind) {
            out.add_facet(fields.facet(kind), Facet::from_path([id]));
        }
    }
    if let Some(year) = doc.start_year {
        out.add_i64(fields.start_year, year);
    }
    if let Some(year) = doc.end_year {
        out.add_i64(fields.end_year, year);
    }
    out
}
