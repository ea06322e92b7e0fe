//! The `compendium` command: thin CLI over the library (anyhow only here).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use compendium::diagnostics::{Diagnostic, Position};
use compendium::report::{self, Format};
use compendium::{BuildOptions, build};

// Rendering allocates many small JSON values; mimalloc handles that much faster than glibc.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay`: its place in mimalloc 3's `mi_option_e` (`include/mimalloc.h`),
/// which `libmimalloc-sys` does not name.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
/// Its default in the mimalloc that `libmimalloc-sys` 0.1.49 compiles (`src/options.c`).
const DEFAULT_PURGE_DELAY: std::os::raw::c_long = 1000;

/// A build frees and allocates again a lot of memory (each page's JSON and HTML); by default
/// mimalloc gives freed memory back to the system, and the kernel must then zero it again when
/// it is reused: 22,000 page faults and 6% of a 3 × 10,000 build's CPU in `clear_page`. A build
/// ends within seconds, so it keeps what it freed. Not for `serve`, which lives on.
fn keep_freed_memory() {
    // SAFETY: plain calls into the allocator's option table, made before any other thread
    // exists (`mi_option_set` is not thread-safe). The option is set only if it holds this
    // mimalloc's default, so that a newer mimalloc with another order of options is left alone.
    unsafe {
        if libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) == DEFAULT_PURGE_DELAY {
            libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1);
        }
    }
}

#[derive(Parser)]
#[command(
    name = "compendium",
    version,
    about = "Builds the compendium of good practices (a Zola-compatible static site)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Builds the site into the output folder.
    Build {
        /// The site's folder (holding config.toml).
        #[arg(long, default_value = ".")]
        root: PathBuf,
        /// Where to write the site (default: <root>/public).
        #[arg(long)]
        output_dir: Option<PathBuf>,
        /// Replaces the config's base_url.
        #[arg(long)]
        base_url: Option<String>,
        /// Includes pages marked `draft = true`.
        #[arg(long)]
        drafts: bool,
    },
    /// Builds the site into memory and serves it; pages reload themselves after each change.
    Serve {
        #[arg(long, default_value = ".")]
        root: PathBuf,
        /// The address to listen on (loopback by default; anything else is reachable by others).
        #[arg(long, default_value = "127.0.0.1")]
        interface: String,
        /// The port (0 picks a free one).
        #[arg(long, default_value_t = 1111)]
        port: u16,
        /// Opens the site in a browser.
        #[arg(long)]
        open: bool,
        #[arg(long)]
        drafts: bool,
    },
    /// Loads and validates everything without writing a site; reports every problem.
    Check {
        #[arg(long, default_value = ".")]
        root: PathBuf,
        /// human (with the offending line), github (pull-request annotations) or json.
        #[arg(long, default_value = "human")]
        format: Format,
        /// Warnings fail the check too.
        #[arg(long)]
        strict: bool,
        /// Also lists, per practice and language, whether the translation exists and is current.
        #[arg(long)]
        translations: bool,
        /// Also fetches external links (sources and links in the text) and reports dead ones.
        #[arg(long)]
        external: bool,
        /// Seconds to wait for each external link.
        #[arg(long, default_value_t = 10)]
        timeout: u64,
    },
    /// Writes a new content file from a template.
    New {
        #[command(subcommand)]
        what: NewWhat,
    },
    /// Prints the JSON Schema of a practice's front matter (vocabulary values as enums).
    Schema {
        #[arg(long, default_value = ".")]
        root: PathBuf,
    },
}

#[derive(Subcommand)]
enum NewWhat {
    /// A practice skeleton in content/practices/, with every field and heading.
    Practice {
        /// The file name, lowercase words joined by `-`.
        slug: String,
        #[arg(long, default_value = ".")]
        root: PathBuf,
        /// The language the practice is written in.
        #[arg(long)]
        lang: Option<String>,
        /// Session ids (repeatable), e.g. --session 1.1
        #[arg(long)]
        session: Vec<String>,
        /// Theme ids (repeatable), e.g. --theme remittances
        #[arg(long)]
        theme: Vec<String>,
    },
}

