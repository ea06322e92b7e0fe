//! Compendium's client-side search index: the one place that defines it.
//!
//! - [`schema`]: fields, facets and their options; [`analyzer`]: per-language analysis
//!   (tokenizer, lowercase, ASCII folding, short stop-word lists, Snowball stemmer);
//! - [`SearchDoc`]: what the generator indexes; `write_index` (feature `writer`, native
//!   only): documents → one packed, byte-for-byte reproducible index ([`pack`]): a small
//!   head and chunks the browser fetches only when a search reads them;
//! - [`ChunkStore`] → [`Searcher::open`] → [`Searcher::search`]: the read path, compiled
//!   natively and to `wasm32-unknown-unknown` (see `wasm/`), asking for missing chunks with
//!   [`Error::NeedChunks`]; [`query`] documents the query syntax;
//! - [`wire`]: the compact request/response encodings of the WebAssembly module.

pub mod analyzer;
mod compile;
pub mod directory;
mod doc;
mod error;
mod lang;
pub mod pack;
pub mod query;
#[cfg(feature = "writer")]
mod remembering;
pub mod schema;
mod searcher;
mod snippet;
pub mod wire;
#[cfg(feature = "writer")]
mod writer;

pub use directory::ChunkStore;
pub use doc::SearchDoc;
pub use error::Error;
pub use lang::Lang;
pub use pack::Packed;
pub use schema::FacetKind;
pub use searcher::{Filters, Hit, Index, Results, Searcher};
pub use snippet::escape_html;
pub use tantivy::directory::OwnedBytes;
#[cfg(feature = "writer")]
pub use writer::{SEGMENT_ID, WriteOptions, write_index, write_index_with};
