//! The site's languages and their short stop-word lists.
//!
//! The lists are deliberately short (articles, prepositions, pronouns and auxiliaries that
//! carry no meaning in a search box). They hold *folded* forms (lowercase, no accents),
//! because the stop-word filter runs after ASCII folding: `à` is listed as `a`.

use std::fmt;
use std::str::FromStr;

use crate::error::Error;

/// A language of the compendium, one index per language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Lang {
    /// French, the default language of the site.
    Fr,
    /// English.
    En,
    /// Spanish.
    Es,
}

impl Lang {
    /// Every language, in a fixed order.
    pub const ALL: [Lang; 3] = [Lang::Fr, Lang::En, Lang::Es];

    /// The ISO 639-1 code (`"fr"`, `"en"`, `"es"`).
    pub fn code(self) -> &'static str {
        match self {
            Lang::Fr => "fr",
            Lang::En => "en",
            Lang::Es => "es",
        }
    }

    /// The name under which this language's analyzer is registered in the schema.
    pub fn tokenizer_name(self) -> &'static str {
        match self {
            Lang::Fr => "compendium_fr",
            Lang::En => "compendium_en",
            Lang::Es => "compendium_es",
        }
    }

    /// The folded stop words of this language.
    pub fn stop_words(self) -> &'static [&'static str] {
        match self {
            Lang::Fr => FR_STOP_WORDS,
            Lang::En => EN_STOP_WORDS,
            Lang::Es => ES_STOP_WORDS,
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Lang {
    type Err = Error;

    fn from_str(code: &str) -> Result<Lang, Error> {
        match code {
            "fr" => Ok(Lang::Fr),
            "en" => Ok(Lang::En),
            "es" => Ok(Lang::Es),
            other => Err(Error::UnknownLang(other.to_string())),
        }
    }
}

#[rustfmt::skip]
const FR_STOP_WORDS: &[&str] = &[
    "a", "au", "aux", "avec", "c", "ce", "ces", "cette", "d", "dans", "de", "des", "du", "elle",
    "elles", "en", "est", "et", "il", "ils", "j", "l", "la", "le", "les", "leur", "leurs", "m",
    "n", "ne", "on", "ont", "ou", "par", "pour", "qu", "que", "qui", "s", "sa", "se", "ses",
    "son", "sont", "sur", "t", "un", "une", "y",
];

#[rustfmt::skip]
const EN_STOP_WORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "from", "has", "have", "in",
    "into", "is", "it", "its", "of", "on", "or", "that", "the", "their", "this", "to", "was",
    "were", "which", "with",
];

#[rustfmt::skip]
const ES_STOP_WORDS: &[&str] = &[
    "a", "al", "como", "con", "de", "del", "e", "el", "en", "es", "esta", "este", "estas",
    "estos", "la", "las", "le", "les", "lo", "los", "o", "para", "por", "que", "se", "sin",
    "son", "su", "sus", "u", "un", "una", "unas", "unos", "y",
];
