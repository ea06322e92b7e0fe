//! Compendium: a Zola-compatible static-site generator for a trilingual knowledge base.
//!
//! The pipeline is `load → validate → render → write → index`, around a pure in-memory
//! model ([`content::Library`]).

pub mod config;
pub mod content;
pub mod diagnostics;
pub mod markdown;
pub mod output;
pub mod render;
pub mod site;
pub mod slugify;
pub mod templates;

pub use site::{BuildOptions, Site, build};
