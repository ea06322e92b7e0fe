//! A small trilingual corpus shared by the tests.
#![allow(dead_code)]

use search_index::{Index, Lang, SearchDoc, Searcher, write_index};

pub struct Spec<'a> {
    pub url: &'a str,
    pub title: &'a str,
    pub description: &'a str,
    pub body: &'a str,
    pub themes: &'a [(&'a str, &'a str)],
    pub countries: &'a [(&'a str, &'a str)],
    pub region: &'a str,
    pub actor: &'a str,
    pub round_table: &'a str,
    pub years: (Option<i64>, Option<i64>),
}

fn strings<'a>(items: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    items.into_iter().map(str::to_string).collect()
}

pub fn doc(lang: Lang, spec: &Spec) -> SearchDoc {
    SearchDoc {
        lang: lang.code().to_string(),
        url: spec.url.to_string(),
        title: spec.title.to_string(),
        description: spec.description.to_string(),
        body: spec.body.to_string(),
        theme_labels: strings(spec.themes.iter().map(|(_, label)| *label)),
        country_names: strings(spec.countries.iter().map(|(_, name)| *name)),
        implementers: vec!["OIM".to_string()],
        round_table: vec![spec.round_table.to_string()],
        session: vec![format!("{}-1", spec.round_table)],
        theme: strings(spec.themes.iter().map(|(id, _)| *id)),
        country: strings(spec.countries.iter().map(|(id, _)| *id)),
        region: vec![spec.region.to_string()],
        actor_type: vec![spec.actor.to_string()],
        start_year: spec.years.0,
        end_year: spec.years.1,
    }
}

pub fn docs(lang: Lang) -> Vec<SearchDoc> {
    let specs: &[Spec] = match lang {
        Lang::Fr => &[
            Spec {
                url: "/fr/pratiques/transferts-de-fonds/",
                title: "Réduire le coût des transferts de fonds",
                description: "Les transferts de fonds des migrants vers leurs familles coûtent moins cher.",
                body: "Une plateforme compare les frais des opérateurs de transfert d'argent.",
                themes: &[("remittances", "Transferts de fonds")],
                countries: &[("sn", "Sénégal")],
                region: "africa-west",
                actor: "government",
                round_table: "rt1",
                years: (Some(2015), Some(2020)),
            },
            Spec {
                url: "/fr/pratiques/reintegration/",
                title: "Programme de réintégration des migrants de retour",
                description: "Accompagnement à la réintégration économique et sociale.",
                body: "Les migrants de retour reçoivent une formation et un appui au projet.",
                themes: &[("return", "Retour et réintégration")],
                countries: &[("ma", "Maroc"), ("sn", "Sénégal")],
                region: "africa-north",
                actor: "ngo",
                round_table: "rt2",
                years: (Some(2018), None),
            },
            Spec {
                url: "/fr/pratiques/recrutement-ethique/",
                title: "Recrutement éthique des travailleurs migrants",
                description: "Supprimer les frais de recrutement payés par les travailleurs.",
                body: "Les employeurs prennent en charge les frais de recrutement.",
                themes: &[("labour", "Migration de travail")],
                countries: &[("ph", "Philippines")],
                region: "asia",
                actor: "private",
                round_table: "rt1",
                years: (None, None),
            },
            Spec {
                url: "/fr/pratiques/guide-diaspora/",
                title: "Guide pratique pour la diaspora",
                description: "Un guide <script>alert('x')</script> pour investir au pays & ailleurs.",
                body: "Le guide <script>alert(1)</script> explique comment investir.",
                themes: &[
                    ("diaspora", "Diaspora"),
                    ("remittances", "Transferts de fonds"),
                ],
                countries: &[("ml", "Mali")],
                region: "africa-west",
                actor: "ngo",
                round_table: "rt2",
                years: (Some(2021), Some(2023)),
            },
        ],
        Lang::En => &[
            Spec {
                url: "/en/practices/remittances/",
                title: "Lowering the cost of remittances",
                description: "Remittances sent by migrants to their families cost less.",
                body: "A platform compares the fees of money transfer operators.",
                themes: &[("remittances", "Remittances")],
                countries: &[("sn", "Senegal")],
                region: "africa-west",
                actor: "government",
                round_table: "rt1",
                years: (Some(2015), Some(2020)),
            },
            Spec {
                url: "/en/practices/ethical-recruitment/",
                title: "Ethical recruitment of migrant workers",
                description: "Employers pay the recruitment fee, not the workers.",
                body: "No recruitment fees are charged to workers at any stage.",
                themes: &[("labour", "Labour migration")],
                countries: &[("ph", "Philippines")],
                region: "asia",
                actor: "private",
                round_table: "rt1",
                years: (None, None),
            },
            Spec {
                url: "/en/practices/reintegration/",
                title: "Reintegration of returning migrants",
                description: "Economic and social support after return.",
                body: "Returning migrants receive training and support for their business.",
                themes: &[("return", "Return and reintegration")],
                countries: &[("ma", "Morocco")],
                region: "africa-north",
                actor: "ngo",
                round_table: "rt2",
                years: (Some(2018), None),
            },
        ],
        Lang::Es => &[
            Spec {
                url: "/es/practicas/remesas/",
                title: "Remesas más baratas",
                description: "Las remesas de los migrantes a sus familias cuestan menos.",
                body: "Una plataforma compara las comisiones de envío de dinero.",
                themes: &[("remittances", "Remesas")],
                countries: &[("mx", "México")],
                region: "americas",
                actor: "government",
                round_table: "rt1",
                years: (Some(2015), Some(2020)),
            },
            Spec {
                url: "/es/practicas/reintegracion/",
                title: "Reintegración de migrantes retornados",
                description: "Apoyo económico y social después del retorno.",
                body: "Cada remesa familiar puede financiar un proyecto productivo.",
                themes: &[("return", "Retorno y reintegración")],
                countries: &[("gt", "Guatemala")],
                region: "americas",
                actor: "ngo",
                round_table: "rt2",
                years: (Some(2018), None),
            },
            Spec {
                url: "/es/practicas/contratacion-etica/",
                title: "Contratación ética de trabajadores migrantes",
                description: "Sin comisiones de contratación para los trabajadores.",
                body: "Los empleadores pagan la contratación.",
                themes: &[("labour", "Migración laboral")],
                countries: &[("mx", "México")],
                region: "americas",
                actor: "private",
                round_table: "rt1",
                years: (None, None),
            },
        ],
    };
    specs.iter().map(|spec| doc(lang, spec)).collect()
}

