//! The document type the generator hands to the writer.

/// One searchable page (practice, round table or session) in one language.
///
/// Facet values (`round_table` … `actor_type`) are ids (slugs), not labels; the labels of
/// themes and countries in the page's language go to `theme_labels` and `country_names`
/// so that they are searchable.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchDoc {
    /// Language code of the page (`fr`, `en`, `es`); must match the index's language.
    pub lang: String,
    /// URL of the page, stored and returned as is.
    pub url: String,
    /// Title: searched (boosted) and stored.
    pub title: String,
    /// Description: searched and stored.
    pub description: String,
    /// Body text (no markup; its whitespace may come in runs): searched.
    pub body: String,
    /// Theme names in the page's language: searched.
    pub theme_labels: Vec<String>,
    /// Country names in the page's language: searched.
    pub country_names: Vec<String>,
    /// Implementing organisations: searched.
    pub implementers: Vec<String>,
    /// Round table ids (facet).
    pub round_table: Vec<String>,
    /// Session ids (facet).
    pub session: Vec<String>,
    /// Theme ids (facet).
    pub theme: Vec<String>,
    /// Country ids (facet).
    pub country: Vec<String>,
    /// Region ids (facet).
    pub region: Vec<String>,
    /// Actor type ids (facet).
    pub actor_type: Vec<String>,
    /// First year, stored.
    pub start_year: Option<i64>,
    /// Last year, stored.
    pub end_year: Option<i64>,
}

impl SearchDoc {
    /// The ids of facet `kind`.
    pub fn facet_values(&self, kind: crate::FacetKind) -> &[String] {
        use crate::FacetKind::*;
        match kind {
            RoundTable => &self.round_table,
            Session => &self.session,
            Theme => &self.theme,
            Country => &self.country,
            Region => &self.region,
            ActorType => &self.actor_type,
        }
    }
}
