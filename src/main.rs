//! The `compendium` command: thin CLI over the library (anyhow only here).

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use compendium::diagnostics::{Diagnostic, Severity};
use compendium::{BuildOptions, build};

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
        /// Where to write the site (default: the config's output_dir, `public`).
        #[arg(long)]
        output_dir: Option<PathBuf>,
        /// Replaces the config's base_url.
        #[arg(long)]
        base_url: Option<String>,
        /// Includes pages marked `draft = true`.
        #[arg(long)]
        drafts: bool,
    },
}

fn print_diagnostics<'a>(diags: impl IntoIterator<Item = &'a Diagnostic>, root: &std::path::Path) {
    let color = std::io::stderr().is_terminal();
    for d in diags {
        let mut d = d.clone();
        d.path = compendium::diagnostics::display_path(root, &d.path);
        let text = d.to_string();
        if color {
            let code = if d.severity == Severity::Error {
                "31"
            } else {
                "33"
            };
            eprintln!("\x1b[{code}m{text}\x1b[0m");
        } else {
            eprintln!("{text}");
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
    let cli = Cli::parse();
    match cli.command {
        Command::Build {
            root,
            output_dir,
            base_url,
            drafts,
        } => {
            let output = match output_dir {
                Some(o) => o,
                None => root.join("public"),
            };
            let options = BuildOptions { base_url, drafts };
            match build(&root, &output, &options) {
                Ok((summary, warnings, elapsed)) => {
                    print_diagnostics(&warnings, &root);
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
                    print_diagnostics(failed.0.iter(), &root);
                    eprintln!(
                        "Build failed: {} error(s), {} warning(s); nothing was written.",
                        failed.0.error_count(),
                        failed.0.warning_count()
                    );
                    Ok(ExitCode::FAILURE)
                }
            }
        }
    }
}
