//! Turns a [`ParsedQuery`] into a tantivy query over the text fields.
//!
//! A word is analyzed like the indexed text (folded, stemmed) and looked up in every text
//! field, each with its boost. The last word, while typed, also matches the indexed terms
//! that start with it (and indexed stems it extends: `migratio` → `migrat`). A word with no
//! hit at all is retried fuzzily: indexed terms within edit distance 1 (2 for words of
//! [`LONG_WORD`] characters or more) of its stem. Prefix and fuzzy matches are expanded
//! into plain term queries, so they are ranked by BM25 and highlighted in snippets.

use std::collections::BTreeMap;

use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, EmptyQuery, Occur, PhraseQuery, Query, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{Searcher as TantivySearcher, Term};

use crate::analyzer;
use crate::directory::ChunkStore;
use crate::error::Error;
use crate::query::{Atom, ParsedQuery};

/// Words of at least this many characters are retried with edit distance 2.
pub const LONG_WORD: usize = 8;
/// Words shorter than this are not retried fuzzily.
const MIN_FUZZY: usize = 4;
/// Prefixes shorter than this are not expanded.
const MIN_PREFIX: usize = 2;
/// Shortest indexed stem matched against the start of a misspelt word.
const MIN_STEM_PREFIX: usize = 5;
/// Longest suffix a stemmer removes, in characters.
const MAX_SUFFIX: usize = 6;
/// At most this many indexed terms stand for one prefix or fuzzy word.
const MAX_EXPANSIONS: usize = 24;

/// An indexed term of a field, and its document frequency.
type FoundTerm = ((Field, String), u64);

/// A compiled atom and whether it must match.
type Required = (Box<dyn Query>, bool);

/// Compiles queries against one searcher.
pub struct Compiler<'a> {
    searcher: &'a TantivySearcher,
    text_fields: &'a [(Field, f32)],
    analyzer: TextAnalyzer,
    folder: TextAnalyzer,
    /// When set, a lookup that needs a chunk not loaded yet counts as unknown instead of
    /// failing, so that one pass finds every missing chunk of the dictionary.
    lenient: Option<&'a ChunkStore>,
}

