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

/// Words remembered; with this many, the maps start afresh.
const MAX_REMEMBERED_WORDS: usize = 200_000;

/// What a word becomes: a stem (its place in [`Results::stems`]), or nothing.
#[derive(Clone, Copy)]
struct Stem {
    start: u32,
    /// [`DROPPED`]: the word is dropped.
    len: u32,
}

const DROPPED: u32 = u32::MAX;

/// Word as written → what it becomes. Most words fit in 16 bytes: those are keyed by their
/// bytes as one integer (zero-padded: no character of a word holds a zero byte), which is
/// hashed and compared in a few instructions; longer words by their text. The stems follow
/// each other in one string: a word's stem is read from memory that the stems of the other
/// frequent words keep warm, rather than from an allocation of its own.
#[derive(Clone, Default)]
struct Results {
    short: foldhash::HashMap<u128, Stem>,
    long: foldhash::HashMap<Box<str>, Stem>,
    stems: String,
}

impl Results {
    /// What `word` becomes, if it is remembered (`key` is `short_key` of `word`).
    fn get(&self, key: Option<u128>, word: &str) -> Option<Option<&str>> {
        let stem = match key {
            Some(key) => self.short.get(&key),
            None => self.long.get(word),
        }?;
        Some(match stem.len {
            DROPPED => None,
            len => {
                let start = stem.start as usize;
                Some(self.stems.get(start..start + len as usize)?)
            }
        })
    }

    fn insert(&mut self, key: Option<u128>, word: &str, result: Option<&str>) {
        if self.short.len() + self.long.len() >= MAX_REMEMBERED_WORDS {
            self.short.clear();
            self.long.clear();
            self.stems.clear();
        }
        let stem = match result {
            None => Stem {
                start: 0,
                len: DROPPED,
            },
            Some(text) => {
                // At most 200,000 stems of at most 40 bytes (`MAX_TOKEN_LEN`): far below 4 GB.
                let (Ok(start), Ok(len)) =
                    (u32::try_from(self.stems.len()), u32::try_from(text.len()))
                else {
                    return;
                };
                self.stems.push_str(text);
                Stem { start, len }
            }
        };
        match key {
            Some(key) => self.short.insert(key, stem),
            None => self.long.insert(Box::from(word), stem),
        };
    }
}

/// The bytes `start..end` of `text` as one little-endian integer, if they are at most 16.
fn short_key(text: &[u8], start: usize, end: usize) -> Option<u128> {
    let len = end.checked_sub(start).filter(|&len| len <= 16)?;
    let mask = u128::MAX.checked_shr(8 * (16 - len) as u32).unwrap_or(0);
    // One load of the 16 bytes from `start` where the text has them (all words but the
    // last few), the bytes one by one otherwise.
    if let Some(chunk) = text.get(start..start + 16) {
        let bytes: [u8; 16] = chunk.try_into().ok()?;
        return Some(u128::from_le_bytes(bytes) & mask);
    }
    let word = text.get(start..end)?;
    Some(
        word.iter()
            .rev()
            .fold(0, |key, &b| (key << 8) | u128::from(b)),
    )
}

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
            let key = short_key(self.text.as_bytes(), start, end);
            match self.results.get(key, word) {
                Some(Some(text)) => {
                    self.token.text.clear();
                    self.token.text.push_str(text);
                }
                Some(None) => continue,
                None => {
                    // The word alone is one word of the full analyzer's tokenizer too, so
                    // it becomes what it would have become in the text.
                    let result = self.full.token_stream(word).next().map(|t| t.text.clone());
                    self.results.insert(key, word, result.as_deref());
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

/// How [`next_word`] reads a byte: `ALNUM` and `OTHER` are ASCII, `LEAD` starts a character
/// beyond ASCII (decoded to know whether it is alphanumeric).
const OTHER: u8 = 0;
const ALNUM: u8 = 1;
const LEAD: u8 = 2;
const BYTE_KINDS: [u8; 256] = {
    let mut kinds = [LEAD; 256];
    let mut b = 0;
    while b < 128 {
        kinds[b] = if (b as u8).is_ascii_alphanumeric() {
            ALNUM
        } else {
            OTHER
        };
        b += 1;
    }
    kinds
};

/// The next run of alphanumeric characters of `text` at or after byte `from` (a character
/// boundary), as byte offsets: the words of tantivy's `SimpleTokenizer`.
fn next_word(text: &str, from: usize) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    // Whether the character at `i` (a boundary, before the end) is alphanumeric, and its
    // length.
    let at = |i: usize| -> (bool, usize) {
        match BYTE_KINDS[usize::from(bytes[i])] {
            ALNUM => (true, 1),
            OTHER => (false, 1),
            _ => text
                .get(i..)
                .and_then(|t| t.chars().next())
                .map_or((false, 1), |c| (c.is_alphanumeric(), c.len_utf8())),
        }
    };
    let mut i = from;
    let start = loop {
        if i >= bytes.len() {
            return None;
        }
        let (alphanumeric, len) = at(i);
        if alphanumeric {
            break i;
        }
        i += len;
    };
    while i < bytes.len() {
        // Runs of ASCII letters and digits, the bulk of most words, by the table alone.
        if BYTE_KINDS[usize::from(bytes[i])] == ALNUM {
            i += 1;
            continue;
        }
        let (alphanumeric, len) = at(i);
        if !alphanumeric {
            break;
        }
        i += len;
    }
    Some((start, i))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyzer::tokens;

    #[test]
    fn short_keys_are_the_words_bytes() {
        let text = b"abc sixteenbytesword seventeenbyteword";
        let by_copy = |word: &[u8]| {
            let mut bytes = [0u8; 16];
            bytes[..word.len()].copy_from_slice(word);
            u128::from_le_bytes(bytes)
        };
        for (start, end) in [(0, 3), (4, 20), (0, 0), (21, 37), (36, 37), (21, 38)] {
            let word = &text[start..end];
            let expected = (word.len() <= 16).then(|| by_copy(word));
            assert_eq!(short_key(text, start, end), expected, "{start}..{end}");
        }
        assert_ne!(short_key(b"ab", 0, 1), short_key(b"ab", 0, 2));
    }

    #[test]
    fn gives_the_tokens_of_the_full_analyzer() {
        let text = "Les  migrants—et LES Migrants! réintégration, Réintégration; l'été 2024: \
                    x²³ ½ ÉTÉ été été… naïve NAÏVE 東京 東京 el envío de remesas, the THE and \
                    supercalifragilisticexpialidociousandthensomemoreletters ok \
                    under_score tab\tnew\nline ü\u{a0}ß \u{1f600} café \
                    sixteenbytesword seventeenbyteword sixteenbytesword seventeenbyteword \
                    réintégrations réintégrationsx réintégrationsx";
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
