//! Per-language text analysis, shared by the writer and the reader.
//!
//! Pipeline: split on non-alphanumeric characters, drop tokens longer than
//! [`MAX_TOKEN_LEN`] bytes, lowercase, fold to ASCII (`réintégration` → `reintegration`),
//! remove the language's stop words, stem with the language's Snowball stemmer.
//!
//! The stemmer is [`frostem`] compiled with our three languages only (tantivy's `stemmer`
//! feature compiles eighteen of them into the WebAssembly module).

use std::borrow::Cow;

use tantivy::Index as TantivyIndex;
use tantivy::tokenizer::{
    AsciiFoldingFilter, LowerCaser, RemoveLongFilter, SimpleTokenizer, StopWordFilter,
    TextAnalyzer, Token, TokenFilter, TokenStream, Tokenizer,
};

use crate::lang::Lang;

/// Tokens longer than this (in bytes) are not indexed.
pub const MAX_TOKEN_LEN: usize = 40;

/// The full analyzer of a language: what is indexed and what a query word becomes.
pub fn analyzer(lang: Lang) -> TextAnalyzer {
    let stop_words = lang.stop_words().iter().map(|w| (*w).to_string());
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_LEN))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(StopWordFilter::remove(stop_words))
        .filter(SnowballStemmer::new(lang))
        .build()
}

/// Lowercase and fold only (no stop words, no stemming): what a word typed so far is
/// compared with when it is matched as a prefix.
pub fn folder() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_LEN))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

/// Registers the analyzers of every language on `index` (the schema names them).
pub fn register(index: &TantivyIndex) {
    for lang in Lang::ALL {
        index
            .tokenizers()
            .register(lang.tokenizer_name(), analyzer(lang));
    }
}

/// Runs `analyzer` over `text` and returns its tokens.
pub fn tokens(analyzer: &mut TextAnalyzer, text: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut stream = analyzer.token_stream(text);
    while let Some(token) = stream.next() {
        out.push(token.clone());
    }
    out
}

/// Snowball stemming as a tantivy token filter.
#[derive(Clone, Copy)]
pub struct SnowballStemmer {
    algorithm: frostem::Algorithm,
}

impl SnowballStemmer {
    /// The stemmer of `lang`.
    pub fn new(lang: Lang) -> SnowballStemmer {
        let algorithm = match lang {
            Lang::Fr => frostem::Algorithm::French,
            Lang::En => frostem::Algorithm::English,
            Lang::Es => frostem::Algorithm::Spanish,
        };
        SnowballStemmer { algorithm }
    }
}

impl TokenFilter for SnowballStemmer {
    type Tokenizer<T: Tokenizer> = StemmingTokenizer<T>;

    fn transform<T: Tokenizer>(self, inner: T) -> StemmingTokenizer<T> {
        StemmingTokenizer {
            algorithm: self.algorithm,
            inner,
        }
    }
}

/// A tokenizer wrapped by [`SnowballStemmer`].
#[derive(Clone)]
pub struct StemmingTokenizer<T> {
    algorithm: frostem::Algorithm,
    inner: T,
}

impl<T: Tokenizer> Tokenizer for StemmingTokenizer<T> {
    type TokenStream<'a> = StemmingStream<T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        StemmingStream {
            inner: self.inner.token_stream(text),
            stemmer: frostem::Stemmer::new(self.algorithm),
        }
    }
}

/// The token stream of a [`StemmingTokenizer`].
pub struct StemmingStream<S> {
    inner: S,
    stemmer: frostem::Stemmer,
}

impl<S: TokenStream> TokenStream for StemmingStream<S> {
    fn advance(&mut self) -> bool {
        if !self.inner.advance() {
            return false;
        }
        let token = self.inner.token_mut();
        let stem = match self.stemmer.stem(&token.text) {
            Cow::Owned(stem) => Some(stem),
            Cow::Borrowed(stem) if stem != token.text => Some(stem.to_string()),
            Cow::Borrowed(_) => None,
        };
        if let Some(stem) = stem {
            token.text = stem;
        }
        true
    }

    fn token(&self) -> &Token {
        self.inner.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.inner.token_mut()
    }
}
