//! Query syntax, facets and snippets against the small corpus.

mod common;

use search_index::{FacetKind, Filters, Index, Lang, WriteOptions, write_index_with};

fn count(results: &search_index::Results, kind: FacetKind, id: &str) -> u64 {
    results.facets[&kind]
        .iter()
        .find(|(value, _)| value == id)
        .map_or(0, |(_, count)| *count)
}

#[test]
fn phrase_matches_words_in_order_only() {
    let en = common::open(Lang::En);
    assert_eq!(
        common::urls(&en, "\"recruitment fee\""),
        ["/en/practices/ethical-recruitment/"]
    );
    assert!(common::urls(&en, "\"fee recruitment\"").is_empty());
    let fr = common::open(Lang::Fr);
    // Stop words inside a phrase keep their place.
    assert_eq!(
        common::urls(&fr, "\"frais de recrutement\""),
        ["/fr/pratiques/recrutement-ethique/"]
    );
}

#[test]
fn words_are_all_required_and_exclusions_apply() {
    let fr = common::open(Lang::Fr);
    let both = common::urls(&fr, "migrants retour ");
    assert_eq!(both, ["/fr/pratiques/reintegration/"]);
    let migrants = common::urls(&fr, "migrants ");
    assert!(migrants.len() >= 3, "{migrants:?}");
    let without = common::urls(&fr, "migrants -retour ");
    assert!(!without.contains(&"/fr/pratiques/reintegration/".to_string()));
    assert_eq!(without.len(), migrants.len() - 1);
    let without_phrase = common::urls(&fr, "migrants -\"frais de recrutement\" ");
    assert!(!without_phrase.contains(&"/fr/pratiques/recrutement-ethique/".to_string()));
    // Only exclusions: everything else.
    assert_eq!(common::urls(&fr, "-diaspora ").len(), 3);
}

#[test]
fn or_accepts_either_word() {
    let es = common::open(Lang::Es);
    let either = common::urls(&es, "retornados OR contratación ");
    assert_eq!(either.len(), 2, "{either:?}");
    assert!(common::urls(&es, "retornados contratación ").is_empty());
}

#[test]
fn title_is_boosted() {
    let en = common::open(Lang::En);
    // "reintegration" is in one title and in another page's theme label only.
    assert_eq!(
        common::urls(&en, "reintegration ")[0],
        "/en/practices/reintegration/"
    );
}

#[test]
fn last_word_matches_as_a_prefix_while_typed() {
    let en = common::open(Lang::En);
    assert_eq!(common::urls(&en, "remitt")[0], "/en/practices/remittances/");
    assert!(
        common::urls(&en, "remitt ").is_empty()
            || common::urls(&en, "remitt ")[0] == "/en/practices/remittances/"
    );
    let fr = common::open(Lang::Fr);
    // A prefix longer than the indexed stem (réintégr → reintegr) still matches.
    assert_eq!(
        common::urls(&fr, "réintégrati")[0],
        "/fr/pratiques/reintegration/"
    );
    assert_eq!(
        common::urls(&fr, "frais recrut")[0],
        "/fr/pratiques/recrutement-ethique/"
    );
    // "de" is a stop word, but as a prefix it may start "de…" words: no failure.
    assert!(
        common::urls(&fr, "transferts de")
            .contains(&"/fr/pratiques/transferts-de-fonds/".to_string())
    );
}

#[test]
fn misspelt_words_are_retried_fuzzily() {
    let en = common::open(Lang::En);
    assert_eq!(
        common::urls(&en, "remitances ")[0],
        "/en/practices/remittances/"
    );
    assert_eq!(
        common::urls(&en, "recuritment ")[0],
        "/en/practices/ethical-recruitment/"
    );
    let es = common::open(Lang::Es);
    assert_eq!(
        common::urls(&es, "contratacoin ")[0],
        "/es/practicas/contratacion-etica/"
    );
    // Nothing close: nothing found.
    assert!(common::urls(&es, "zzzzzz ").is_empty());
}

