//! What a changed file means for the preview: a pure classification, unit-tested, so that the
//! watcher never rebuilds for an editor's swap file and never misses a save through a rename.

use std::path::{Component, Path};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ChangeKind {
    /// A stylesheet under `static/`: swapped in the browser without a reload.
    Stylesheet,
    /// Another static file.
    Static,
    Content,
    Template,
    Data,
    Config,
}

/// Editors' temporary, swap and backup files.
pub fn is_temporary(name: &str) -> bool {
    name.ends_with('~')
        || name.ends_with(".swp")
        || name.ends_with(".swx")
        || name.ends_with(".swo")
        || name.ends_with(".tmp")
        || name.ends_with(".bak")
        || name.ends_with(".kate-swp")
        || (name.starts_with('#') && name.ends_with('#'))
        || name.starts_with(".#")
        || name == "4913" // vim's write test
        || name.starts_with('.')
}

/// The kind of change `path` (anywhere) is for the site at `root`; `None` when it does not
/// matter (output folders, VCS, temporary files, files outside the site's inputs).
pub fn classify(root: &Path, path: &Path) -> Option<ChangeKind> {
    let rel = path.strip_prefix(root).ok()?;
    let parts: Vec<String> = rel
        .components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect();
    let name = parts.last()?;
    if is_temporary(name) || parts.iter().any(|p| p.starts_with('.')) {
        return None;
    }
    let first = parts.first().map(String::as_str)?;
    let is_css = name.ends_with(".css");
    match (first, parts.len()) {
        ("config.toml", 1) => Some(ChangeKind::Config),
        ("content", _) => Some(ChangeKind::Content),
        ("templates", _) => Some(ChangeKind::Template),
        ("data", _) => Some(ChangeKind::Data),
        ("static", _) if is_css => Some(ChangeKind::Stylesheet),
        ("static", _) => Some(ChangeKind::Static),
        ("themes", n) if n >= 3 => match parts[2].as_str() {
            "templates" => Some(ChangeKind::Template),
            "static" if is_css => Some(ChangeKind::Stylesheet),
            "static" => Some(ChangeKind::Static),
            _ => Some(ChangeKind::Template),
        },
        // Data files loaded by templates may sit at the root.
        (_, 1) if name.ends_with(".toml") || name.ends_with(".json") || name.ends_with(".csv") => {
            Some(ChangeKind::Data)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(p: &str) -> Option<ChangeKind> {
        classify(Path::new("/site"), &Path::new("/site").join(p))
    }

    #[test]
    fn classifies_inputs() {
        assert_eq!(kind("content/practices/a.md"), Some(ChangeKind::Content));
        assert_eq!(kind("content/blog/walk/map.svg"), Some(ChangeKind::Content));
        assert_eq!(kind("templates/page.html"), Some(ChangeKind::Template));
        assert_eq!(
            kind("themes/default/templates/base.html"),
            Some(ChangeKind::Template)
        );
        assert_eq!(
            kind("themes/default/static/style.css"),
            Some(ChangeKind::Stylesheet)
        );
        assert_eq!(kind("static/logo.svg"), Some(ChangeKind::Static));
        assert_eq!(kind("config.toml"), Some(ChangeKind::Config));
        assert_eq!(kind("data/vocabulary.toml"), Some(ChangeKind::Data));
    }

    #[test]
    fn ignores_editor_files_and_outputs() {
        for p in [
            "content/.a.md.swp",
            "content/a.md~",
            "content/#a.md#",
            "content/.#a.md",
            "content/a.md.tmp",
            "content/4913",
            "public/index.html",
            "target/debug/x",
            ".git/index",
            "content/.hidden/a.md",
            "README.md",
        ] {
            assert_eq!(kind(p), None, "{p}");
        }
        assert_eq!(
            classify(Path::new("/site"), Path::new("/elsewhere/a.md")),
            None
        );
    }
}
