//! The writer's analyzer: [`analyzer`]'s tokens, with each distinct word analysed once.
//!
//! Each filter of [`analyzer`] turns one word of its tokenizer into at most one token, from
//! the word's text alone, so what a word becomes can be remembered by the word as written.
//! Words repeat: an index meets each of its tens of thousands of distinct words many times,
//! and finding one in a map costs much less than lowercasing, folding, checking the stop
//! words and stemming it again. The words are found as tantivy's `SimpleTokenizer` finds
//! them (runs of alphanumeric characters), without copying each one first.

use tantivy::tokenizer::{TextAnalyzer, Token, TokenStream, Tokenizer};

use crate::analyzer::analyzer;
use crate::lang::Lang;

/// Words remembered; with this many, the map starts afresh.
const MAX_REMEMBERED_WORDS: usize = 200_000;

/// Word as written → what it becomes (`None`: it is dropped).
type Results = foldhash::HashMap<Box<str>, Option<Box<str>>>;

/// `lang`'s analyzer for the writer: the same tokens as [`analyzer`] gives.
pub fn remembering_analyzer(lang: Lang) -> TextAnalyzer {
    TextAnalyzer::from(Remembering {
        full: analyzer(lang),
        results: Results::default(),
        token: Token::default(),
    })
}

#[derive(Clone)]
struct Remembering {
    /// What a word not met yet goes through.
    full: TextAnalyzer,
    results: Results,
    token: Token,
}

impl Tokenizer for Remembering {
    type TokenStream<'a> = RememberingStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> RememberingStream<'a> {
        self.token.reset();
        RememberingStream {
            text,
            next: 0,
            full: &mut self.full,
            results: &mut self.results,
            token: &mut self.token,
        }
    }
}

struct RememberingStream<'a> {
    text: &'a str,
    /// Where the search for the next word starts (a character boundary).
    next: usize,
    full: &'a mut TextAnalyzer,
    results: &'a mut Results,
    token: &'a mut Token,
}

impl TokenStream for RememberingStream<'_> {
    fn advance(&mut self) -> bool {
        while let Some((start, end)) = next_word(self.text, self.next) {
            self.next = end;
            // Every word takes a position, dropped or not, as with the full analyzer.
            self.token.position = self.token.position.wrapping_add(1);
            let word = &self.text[start..end];
            match self.results.get(word) {
                Some(Some(text)) => {
                    self.token.text.clear();
                    self.token.text.push_str(text);
                }
                Some(None) => continue,
                None => {
                    // The word alone is one word of the full analyzer's tokenizer too, so
                    // it becomes what it would have become in the text.
                    let result = self.full.token_stream(word).next().map(|t| t.text.clone());
                    if self.results.len() >= MAX_REMEMBERED_WORDS {
                        self.results.clear();
                    }
                    self.results
                        .insert(Box::from(word), result.as_deref().map(Box::from));
                    match result {
                        Some(text) => self.token.text = text,
                        None => continue,
                    }
                }
            }
            self.token.offset_from = start;
            self.token.offset_to = end;
            return true;
        }
        self.next = self.text.len();
        false
    }

    fn token(&self) -> &Token {
        self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        self.token
    }
}

/// The next run of alphanumeric characters of `text` at or after byte `from` (a character
/// boundary), as byte offsets: the words of tantivy's `SimpleTokenizer`.
fn next_word(text: &str, from: usize) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    // The length of the character at `i` and whether it is alphanumeric.
    let at = |i: usize| -> Option<(usize, bool)> {
        let b = *bytes.get(i)?;
        if b < 0x80 {
            return Some((1, b.is_ascii_alphanumeric()));
        }
        let c = text.get(i..)?.chars().next()?;
        Some((c.len_utf8(), c.is_alphanumeric()))
    };
    let mut i = from;
    let start = loop {
        let (len, alphanumeric) = at(i)?;
        if alphanumeric {
            break i;
        }
        i += len;
    };
    while let Some((len, true)) = at(i) {
        i += len;
    }
    Some((start, i))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyzer::tokens;

    #[test]
    fn gives_the_tokens_of_the_full_analyzer() {
        let text = "Les  migrants—et LES Migrants! réintégration, Réintégration; l'été 2024: \
                    x²³ ½ ÉTÉ été été… naïve NAÏVE 東京 東京 el envío de remesas, the THE and \
                    supercalifragilisticexpialidociousandthensomemoreletters ok \
                    under_score tab\tnew\nline ü\u{a0}ß \u{1f600} café";
        for lang in Lang::ALL {
            let mut full = analyzer(lang);
            let mut remembering = remembering_analyzer(lang);
            let expected = tokens(&mut full, text);
            // Twice: the second time every word is remembered.
            for _ in 0..2 {
                assert_eq!(tokens(&mut remembering, text), expected, "{lang:?}");
            }
            assert!(expected.len() > 20, "{lang:?}: {expected:?}");
        }
    }
}
