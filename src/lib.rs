//! Compendium: a Zola-compatible static-site generator for a trilingual knowledge base.
//!
//! The pipeline is `load → validate → render → write → index`, around a pure in-memory
//! model ([`content::Library`]).

pub mod config;
pub mod content;
pub mod diagnostics;
pub mod incremental;
pub mod links;
pub mod markdown;
pub mod open_data;
pub mod output;
pub mod practice;
pub mod render;
pub mod report;
pub mod scaffold;
pub mod schema;
pub mod search;
pub mod serve;
pub mod site;
pub mod slugify;
pub mod templates;
pub mod vocabulary;

pub use site::{BuildOptions, MemorySite, Site, build, build_in_memory, check};
