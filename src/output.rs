//! Where a build goes: files on disk (written into a temporary folder beside the target, then
//! swapped in) or kept in memory (for `serve`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

/// One file of the built site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    /// Path inside the site, with `/` separators and no leading slash (`blog/index.html`).
    pub path: String,
    pub content: Content,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    Bytes(Vec<u8>),
    /// A file copied as it is (static files, colocated assets).
    Copy(PathBuf),
}

impl OutputFile {
    pub fn text(path: impl Into<String>, text: String) -> Self {
        OutputFile {
            path: path.into(),
            content: Content::Bytes(text.into_bytes()),
        }
    }

    pub fn bytes(&self) -> std::io::Result<std::borrow::Cow<'_, [u8]>> {
        match &self.content {
            Content::Bytes(b) => Ok(std::borrow::Cow::Borrowed(b)),
            Content::Copy(p) => std::fs::read(p).map(std::borrow::Cow::Owned),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("refusing to write `{0}`: the path leaves the output folder")]
    Escapes(String),
}

/// Is this output path safe to join to the output folder?
pub fn is_safe_path(p: &str) -> bool {
    !p.is_empty()
        && !p.starts_with('/')
        && !p.contains('\\')
        && !p.contains('\0')
        && p.split('/')
            .all(|seg| !seg.is_empty() && seg != "." && seg != "..")
}

/// Writes `files` as the site in `target`: first into a fresh folder beside it, then swapped
/// in, so that a failure leaves the previous site as it was.
pub fn write_to_disk(files: &[OutputFile], target: &Path) -> Result<(), OutputError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| OutputError::Io { path, source }
    };
    for f in files {
        if !is_safe_path(&f.path) {
            return Err(OutputError::Escapes(f.path.clone()));
        }
    }
    let parent = target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(io(parent))?;
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "public".into());
    let staging = parent.join(format!(".{name}.tmp-{}", std::process::id()));
    if staging.exists() {
        std::fs::remove_dir_all(&staging).map_err(io(&staging))?;
    }
    let result = (|| {
        std::fs::create_dir_all(&staging).map_err(io(&staging))?;
        // Folders first (each once), then the files, in parallel: tens of thousands of
        // small writes are mostly system-call time.
        let dirs: std::collections::BTreeSet<&str> = files
            .iter()
            .filter_map(|f| f.path.rsplit_once('/').map(|(dir, _)| dir))
            .collect();
        for dir in dirs {
            let dir = staging.join(dir);
            std::fs::create_dir_all(&dir).map_err(io(&dir))?;
        }
        files.par_iter().try_for_each(|f| {
            let dest = staging.join(&f.path);
            match &f.content {
                Content::Bytes(b) => std::fs::write(&dest, b).map_err(io(&dest)),
                Content::Copy(src) => std::fs::copy(src, &dest).map(drop).map_err(io(src)),
            }
        })?;
        let old = parent.join(format!(".{name}.old-{}", std::process::id()));
        if target.exists() {
            std::fs::rename(target, &old).map_err(io(target))?;
        }
        if let Err(e) = std::fs::rename(&staging, target) {
            // Put the previous site back.
            if old.exists() {
                let _ = std::fs::rename(&old, target);
            }
            return Err(OutputError::Io {
                path: target.to_path_buf(),
                source: e,
            });
        }
        if old.exists() {
            std::fs::remove_dir_all(&old).map_err(io(&old))?;
        }
        Ok(())
    })();
    if result.is_err() && staging.exists() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    result
}

/// The site in memory: path → bytes.
pub fn to_memory(files: Vec<OutputFile>) -> std::io::Result<BTreeMap<String, Vec<u8>>> {
    files
        .into_iter()
        .map(|f| match f.content {
            Content::Bytes(b) => Ok((f.path, b)),
            Content::Copy(p) => Ok((f.path, std::fs::read(p)?)),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsafe_paths_are_refused() {
        assert!(is_safe_path("a/index.html"));
        assert!(!is_safe_path("../x"));
        assert!(!is_safe_path("/etc/passwd"));
        assert!(!is_safe_path("a//b"));
        assert!(!is_safe_path("a/./b"));
    }
}
