//! Writes a complete `search/` folder for the test corpus, as the generator will for the
//! site: `manifest.json`, `search.js`, `search.<hash>.wasm` and `<lang>.<hash>.idx`.
//!
//!     cargo run --example bundle -- <out-dir> [--synthetic N]
//!
//! With `--synthetic N`, the French index holds N generated documents instead (an index of
//! many chunks). Used by the Node test of `js/search.js`.

#[path = "../tests/common/mod.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::{fs, io};

use search_index::{Lang, write_index};
use sha2::{Digest, Sha256};

fn hashed(stem: &str, ext: &str, bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    format!("{stem}.{hex}.{ext}")
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .ok_or_else(|| io::Error::other("usage: bundle <out-dir>"))?;
    let synthetic: Option<usize> = match std::env::args().nth(2).as_deref() {
        Some("--synthetic") => Some(
            std::env::args()
                .nth(3)
                .and_then(|n| n.parse().ok())
                .ok_or_else(|| io::Error::other("--synthetic needs a number"))?,
        ),
        Some(other) => return Err(io::Error::other(format!("unknown option {other}")).into()),
        None => None,
    };
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    fs::create_dir_all(&out)?;

    let wasm = fs::read(crate_dir.join("dist/search.wasm"))?;
    let module = hashed("search", "wasm", &wasm);
    fs::write(out.join(&module), &wasm)?;
    fs::copy(crate_dir.join("js/search.js"), out.join("search.js"))?;

    let mut indexes = Vec::new();
    for lang in Lang::ALL {
        let docs = match synthetic {
            Some(n) if lang == Lang::Fr => common::synthetic(n),
            _ => common::docs(lang),
        };
        let packed = write_index(lang, &docs)?;
        let files = packed.published(lang.code());
        for (name, bytes) in &files {
            let path = out.join(name);
            if let Some(dir) = path.parent() {
                fs::create_dir_all(dir)?;
            }
            fs::write(path, bytes)?;
        }
        indexes.push(format!("\"{lang}\":\"{}\"", files[0].0));
    }
    let manifest = format!(
        "{{\"module\":\"{module}\",\"default_lang\":\"fr\",\"indexes\":{{{}}}}}\n",
        indexes.join(",")
    );
    fs::write(out.join("manifest.json"), manifest)?;
    Ok(())
}