#[test]
fn facet_counts_and_filters() {
    let fr = common::open(Lang::Fr);
    let all = fr.search("", &Filters::new(), 10).expect("search");
    assert_eq!(all.total, 4);
    assert_eq!(count(&all, FacetKind::Theme, "remittances"), 2);
    assert_eq!(count(&all, FacetKind::Country, "sn"), 2);
    assert_eq!(count(&all, FacetKind::RoundTable, "rt1"), 2);
    assert_eq!(count(&all, FacetKind::Session, "rt2-1"), 2);
    assert_eq!(count(&all, FacetKind::Region, "africa-west"), 2);
    assert_eq!(count(&all, FacetKind::ActorType, "ngo"), 2);
    assert_eq!(
        all.facets[&FacetKind::Theme][0],
        ("remittances".to_string(), 2)
    );

    // OR within a facet.
    let themes = Filters::new()
        .with(FacetKind::Theme, "labour")
        .with(FacetKind::Theme, "return");
    let either = fr.search("", &themes, 10).expect("search");
    assert_eq!(either.total, 2);
    // AND across facets.
    let narrowed = themes.clone().with(FacetKind::Country, "sn");
    let both = fr.search("", &narrowed, 10).expect("search");
    assert_eq!(both.total, 1);
    assert_eq!(both.hits[0].url, "/fr/pratiques/reintegration/");
    // A facet's counts ignore its own filter and apply the others.
    assert_eq!(count(&both, FacetKind::Theme, "return"), 1);
    assert_eq!(count(&both, FacetKind::Theme, "remittances"), 1);
    assert_eq!(count(&both, FacetKind::Theme, "labour"), 0);
    assert_eq!(count(&both, FacetKind::Country, "ma"), 1);
    assert_eq!(count(&both, FacetKind::Country, "ph"), 1);
    assert_eq!(count(&both, FacetKind::Country, "ml"), 0);
    assert_eq!(count(&both, FacetKind::Region, "asia"), 0);
    // With a query too.
    let query = fr
        .search(
            "transferts ",
            &Filters::new().with(FacetKind::Country, "ml"),
            10,
        )
        .expect("search");
    assert_eq!(query.total, 1);
    assert_eq!(count(&query, FacetKind::Country, "sn"), 1);
    assert_eq!(count(&query, FacetKind::Theme, "diaspora"), 1);
}

#[test]
fn hits_carry_stored_fields() {
    let fr = common::open(Lang::Fr);
    let results = fr
        .search("réintégration ", &Filters::new(), 1)
        .expect("search");
    assert_eq!(results.total, 1);
    let hit = &results.hits[0];
    assert_eq!(
        hit.title,
        "Programme de réintégration des migrants de retour"
    );
    assert_eq!(hit.start_year, Some(2018));
    assert_eq!(hit.end_year, None);
    assert!(
        hit.snippet_html.contains("<mark>réintégration</mark>"),
        "{}",
        hit.snippet_html
    );
    assert_eq!(
        fr.search("migrants ", &Filters::new(), 0)
            .expect("search")
            .hits
            .len(),
        0
    );
}

#[test]
fn snippets_are_escaped_then_marked() {
    let fr = common::open(Lang::Fr);
    let results = fr.search("guide ", &Filters::new(), 5).expect("search");
    let hit = &results.hits[0];
    assert!(
        !hit.snippet_html.contains("<script>"),
        "{}",
        hit.snippet_html
    );
    assert!(
        hit.snippet_html.contains("&lt;script&gt;"),
        "{}",
        hit.snippet_html
    );
    assert!(
        hit.snippet_html.contains("<mark>guide</mark>"),
        "{}",
        hit.snippet_html
    );
    // Without a match in the description, the escaped start of the description.
    let plain = fr.search("diaspora ", &Filters::new(), 5).expect("search");
    assert!(
        plain.hits[0].snippet_html.contains("&lt;script&gt;"),
        "{}",
        plain.hits[0].snippet_html
    );
    assert!(!plain.hits[0].snippet_html.contains("<script>"));

    // A stored body is the preferred snippet source, and is escaped too.
    let bytes = write_index_with(
        Lang::Fr,
        common::docs(Lang::Fr),
        WriteOptions { store_body: true },
    )
    .expect("index written");
    let with_body = Index::open(&bytes).expect("opened");
    let results = with_body
        .search("explique ", &Filters::new(), 5)
        .expect("search");
    let snippet = &results.hits[0].snippet_html;
    assert!(
        snippet.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{snippet}"
    );
    assert!(snippet.contains("<mark>explique</mark>"), "{snippet}");
    assert!(!snippet.contains("<script>"), "{snippet}");
}
