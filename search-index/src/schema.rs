//! The schema of a language's index: field names, options, and their resolution.

use std::fmt;
use std::str::FromStr;

use tantivy::schema::{
    FacetOptions, Field, FieldType, IndexRecordOption, NumericOptions, STORED, Schema,
    TextFieldIndexing, TextOptions,
};

use crate::error::Error;
use crate::lang::Lang;

/// Stored URL of the page (not searchable).
pub const URL: &str = "url";
/// Title: searched (boosted at query time) and stored.
pub const TITLE: &str = "title";
/// Description: searched and stored (snippets come from it).
pub const DESCRIPTION: &str = "description";
/// Body text: searched; stored only when [`WriteOptions::store_body`](crate::WriteOptions).
pub const BODY: &str = "body";
/// Theme names in the index's language: searched.
pub const THEME_LABELS: &str = "theme_labels";
/// Country names in the index's language: searched.
pub const COUNTRY_NAMES: &str = "country_names";
/// Implementing organisations: searched.
pub const IMPLEMENTERS: &str = "implementers";
/// First year of the practice: stored.
pub const START_YEAR: &str = "start_year";
/// Last year of the practice: stored.
pub const END_YEAR: &str = "end_year";

/// The searchable text fields and their boost at query time.
pub const TEXT_FIELDS: [(&str, f32); 6] = [
    (TITLE, 3.0),
    (DESCRIPTION, 1.5),
    (BODY, 1.0),
    (THEME_LABELS, 1.5),
    (COUNTRY_NAMES, 1.5),
    (IMPLEMENTERS, 1.0),
];

/// The facets a search can be narrowed by (values are ids, e.g. `remittances`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FacetKind {
    /// Round table id.
    RoundTable,
    /// Session id.
    Session,
    /// Theme id.
    Theme,
    /// Country id.
    Country,
    /// Region id.
    Region,
    /// Actor type id.
    ActorType,
}

impl FacetKind {
    /// Every facet, in the order results list them.
    pub const ALL: [FacetKind; 6] = [
        FacetKind::RoundTable,
        FacetKind::Session,
        FacetKind::Theme,
        FacetKind::Country,
        FacetKind::Region,
        FacetKind::ActorType,
    ];

    /// Field name, also the key used by filters and results.
    pub fn name(self) -> &'static str {
        match self {
            FacetKind::RoundTable => "round_table",
            FacetKind::Session => "session",
            FacetKind::Theme => "theme",
            FacetKind::Country => "country",
            FacetKind::Region => "region",
            FacetKind::ActorType => "actor_type",
        }
    }

    /// Position in [`FacetKind::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for FacetKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for FacetKind {
    type Err = Error;

    fn from_str(name: &str) -> Result<FacetKind, Error> {
        FacetKind::ALL
            .into_iter()
            .find(|kind| kind.name() == name)
            .ok_or_else(|| Error::UnknownFacet(name.to_string()))
    }
}

/// Builds the schema of `lang`'s index.
pub fn build(lang: Lang, store_body: bool) -> Schema {
    let indexing = TextFieldIndexing::default()
        .set_tokenizer(lang.tokenizer_name())
        .set_index_option(IndexRecordOption::WithFreqsAndPositions);
    let searched = TextOptions::default().set_indexing_options(indexing);
    let searched_stored = searched.clone().set_stored();

    let mut builder = Schema::builder();
    builder.add_text_field(URL, STORED);
    builder.add_text_field(TITLE, searched_stored.clone());
    builder.add_text_field(DESCRIPTION, searched_stored.clone());
    let body = if store_body {
        searched_stored
    } else {
        searched.clone()
    };
    builder.add_text_field(BODY, body);
    builder.add_text_field(THEME_LABELS, searched.clone());
    builder.add_text_field(COUNTRY_NAMES, searched.clone());
    builder.add_text_field(IMPLEMENTERS, searched);
    for kind in FacetKind::ALL {
        builder.add_facet_field(kind.name(), FacetOptions::default());
    }
    builder.add_i64_field(START_YEAR, NumericOptions::default().set_stored());
    builder.add_i64_field(END_YEAR, NumericOptions::default().set_stored());
    builder.build()
}

/// The fields of an index, resolved once from its schema.
#[derive(Debug, Clone)]
pub struct Fields {
    /// See [`URL`].
    pub url: Field,
    /// See [`TITLE`].
    pub title: Field,
    /// See [`DESCRIPTION`].
    pub description: Field,
    /// See [`BODY`].
    pub body: Field,
    /// See [`THEME_LABELS`].
    pub theme_labels: Field,
    /// See [`COUNTRY_NAMES`].
    pub country_names: Field,
    /// See [`IMPLEMENTERS`].
    pub implementers: Field,
    /// See [`START_YEAR`].
    pub start_year: Field,
    /// See [`END_YEAR`].
    pub end_year: Field,
    /// Facet fields, in [`FacetKind::ALL`] order.
    pub facets: [Field; 6],
    /// Searchable text fields with their boost.
    pub text: Vec<(Field, f32)>,
}

impl Fields {
    /// Resolves every field of `schema`; fails if one is missing.
    pub fn resolve(schema: &Schema) -> Result<Fields, Error> {
        let get = |name: &str| {
            schema
                .get_field(name)
                .map_err(|_| Error::Schema(format!("missing field `{name}`")))
        };
        let mut facets = [Field::from_field_id(0); 6];
        for kind in FacetKind::ALL {
            facets[kind.index()] = get(kind.name())?;
        }
        let mut text = Vec::with_capacity(TEXT_FIELDS.len());
        for (name, boost) in TEXT_FIELDS {
            text.push((get(name)?, boost));
        }
        Ok(Fields {
            url: get(URL)?,
            title: get(TITLE)?,
            description: get(DESCRIPTION)?,
            body: get(BODY)?,
            theme_labels: get(THEME_LABELS)?,
            country_names: get(COUNTRY_NAMES)?,
            implementers: get(IMPLEMENTERS)?,
            start_year: get(START_YEAR)?,
            end_year: get(END_YEAR)?,
            facets,
            text,
        })
    }

    /// The facet field of `kind`.
    pub fn facet(&self, kind: FacetKind) -> Field {
        self.facets[kind.index()]
    }
}

/// The language an index was built for, read from its title field's tokenizer.
pub fn lang_of(schema: &Schema) -> Result<Lang, Error> {
    let field = schema
        .get_field(TITLE)
        .map_err(|_| Error::Schema(format!("missing field `{TITLE}`")))?;
    let tokenizer = match schema.get_field_entry(field).field_type() {
        FieldType::Str(options) => options
            .get_indexing_options()
            .map(|indexing| indexing.tokenizer().to_string()),
        _ => None,
    };
    Lang::ALL
        .into_iter()
        .find(|lang| tokenizer.as_deref() == Some(lang.tokenizer_name()))
        .ok_or_else(|| Error::Schema(format!("unknown tokenizer {tokenizer:?}")))
}

/// Whether the body text is stored (then snippets may come from it).
pub fn body_is_stored(schema: &Schema, fields: &Fields) -> bool {
    schema.get_field_entry(fields.body).is_stored()
}
