//! Every site of `../shared/zola-compat/` builds to Zola 0.22.1's output (comparison rule of
//! its README).

use crate::compare::compare_trees;
use crate::repo;

fn check(name: &str) {
    let base = repo().join("../shared/zola-compat").join(name);
    assert!(base.is_dir(), "missing fixture {}", base.display());
    let out = tempfile::tempdir().expect("tempdir");
    let target = out.path().join("public");
    let options = compendium::BuildOptions {
        base_url: Some("https://example.org".into()),
        ..Default::default()
    };
    if let Err(e) = compendium::build(&base.join("site"), &target, &options) {
        let all: Vec<String> = e.0.iter().map(|d| d.to_string()).collect();
        panic!("{name} failed to build:\n{}", all.join("\n"));
    }
    let diffs = compare_trees(&base.join("expected"), &target);
    assert!(
        diffs.is_empty(),
        "{name}: {} difference(s):\n{}",
        diffs.len(),
        diffs.join("\n")
    );
}

#[test]
fn basic_matches_zola() {
    check("basic");
}

#[test]
fn i18n_matches_zola() {
    check("i18n");
}

#[test]
fn functions_matches_zola() {
    check("functions");
}
