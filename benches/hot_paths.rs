//! Criterion benchmarks of the build's hot paths, on the bundled compendium:
//! front-matter parsing, Markdown rendering, template rendering and search-index writing.
//!
//! `cargo bench --bench hot_paths` (reports under target/criterion/).

use std::hint::black_box;
use std::path::PathBuf;

use compendium::config::Config;
use compendium::content::front_matter;
use compendium::markdown::{self, MarkdownContext};
use compendium::output::{MemorySink, Sink};
use compendium::{BuildOptions, Site};
use criterion::{Criterion, criterion_group, criterion_main};

#[path = "../tests/common/skewed.rs"]
mod skewed;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The practice files of the bundled content, as text.
fn practice_files() -> Vec<String> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(repo().join("content/practices"))
        .expect("content/practices")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension().is_some_and(|e| e == "md")
                && !p
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("_index"))
        })
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| std::fs::read_to_string(p).expect("read"))
        .collect()
}

fn front_matter_parsing(c: &mut Criterion) {
    let files = practice_files();
    c.bench_function(
        &format!("front matter: split + parse {} files", files.len()),
        |b| {
            b.iter(|| {
                for text in &files {
                    if let Ok(split) = front_matter::split(text) {
                        black_box(front_matter::parse(text, &split).is_ok());
                    }
                }
            })
        },
    );
}

fn markdown_rendering(c: &mut Criterion) {
    let files = practice_files();
    let bodies: Vec<&str> = files
        .iter()
        .filter_map(|t| front_matter::split(t).ok().map(|s| s.body))
        .collect();
    let mut diags = Vec::new();
    let config = Config::load(&repo().join("config.toml"), &mut diags).expect("config");
    let permalinks = foldhash::HashMap::default();
    let ctx = MarkdownContext {
        config: &config,
        permalink: "https://example.org/practices/x/",
        relative_path: "practices/x.md",
        permalinks: &permalinks,
        highlighter: None,
        shortcodes: None,
        summary_cutoff: "&hellip;",
        raw_html: Default::default(),
    };
    c.bench_function(&format!("markdown: render {} bodies", bodies.len()), |b| {
        b.iter(|| {
            for body in &bodies {
                black_box(markdown::render(body, &ctx).is_ok());
            }
        })
    });
}

fn template_rendering(c: &mut Criterion) {
    let options = BuildOptions {
        base_url: Some("https://example.org".into()),
        ..Default::default()
    };
    let mut site = Site::load(&repo(), &options).expect("the bundled site loads");
    let mut group = c.benchmark_group("templates");
    group.sample_size(10);
    group.bench_function("render the bundled site (all pages, feeds, search)", |b| {
        b.iter(|| {
            let sink = MemorySink::default();
            black_box(site.render(&sink).map(|()| sink.len()).unwrap_or(0))
        })
    });
    group.finish();
}

fn index_writing(c: &mut Criterion) {
    let options = BuildOptions::default();
    let site = Site::load(&repo(), &options).expect("the bundled site loads");
    let mut group = c.benchmark_group("search");
    group.sample_size(10);
    group.bench_function("write the three indexes of the bundled site", |b| {
        b.iter(|| {
            black_box(
                compendium::search::files(
                    &site.library,
                    &site.config,
                    site.vocabulary.as_deref(),
                    None,
                )
                .map(|f| f.len())
                .unwrap_or(0),
            )
        })
    });
    group.finish();
}

fn load(c: &mut Criterion) {
    let options = BuildOptions::default();
    let mut group = c.benchmark_group("load");
    group.sample_size(10);
    group.bench_function(
        "load and validate the bundled site (parse, Markdown, checks)",
        |b| b.iter(|| black_box(Site::load(&repo(), &options).is_ok())),
    );
    group.finish();
}

/// Load + render of the skewed corpus at growing sizes: the times should grow linearly.
fn skewed_corpus(c: &mut Criterion) {
    let mut group =
        c.benchmark_group("skewed corpus (one theme on every page, one page with 1,000 themes)");
    group.sample_size(10);
    for n in [1000, 2000, 4000] {
        let dir = tempfile::tempdir().expect("tempdir");
        skewed::write(dir.path(), n).expect("corpus");
        group.bench_function(format!("load + render, {n} pages"), |b| {
            b.iter(|| {
                let mut site = Site::load(dir.path(), &BuildOptions::default()).expect("loads");
                let sink = MemorySink::default();
                black_box(site.render(&sink).map(|()| sink.len()).unwrap_or(0))
            })
        });
    }
    group.finish();
}

criterion_group!(
    benches,
    skewed_corpus,
    front_matter_parsing,
    markdown_rendering,
    template_rendering,
    index_writing,
    load
);
criterion_main!(benches);
