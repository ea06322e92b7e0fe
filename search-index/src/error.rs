//! Errors of this crate.

/// Everything that can go wrong while writing, opening or querying an index.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An error reported by tantivy.
    #[error("tantivy: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    /// A language code other than `fr`, `en`, `es`.
    #[error("unknown language `{0}`")]
    UnknownLang(String),
    /// A facet name that is not in the schema.
    #[error("unknown facet `{0}`")]
    UnknownFacet(String),
    /// A document given to the writer of another language's index.
    #[error("document {url} is in `{doc_lang}`, not in the index's language `{index_lang}`")]
    LangMismatch {
        /// URL of the document.
        url: String,
        /// Language of the document.
        doc_lang: String,
        /// Language of the index being written.
        index_lang: String,
    },
    /// The index's schema lacks a field or uses an unknown analyzer.
    #[error("schema: {0}")]
    Schema(String),
    /// A packed index that cannot be read.
    #[error("packed index: {0}")]
    Pack(String),
    /// The chunks (ids, ascending) that must be added to the index's
    /// [`ChunkStore`](crate::directory::ChunkStore) before the call can be answered.
    #[error("index chunks needed: {0:?}")]
    NeedChunks(Vec<u32>),
    /// A malformed search request (wire format).
    #[error("request: {0}")]
    Request(String),
    /// An I/O error of the in-memory directory.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
}