pub fn open(lang: Lang) -> Searcher {
    let packed = write_index(lang, docs(lang)).expect("index written");
    Index::open(&packed).expect("index opened")
}

/// URLs of the hits of `query` (no filter), best first.
pub fn urls(searcher: &Searcher, query: &str) -> Vec<String> {
    let results = searcher
        .search(query, &search_index::Filters::new(), 10)
        .expect("search runs");
    results.hits.into_iter().map(|hit| hit.url).collect()
}

/// `n` generated French documents (deterministic): varied words from a fixed vocabulary,
/// a few hundred words each, facets spread over several values. Big enough for an index of
/// many chunks.
pub fn synthetic(n: usize) -> Vec<SearchDoc> {
    const WORDS: &[&str] = &[
        "migrants",
        "transferts",
        "fonds",
        "diaspora",
        "emploi",
        "retour",
        "réintégration",
        "recrutement",
        "éthique",
        "frais",
        "travailleurs",
        "santé",
        "éducation",
        "femmes",
        "jeunes",
        "formation",
        "compétences",
        "reconnaissance",
        "diplômes",
        "entreprises",
        "investissement",
        "épargne",
        "banque",
        "microcrédit",
        "coopération",
        "partenariat",
        "gouvernement",
        "municipalité",
        "région",
        "frontière",
        "circulation",
        "visa",
        "protection",
        "droits",
        "sociale",
        "sécurité",
        "pension",
        "portabilité",
        "données",
        "statistiques",
        "recensement",
        "enquête",
        "politique",
        "cohérence",
        "développement",
        "pauvreté",
        "climat",
        "agriculture",
        "rural",
        "urbain",
        "logement",
        "intégration",
        "langue",
        "culture",
        "association",
        "réseau",
        "plateforme",
        "numérique",
        "téléphone",
        "mobile",
        "paiement",
        "coût",
        "commission",
        "opérateur",
        "concurrence",
        "transparence",
    ];
    const THEMES: &[&str] = &[
        "remittances",
        "labour",
        "return",
        "diaspora",
        "skills",
        "data",
    ];
    const COUNTRIES: &[&str] = &["sn", "ma", "ph", "mx", "fr", "es", "in", "ke"];
    const SYLLABLES: &[&str] = &[
        "ba", "cor", "di", "fen", "ga", "lo", "mar", "ni", "pol", "ra", "sen", "ti", "vu", "zo",
        "que", "tra", "ment", "ion", "eur", "ai",
    ];
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move |bound: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % bound as u64) as usize
    };
    (0..n)
        .map(|i| {
            let length = 150 + next(300);
            let mut text = |count: usize| {
                (0..count)
                    .map(|_| {
                        // Half the words from the vocabulary, half made up of 3 syllables
                        // (8,000 of them): a dictionary of many blocks.
                        if next(2) == 0 {
                            WORDS[next(WORDS.len())].to_string()
                        } else {
                            (0..3).map(|_| SYLLABLES[next(SYLLABLES.len())]).collect()
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            let title = text(5);
            let description = text(25);
            let body = text(length);
            let theme = THEMES[next(THEMES.len())];
            let country = COUNTRIES[next(COUNTRIES.len())];
            SearchDoc {
                lang: "fr".to_string(),
                url: format!("/fr/pratiques/p{i:05}/"),
                title,
                description,
                body,
                theme_labels: vec![theme.to_string()],
                country_names: vec![country.to_string()],
                implementers: vec!["OIM".to_string()],
                round_table: vec![format!("rt{}", 1 + i % 3)],
                session: vec![format!("rt{}-{}", 1 + i % 3, 1 + i % 2)],
                theme: vec![theme.to_string()],
                country: vec![country.to_string()],
                region: vec!["africa-west".to_string()],
                actor_type: vec!["government".to_string()],
                start_year: Some(2000 + (i % 20) as i64),
                end_year: None,
            }
        })
        .collect()
}