impl<'a> Compiler<'a> {
    /// A compiler for `searcher`, whose text fields are `text_fields` (with boosts).
    pub fn new(
        searcher: &'a TantivySearcher,
        text_fields: &'a [(Field, f32)],
        analyzer: TextAnalyzer,
    ) -> Compiler<'a> {
        Compiler {
            searcher,
            text_fields,
            analyzer,
            folder: analyzer::folder(),
            lenient: None,
        }
    }

    /// Makes lookups of chunks not loaded yet count as unknown (the store records them);
    /// the query compiled is then only right if the store reports nothing missing.
    pub fn lenient(mut self, store: &'a ChunkStore) -> Compiler<'a> {
        self.lenient = Some(store);
        self
    }

    /// `Ok(None)` for a failure caused by a chunk not loaded yet, in lenient mode.
    fn tolerate<T>(&self, result: Result<T, Error>) -> Result<Option<T>, Error> {
        match result {
            Ok(value) => Ok(Some(value)),
            Err(_) if self.lenient.is_some_and(ChunkStore::has_missing) => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// The query matching `parsed` (everything if it is empty).
    pub fn compile(&mut self, parsed: &ParsedQuery) -> Result<Box<dyn Query>, Error> {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for group in &parsed.groups {
            let mut alternatives = Vec::new();
            let mut required = false;
            for atom in group {
                if let Some((query, atom_required)) = self.atom(atom, true)? {
                    alternatives.push(query);
                    required |= atom_required;
                }
            }
            if !alternatives.is_empty() {
                let occur = if required { Occur::Must } else { Occur::Should };
                clauses.push((occur, should(alternatives)));
            }
        }
        if clauses.is_empty() {
            clauses.push((Occur::Must, Box::new(AllQuery)));
        }
        for atom in &parsed.excluded {
            if let Some((query, _)) = self.atom(atom, false)? {
                clauses.push((Occur::MustNot, query));
            }
        }
        if clauses.len() == 1
            && clauses[0].0 == Occur::Must
            && let Some((_, query)) = clauses.pop()
        {
            return Ok(query);
        }
        Ok(Box::new(BooleanQuery::new(clauses)))
    }

    /// The query of one atom and whether it is required; `None` if it is only stop words.
    /// `tolerant` enables the prefix and fuzzy matching of words (not for exclusions). A
    /// stop word being typed (`transferts de`) only ranks the words it starts, higher.
    fn atom(&mut self, atom: &Atom, tolerant: bool) -> Result<Option<Required>, Error> {
        let (text, prefix) = match atom {
            Atom::Word { text, prefix } => (text, *prefix && tolerant),
            Atom::Phrase(text) => (text, false),
        };
        let tolerant = tolerant && matches!(atom, Atom::Word { .. });
        let tokens = analyzer::tokens(&mut self.analyzer, text);
        let query = match tokens.as_slice() {
            [] if prefix => return Ok(self.word(text, None, true, false)?.map(|q| (q, false))),
            [] => None,
            [token] => self.word(text, Some(&token.text), prefix, tolerant)?,
            [first, ..] => {
                let base = first.position;
                let words: Vec<(usize, &str)> = tokens
                    .iter()
                    .map(|t| (t.position - base, t.text.as_str()))
                    .collect();
                Some(self.phrase(&words))
            }
        };
        Ok(query.map(|q| (q, true)))
    }

    /// A single word: its stem, plus prefix expansions, plus a fuzzy retry if nothing hits.
    fn word(
        &mut self,
        text: &str,
        stem: Option<&str>,
        prefix: bool,
        fuzzy: bool,
    ) -> Result<Option<Box<dyn Query>>, Error> {
        let mut terms: BTreeMap<(Field, String), u64> = BTreeMap::new();
        // Whether a lookup could not be made yet (lenient mode): no fuzzy retry then.
        let mut unknown = false;
        if let Some(stem) = stem {
            for &(field, _) in self.text_fields {
                match self.tolerate(self.doc_freq(field, stem))? {
                    Some(0) => {}
                    Some(freq) => {
                        terms.insert((field, stem.to_string()), freq);
                    }
                    None => unknown = true,
                }
            }
        }
        let folded = analyzer::tokens(&mut self.folder, text)
            .pop()
            .map(|token| token.text)
            .unwrap_or_default();
        if prefix && folded.chars().count() >= MIN_PREFIX {
            let expanded = self.expand_prefix(&folded, &mut terms);
            unknown |= self.tolerate(expanded)?.is_none();
        }
        let Some(stem) = stem else {
            // A stop word typed as a prefix: only its expansions count.
            return Ok((!terms.is_empty()).then(|| self.terms_query(&terms)));
        };
        if terms.is_empty() && fuzzy && !unknown {
            let length = folded.chars().count().max(stem.chars().count());
            if length >= MIN_FUZZY {
                let distance = if length >= LONG_WORD { 2 } else { 1 };
                let expanded = self.expand_fuzzy(stem, &folded, distance, &mut terms);
                self.tolerate(expanded)?;
            }
        }
        if terms.is_empty() {
            return Ok(Some(Box::new(EmptyQuery)));
        }
        Ok(Some(self.terms_query(&terms)))
    }

    fn terms_query(&self, terms: &BTreeMap<(Field, String), u64>) -> Box<dyn Query> {
        let queries = terms
            .keys()
            .map(|(field, text)| {
                let term = Term::from_field_text(*field, text);
                let query = Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs));
                self.boosted(*field, query)
            })
            .collect();
        should(queries)
    }

    fn phrase(&self, words: &[(usize, &str)]) -> Box<dyn Query> {
        let queries = self
            .text_fields
            .iter()
            .map(|&(field, _)| {
                let terms = words
                    .iter()
                    .map(|&(pos, w)| (pos, Term::from_field_text(field, w)))
                    .collect();
                self.boosted(field, Box::new(PhraseQuery::new_with_offset(terms)))
            })
            .collect();
        should(queries)
    }

    fn boosted(&self, field: Field, query: Box<dyn Query>) -> Box<dyn Query> {
        let boost = self
            .text_fields
            .iter()
            .find(|(f, _)| *f == field)
            .map_or(1.0, |(_, boost)| *boost);
        if boost == 1.0 {
            query
        } else {
            Box::new(BoostQuery::new(query, boost))
        }
    }

    fn doc_freq(&self, field: Field, text: &str) -> Result<u64, Error> {
        Ok(self
            .searcher
            .doc_freq(&Term::from_field_text(field, text))?)
    }

    /// Indexed terms starting with `folded`, and indexed stems that `folded` extends by at
    /// most 3 characters; the most frequent ones are kept.
    fn expand_prefix(
        &self,
        folded: &str,
        terms: &mut BTreeMap<(Field, String), u64>,
    ) -> Result<(), Error> {
        let mut found = Vec::new();
        let mut unknown = None;
        let upper = prefix_upper_bound(folded.as_bytes());
        for &(field, _) in self.text_fields {
            // Every field is tried, so that one lenient pass finds all missing chunks.
            let listed = self.terms_in_range(field, folded.as_bytes(), upper.as_deref());
            match self.tolerate(listed) {
                Ok(Some(listed)) => found.extend(listed),
                Ok(None) => unknown = Some(Error::NeedChunks(Vec::new())),
                Err(error) => return Err(error),
            }
            let chars: Vec<(usize, char)> = folded.char_indices().collect();
            let shortest = chars.len().saturating_sub(3).max(4);
            for &(end, _) in chars.iter().skip(shortest) {
                let stem = &folded[..end];
                match self.tolerate(self.doc_freq(field, stem))? {
                    Some(0) => {}
                    Some(freq) => found.push(((field, stem.to_string()), freq)),
                    None => unknown = Some(Error::NeedChunks(Vec::new())),
                }
            }
        }
        if let Some(error) = unknown {
            return Err(error);
        }
        keep_most_frequent(found, terms);
        Ok(())
    }

    /// The indexed terms of `field` in `[lower, upper)`, with their document frequencies.
    fn terms_in_range(
        &self,
        field: Field,
        lower: &[u8],
        upper: Option<&[u8]>,
    ) -> Result<Vec<FoundTerm>, Error> {
        let mut found = Vec::new();
        for segment in self.searcher.segment_readers() {
            let index = segment.inverted_index(field)?;
            let mut range = index.terms().range().ge(lower);
            if let Some(upper) = upper {
                range = range.lt(upper);
            }
            let mut stream = range.into_stream()?;
            while stream.advance() {
                if let Ok(text) = std::str::from_utf8(stream.key()) {
                    found.push((
                        (field, text.to_string()),
                        u64::from(stream.value().doc_freq),
                    ));
                }
            }
        }
        Ok(found)
    }

    /// Indexed terms within `distance` edits of `stem`, or of the start of the unstemmed
    /// `folded` word (a typo in a suffix keeps the stemmer from removing it:
    /// `contratacoin` → `contrat`), sharing its first character.
    fn expand_fuzzy(
        &self,
        stem: &str,
        folded: &str,
        distance: usize,
        terms: &mut BTreeMap<(Field, String), u64>,
    ) -> Result<(), Error> {
        let Some(first) = stem.chars().next() else {
            return Ok(());
        };
        let mut buf = [0u8; 4];
        let first = first.encode_utf8(&mut buf).as_bytes();
        let upper = prefix_upper_bound(first);
        let stem: Vec<char> = stem.chars().collect();
        let folded: Vec<char> = folded.chars().collect();
        let mut found = Vec::new();
        let mut unknown = None;
        for &(field, _) in self.text_fields {
            let listed = self.terms_in_range(field, first, upper.as_deref());
            let Some(listed) = self.tolerate(listed)? else {
                unknown = Some(Error::NeedChunks(Vec::new()));
                continue;
            };
            for ((field, text), freq) in listed {
                if let Some(d) = fuzzy_distance(&stem, &folded, &text, distance) {
                    found.push((d, (field, text), freq));
                }
            }
        }
        if let Some(error) = unknown {
            return Err(error);
        }
        // Only the closest terms count, the most frequent first.
        let closest = found.iter().map(|(d, _, _)| *d).min().unwrap_or_default();
        let found = found
            .into_iter()
            .filter(|(d, _, _)| *d == closest)
            .map(|(_, term, freq)| (term, freq))
            .collect();
        keep_most_frequent(found, terms);
        Ok(())
    }
}

