//! Where a content file sits: its path relative to `content/`, its folders, its language.

use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileInfo {
    /// The full path of the `.md` file.
    pub path: PathBuf,
    /// `blog/first-light.md`: from `content/`, with `/` separators, language included.
    pub relative: String,
    /// The file stem without language (`first-light`, `index`, `_index`).
    pub name: String,
    /// Folder names from `content/` to the file (for `x/index.md` pages, without `x`).
    pub components: Vec<String>,
    /// For `x/index.md` pages: `x/`, the folder holding the page and its assets.
    pub colocated_path: Option<String>,
    /// The folder of the section this file belongs to, relative to `content/` (`blog`, or
    /// `` for the root); for a section, its own folder.
    pub parent: String,
    /// Identifies a piece of content across languages: folder + name without language.
    pub canonical: String,
}

impl FileInfo {
    /// Builds the info of `path` (inside `content_dir`) and finds its language among
    /// `languages` (`name.<lang>.md`); `Err` names a language code that is not configured.
    pub fn new(
        path: &Path,
        content_dir: &Path,
        default_language: &str,
        languages: &[&str],
    ) -> Result<(FileInfo, String), String> {
        let rel = path.strip_prefix(content_dir).unwrap_or(path);
        let mut components: Vec<String> = rel
            .parent()
            .map(|p| {
                p.components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        let stem = rel
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let relative = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/");

        let (name, lang) = match stem.split_once('.') {
            Some((name, code)) if languages.len() > 1 => {
                if code == default_language {
                    (name.to_string(), default_language.to_string())
                } else if languages.contains(&code) {
                    (name.to_string(), code.to_string())
                } else {
                    return Err(code.to_string());
                }
            }
            _ => (stem.clone(), default_language.to_string()),
        };

        let mut colocated_path = None;
        let is_section = name == "_index";
        let own_folder = components.join("/");
        if !is_section && name == "index" && !components.is_empty() {
            colocated_path = Some(format!("{own_folder}/"));
            components.pop();
        }
        let parent = components.join("/");
        let canonical = if own_folder.is_empty() {
            name.clone()
        } else {
            format!("{own_folder}/{name}")
        };
        Ok((
            FileInfo {
                path: path.to_path_buf(),
                relative,
                name,
                components,
                colocated_path,
                parent,
                canonical,
            },
            lang,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_in_own_folder() {
        let (f, lang) = FileInfo::new(
            Path::new("/s/content/recettes/tortilla/index.es.md"),
            Path::new("/s/content"),
            "fr",
            &["fr", "en", "es"],
        )
        .expect("info");
        assert_eq!(lang, "es");
        assert_eq!(f.relative, "recettes/tortilla/index.es.md");
        assert_eq!(f.components, vec!["recettes"]);
        assert_eq!(f.colocated_path.as_deref(), Some("recettes/tortilla/"));
        assert_eq!(f.canonical, "recettes/tortilla/index");
        assert_eq!(f.parent, "recettes");
    }

    #[test]
    fn unknown_language_is_an_error() {
        let r = FileInfo::new(
            Path::new("/s/content/a.it.md"),
            Path::new("/s/content"),
            "fr",
            &["fr", "en"],
        );
        assert_eq!(r.err().as_deref(), Some("it"));
    }
}
