//! Plural and accent variants analyze to the same terms, in each language.

mod common;

use search_index::Lang;
use search_index::analyzer::{analyzer, tokens};

fn terms(lang: Lang, text: &str) -> Vec<String> {
    tokens(&mut analyzer(lang), text)
        .into_iter()
        .map(|t| t.text)
        .collect()
}

fn same(lang: Lang, a: &str, b: &str) {
    let (ta, tb) = (terms(lang, a), terms(lang, b));
    assert!(!ta.is_empty(), "{a:?} has no term");
    assert_eq!(ta, tb, "{lang}: {a:?} and {b:?} should analyze alike");
}

#[test]
fn french_plurals_and_accents() {
    same(Lang::Fr, "transferts", "transfert");
    same(Lang::Fr, "réintégration", "reintegration");
    same(Lang::Fr, "Réintégration", "RÉINTÉGRATION");
    same(Lang::Fr, "migrants", "migrant");
}

#[test]
fn english_plurals() {
    same(Lang::En, "recruitment fees", "recruitment fee");
    same(Lang::En, "remittances", "remittance");
}

#[test]
fn spanish_plurals_and_accents() {
    same(Lang::Es, "remesas", "remesa");
    same(Lang::Es, "reintegración", "reintegracion");
    same(Lang::Es, "migración", "Migracion");
}

#[test]
fn own_short_stop_word_lists() {
    assert_eq!(
        terms(Lang::Fr, "le coût des transferts de fonds"),
        terms(Lang::Fr, "coût transferts fonds")
    );
    assert_eq!(
        terms(Lang::En, "the cost of the remittances"),
        terms(Lang::En, "cost remittances")
    );
    assert_eq!(
        terms(Lang::Es, "las remesas de la familia"),
        terms(Lang::Es, "remesas familia")
    );
    // "à" is folded before the stop-word filter.
    assert!(terms(Lang::Fr, "à").is_empty());
}

#[test]
fn accent_variants_find_each_other_in_an_index() {
    let fr = common::open(Lang::Fr);
    assert_eq!(
        common::urls(&fr, "reintegration ")[0],
        "/fr/pratiques/reintegration/"
    );
    assert_eq!(
        common::urls(&fr, "transfert ")[0],
        "/fr/pratiques/transferts-de-fonds/"
    );
    let en = common::open(Lang::En);
    assert_eq!(
        common::urls(&en, "recruitment fees ")[0],
        "/en/practices/ethical-recruitment/"
    );
    let es = common::open(Lang::Es);
    let remesa = common::urls(&es, "remesa ");
    assert!(
        remesa.contains(&"/es/practicas/remesas/".to_string()),
        "{remesa:?}"
    );
    assert!(
        remesa.contains(&"/es/practicas/reintegracion/".to_string()),
        "{remesa:?}"
    );
}
