//! Fails when the sources of the WebAssembly module changed but `dist/` was not rebuilt
//! with `./build-wasm.sh`. The hash is the one `build-wasm.sh --hash` prints:
//! `sha256sum` of the sorted files, hashed again.

use std::fs;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// The inputs of the module, relative to the crate (same list as in `build-wasm.sh`).
const SOURCES: &[&str] = &[
    "Cargo.toml",
    "build-wasm.sh",
    "src",
    "wasm/Cargo.toml",
    "wasm/Cargo.lock",
    "wasm/src",
];

fn files(root: &Path, relative: &Path, out: &mut Vec<PathBuf>) {
    let path = root.join(relative);
    if path.is_dir() {
        let mut entries: Vec<_> = fs::read_dir(&path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            .filter_map(Result::ok)
            .collect();
        entries.sort_by_key(|entry| entry.file_name());
        for entry in entries {
            files(root, &relative.join(entry.file_name()), out);
        }
    } else if path.is_file() {
        out.push(relative.to_path_buf());
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Recomputes the hash of the module's sources.
fn source_hash(root: &Path) -> String {
    let mut paths = Vec::new();
    for source in SOURCES {
        files(root, Path::new(source), &mut paths);
    }
    let mut names: Vec<String> = paths
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut listing = String::new();
    for name in names {
        let bytes = fs::read(root.join(&name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        listing.push_str(&format!("{}  {name}\n", hex(&Sha256::digest(&bytes))));
    }
    hex(&Sha256::digest(listing.as_bytes()))
}

#[test]
fn dist_is_built_from_the_current_sources() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let recorded = fs::read_to_string(root.join("dist/SOURCE_HASH"))
        .expect("dist/SOURCE_HASH is missing: run search-index/build-wasm.sh");
    assert!(
        root.join("dist/search.wasm").is_file(),
        "dist/search.wasm is missing"
    );
    assert_eq!(
        recorded.trim(),
        source_hash(root),
        "the module's sources changed since dist/ was built: run search-index/build-wasm.sh"
    );
}