/// Human diagnostics go to stderr, machine formats to stdout; a closed pipe ends the output
/// quietly.
fn print_diagnostics(diags: &[Diagnostic], root: &Path, format: Format) {
    use std::io::Write;
    let color = format == Format::Human
        && std::io::stderr().is_terminal()
        && std::env::var_os("NO_COLOR").is_none();
    let mut out: Box<dyn Write> = match format {
        Format::Human => Box::new(std::io::stderr().lock()),
        _ => Box::new(std::io::stdout().lock()),
    };
    for d in diags {
        if writeln!(out, "{}", report::render(d, root, format, color)).is_err() {
            return;
        }
    }
}

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> anyhow::Result<ExitCode> {
    match Cli::parse().command {
        Command::Build {
            root,
            output_dir,
            base_url,
            drafts,
        } => {
            keep_freed_memory();
            let output = output_dir.unwrap_or_else(|| root.join("public"));
            let options = BuildOptions {
                base_url,
                drafts,
                ..Default::default()
            };
            match build(&root, &output, &options) {
                Ok((summary, warnings, elapsed)) => {
                    print_diagnostics(&warnings, &root, Format::Human);
                    let langs = summary
                        .pages_per_language
                        .iter()
                        .map(|(l, n)| format!("{n} {l}"))
                        .collect::<Vec<_>>()
                        .join(", ");
                    println!(
                        "Built {} files: pages {langs}; {} sections; {} taxonomy terms; {} warning(s); in {} ms",
                        summary.files,
                        summary.sections,
                        summary.terms,
                        warnings.len(),
                        elapsed.as_millis()
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Err(failed) => {
                    let (errors, warnings) = (failed.0.error_count(), failed.0.warning_count());
                    print_diagnostics(&failed.0.into_vec(), &root, Format::Human);
                    eprintln!(
                        "Build failed: {errors} error(s), {warnings} warning(s); nothing was written."
                    );
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        Command::Serve {
            root,
            interface,
            port,
            open,
            drafts,
        } => {
            let loopback = interface
                .parse::<std::net::IpAddr>()
                .map(|ip| ip.is_loopback())
                .unwrap_or(interface == "localhost");
            if !loopback {
                eprintln!(
                    "warning: serving on {interface}: other machines on the network can read this preview."
                );
            }
            let preview = compendium::serve::start(compendium::serve::ServeOptions {
                root,
                interface,
                port,
                drafts,
            })?;
            let url = format!("http://{}/", preview.address);
            println!("Serving {url} (Ctrl-C to stop)");
            use std::io::Write;
            let _ = std::io::stdout().flush();
            if open {
                let _ = std::process::Command::new(if cfg!(target_os = "macos") {
                    "open"
                } else {
                    "xdg-open"
                })
                .arg(&url)
                .spawn();
            }
            preview.run();
            Ok(ExitCode::SUCCESS)
        }
        Command::Check {
            root,
            format,
            strict,
            translations,
            external,
            timeout,
        } => check(
            &root,
            format,
            strict,
            translations,
            external,
            Duration::from_secs(timeout),
        ),
        Command::New {
            what:
                NewWhat::Practice {
                    slug,
                    root,
                    lang,
                    session,
                    theme,
                },
        } => {
            let mut diags = Vec::new();
            let config = compendium::config::Config::load(&root.join("config.toml"), &mut diags)
                .ok_or_else(|| {
                    anyhow::anyhow!(
                        "cannot read {}/config.toml: {}",
                        root.display(),
                        diags
                            .iter()
                            .map(|d| d.to_string())
                            .collect::<Vec<_>>()
                            .join("; ")
                    )
                })?;
            let vocab = compendium::vocabulary::Vocabulary::load(&root).map_err(|d| {
                anyhow::anyhow!(
                    d.iter()
                        .map(|d| d.to_string())
                        .collect::<Vec<_>>()
                        .join("\n")
                )
            })?;
            let lang = lang.unwrap_or_else(|| config.default_language.clone());
            if !config.languages.contains_key(&lang) {
                anyhow::bail!(
                    "unknown language `{lang}`: the site has {}",
                    config.language_codes().join(", ")
                );
            }
            let today = chrono::Local::now().format("%Y-%m-%d").to_string();
            let n = compendium::scaffold::NewPractice {
                slug: &slug,
                lang: &lang,
                default_language: &config.default_language,
                sessions: &session,
                themes: &theme,
                today: &today,
            };
            let path = compendium::scaffold::write(&root, &n, vocab.as_ref())?;
            println!(
                "Wrote {}: replace every TODO, then run `compendium check`.",
                path.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Schema { root } => {
            let vocab = compendium::vocabulary::Vocabulary::load(&root)
                .map_err(|d| {
                    anyhow::anyhow!(
                        d.iter()
                            .map(|d| d.to_string())
                            .collect::<Vec<_>>()
                            .join("\n")
                    )
                })?
                .ok_or_else(|| {
                    anyhow::anyhow!(
                        "no {} in {}",
                        compendium::vocabulary::VOCABULARY_FILE,
                        root.display()
                    )
                })?;
            let mut diags = Vec::new();
            let config = compendium::config::Config::load(&root.join("config.toml"), &mut diags);
            let langs: Vec<String> = config
                .map(|c| c.language_codes().into_iter().map(str::to_string).collect())
                .unwrap_or_default();
            let refs: Vec<&str> = langs.iter().map(String::as_str).collect();
            println!(
                "{}",
                serde_json::to_string_pretty(&compendium::schema::practice_schema(&vocab, &refs))?
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn check(
    root: &Path,
    format: Format,
    strict: bool,
    translations: bool,
    external: bool,
    timeout: Duration,
) -> anyhow::Result<ExitCode> {
    let (site, mut diags) = match compendium::check(root, &BuildOptions::default()) {
        Ok((site, warnings)) => (Some(site), warnings),
        Err(failed) => (None, failed.0.into_vec()),
    };
    if let (Some(site), true) = (&site, external) {
        diags.extend(external_links(site, timeout));
    }
    diags.sort_by(|a, b| (&a.path, a.line, a.col).cmp(&(&b.path, b.line, b.col)));
    print_diagnostics(&diags, root, format);
    match (&site, translations) {
        (Some(site), true) => print_translations(site, format)?,
        (None, true) => {
            eprintln!("The translation status needs a site without errors: fix them first.")
        }
        _ => {}
    }
    let errors = diags.iter().filter(|d| d.is_error()).count();
    let warnings = diags.len() - errors;
    if format == Format::Human {
        eprintln!("{errors} error(s), {warnings} warning(s)");
    }
    Ok(if errors > 0 || (strict && warnings > 0) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn external_links(site: &compendium::Site, timeout: Duration) -> Vec<Diagnostic> {
    let mut by_url: Vec<(String, PathBuf, Option<Position>)> = Vec::new();
    let mut add = |url: &str, path: &Path, source: &str| {
        let pos = source.find(url).map(|o| Position::of_offset(source, o));
        by_url.push((url.to_string(), path.to_path_buf(), pos));
    };
    for p in &site.library.pages {
        for u in &p.markdown.external_links {
            add(u, &p.file.path, &p.source);
        }
        if let Some(sources) = p.meta.extra.get("sources").and_then(|s| s.as_array()) {
            for s in sources {
                if let Some(u) = s.get("url").and_then(|u| u.as_str()) {
                    add(u, &p.file.path, &p.source);
                }
            }
        }
    }
    for s in &site.library.sections {
        for u in &s.external_links {
            add(u, &s.file.path, &s.source);
        }
    }
    let urls: Vec<String> = by_url.iter().map(|(u, _, _)| u.clone()).collect();
    let dead = compendium::links::check_urls(&urls, &site.root, timeout, 8);
    by_url
        .into_iter()
        .filter_map(|(u, path, pos)| {
            dead.get(&u)
                .map(|why| Diagnostic::error(path, format!("dead link `{u}`: {why}")).at(pos))
        })
        .collect()
}

fn print_translations(site: &compendium::Site, format: Format) -> anyhow::Result<()> {
    let rows = compendium::practice::translation_status(&site.library, &site.config);
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if format == Format::Json {
        for r in &rows {
            if writeln!(out, "{}", serde_json::to_string(r)?).is_err() {
                break;
            }
        }
        return Ok(());
    }
    let langs = site.config.language_codes();
    let _ = writeln!(
        out,
        "{:<50} {:<17} {}",
        "practice",
        "original hash",
        langs.iter().map(|l| format!("{l:<10}")).collect::<String>()
    );
    for r in &rows {
        let cells: String = langs
            .iter()
            .map(|l| {
                let s = r.languages.get(*l).map(|(s, _)| s);
                let word = match s {
                    Some(compendium::practice::Status::Original) => "original",
                    Some(compendium::practice::Status::UpToDate) => "ok",
                    Some(compendium::practice::Status::Outdated) => "OUTDATED",
                    _ => "MISSING",
                };
                format!("{word:<10}")
            })
            .collect();
        if writeln!(out, "{:<50} {:<17} {cells}", r.slug, r.original_hash).is_err() {
            break;
        }
    }
    Ok(())
}
