//! What building the search index costs, on its own: loads and renders SITE once as `build`
//! does, then builds its search index N times (every language, in parallel, as `build` does)
//! and prints the wall time and, on Linux, the CPU time of each. The index is the half of a
//! full build that does not depend on templates; this isolates it from rendering and
//! writing, whose noise hides changes of a few percent.
//!
//! `cargo run --release --example search_index -- SITE [N]`

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, bail};
use compendium::incremental::RenderCache;
use compendium::output::NullSink;
use compendium::site::{BuildOptions, build_in_memory_search_later};

mod common;

use common::cpu_time;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(site) = args.first() else {
        bail!("usage: search_index SITE [N]");
    };
    let runs: usize = match args.get(1) {
        Some(n) => n.parse().context("N must be a whole number")?,
        None => 5,
    };
    let root = PathBuf::from(site)
        .canonicalize()
        .with_context(|| format!("cannot find {site}"))?;
    let options = BuildOptions {
        base_url: None,
        drafts: false,
        record_calls: false,
    };
    let (_, _, search) = build_in_memory_search_later(&root, &options, &mut RenderCache::new())
        .map_err(|failed| {
            anyhow::anyhow!("the build failed: {} error(s)", failed.0.error_count())
        })?;
    let mut walls = Vec::new();
    for i in 0..runs {
        let (started, cpu) = (Instant::now(), cpu_time());
        search
            .deliver(&NullSink::default(), None)
            .map_err(|d| anyhow::anyhow!("the index failed: {} problem(s)", d.len()))?;
        let wall = started.elapsed();
        walls.push(wall);
        match (cpu, cpu_time()) {
            (Some(a), Some(b)) => println!(
                "index {}: {:.0} ms, CPU {:.0} ms",
                i + 1,
                wall.as_secs_f64() * 1e3,
                (b - a).as_secs_f64() * 1e3
            ),
            _ => println!("index {}: {:.0} ms", i + 1, wall.as_secs_f64() * 1e3),
        }
    }
    walls.sort();
    if let Some(best) = walls.first() {
        println!("fastest: {:.0} ms", best.as_secs_f64() * 1e3);
    }
    Ok(())
}
