//! What one preview rebuild costs, without the watcher, the server or the search index:
//! builds SITE once as `serve` does, then N times adds a word to FILE (relative to SITE) and
//! rebuilds, printing the wall time (and, on Linux, the CPU time) of each rebuild. For
//! profilers: `valgrind --tool=callgrind` with N = 1 and N = 3 gives, by difference, the
//! instructions of two rebuilds.
//!
//! `cargo run --release --example preview_rebuild -- SITE FILE [N]` (SITE is modified: use a
//! copy).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use compendium::incremental::RenderCache;
use compendium::site::{BuildOptions, build_in_memory_search_later};

mod common;

use common::cpu_time;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(site), Some(file)) = (args.first(), args.get(1)) else {
        bail!("usage: preview_rebuild SITE FILE [N]");
    };
    let runs: usize = match args.get(2) {
        Some(n) => n.parse().context("N must be a whole number")?,
        None => 5,
    };
    let root = PathBuf::from(site)
        .canonicalize()
        .with_context(|| format!("cannot find {site}"))?;
    let rel = PathBuf::from(file);
    let target = root.join(&rel);
    let options = BuildOptions {
        base_url: Some("http://127.0.0.1:1111".into()),
        drafts: false,
        record_calls: true,
    };
    let mut cache = RenderCache::watched();
    let build = |cache: &mut RenderCache| {
        build_in_memory_search_later(&root, &options, cache)
            .map(|(files, _, _)| files.len())
            .map_err(|failed| {
                anyhow::anyhow!("the build failed: {} error(s)", failed.0.error_count())
            })
    };
    let files = build(&mut cache)?;
    println!("built {files} files");
    for i in 0..runs {
        // As the preview: the previous build is freed, and the machine idle, before the edit.
        std::thread::sleep(Duration::from_millis(800));
        let mut text = std::fs::read_to_string(&target)
            .with_context(|| format!("cannot read {}", target.display()))?;
        text.push_str(&format!(" rebuild{i}"));
        std::fs::write(&target, text)
            .with_context(|| format!("cannot write {}", target.display()))?;
        cache.load.saw(rel.clone());
        let (start, cpu) = (Instant::now(), cpu_time());
        build(&mut cache)?;
        let wall = start.elapsed();
        let cpu = match (cpu, cpu_time()) {
            (Some(a), Some(b)) => format!(", CPU {} ms", (b - a).as_millis()),
            _ => String::new(),
        };
        println!(
            "rebuild {}: {} ms{cpu}, {} outputs rendered, {} reused",
            i + 1,
            wall.as_millis(),
            cache.rendered,
            cache.reused
        );
    }
    Ok(())
}