/// Edit distance (at most `max`) of an indexed term to a stem, or to the start of the
/// unstemmed word if the term is a stem of [`MIN_STEM_PREFIX`] characters or more that
/// the word extends by at most [`MAX_SUFFIX`] characters.
fn fuzzy_distance(stem: &[char], folded: &[char], term: &str, max: usize) -> Option<usize> {
    let direct = edit_distance(stem, term, max);
    let length = term.chars().count();
    if length < MIN_STEM_PREFIX || folded.len() <= length || folded.len() - length > MAX_SUFFIX {
        return direct;
    }
    let by_prefix = (length.saturating_sub(max)..=(length + max).min(folded.len()))
        .filter_map(|end| edit_distance(&folded[..end], term, max))
        .min();
    match (direct, by_prefix) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn should(mut queries: Vec<Box<dyn Query>>) -> Box<dyn Query> {
    if queries.len() == 1
        && let Some(query) = queries.pop()
    {
        return query;
    }
    Box::new(BooleanQuery::new(
        queries.into_iter().map(|q| (Occur::Should, q)).collect(),
    ))
}

/// Keeps the [`MAX_EXPANSIONS`] best (by rank) distinct words, in every field they occur.
fn keep_most_frequent(
    mut found: Vec<((Field, String), u64)>,
    terms: &mut BTreeMap<(Field, String), u64>,
) {
    let mut by_word: BTreeMap<&str, u64> = BTreeMap::new();
    for ((_, word), rank) in &found {
        *by_word.entry(word.as_str()).or_default() += rank;
    }
    let mut words: Vec<(&str, u64)> = by_word.into_iter().collect();
    words.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let kept: Vec<String> = words
        .into_iter()
        .take(MAX_EXPANSIONS)
        .map(|(w, _)| w.to_string())
        .collect();
    found.retain(|((_, word), _)| kept.contains(word));
    terms.extend(found);
}

/// The smallest byte string greater than every string starting with `prefix`.
fn prefix_upper_bound(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut upper = prefix.to_vec();
    while let Some(last) = upper.pop() {
        if last < u8::MAX {
            upper.push(last + 1);
            return Some(upper);
        }
    }
    None
}

/// Optimal-string-alignment distance between `a` and `b` if it is at most `max`.
pub fn edit_distance(a: &[char], b: &str, max: usize) -> Option<usize> {
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) > max {
        return None;
    }
    let width = b.len() + 1;
    let mut rows = vec![0usize; 3 * width];
    for (j, cell) in rows[..width].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        let (cur, prev, prev2) = (i % 3, (i + 2) % 3, (i + 1) % 3);
        rows[cur * width] = i;
        let mut row_min = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (rows[prev * width + j] + 1)
                .min(rows[cur * width + j - 1] + 1)
                .min(rows[prev * width + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(rows[prev2 * width + j - 2] + 1);
            }
            rows[cur * width + j] = d;
            row_min = row_min.min(d);
        }
        if row_min > max {
            return None;
        }
    }
    let d = rows[(a.len() % 3) * width + b.len()];
    (d <= max).then_some(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(a: &str, b: &str, max: usize) -> Option<usize> {
        edit_distance(&a.chars().collect::<Vec<_>>(), b, max)
    }

    #[test]
    fn distances() {
        assert_eq!(d("remit", "remitt", 1), Some(1));
        assert_eq!(d("tranfert", "transfert", 1), Some(1));
        assert_eq!(d("recuritment", "recruitment", 2), Some(1));
        assert_eq!(d("abc", "abc", 0), Some(0));
        assert_eq!(d("abc", "xyz", 2), None);
        assert_eq!(d("ab", "abcd", 1), None);
    }

    #[test]
    fn upper_bounds() {
        assert_eq!(prefix_upper_bound(b"ab"), Some(b"ac".to_vec()));
        assert_eq!(prefix_upper_bound(&[b'a', 255]), Some(b"b".to_vec()));
        assert_eq!(prefix_upper_bound(&[255]), None);
    }
}
