//! The content model: files, front matter, pages, sections, taxonomies and the library.

pub mod dates;
pub mod fields;
pub mod file_info;
pub mod front_matter;
pub mod library;
pub mod page;
pub mod related;
pub mod section;
pub mod taxonomy;
pub mod walk;

pub use library::{Item, Library};
pub use page::Page;
pub use section::Section;
