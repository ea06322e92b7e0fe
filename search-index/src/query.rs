//! The query syntax typed in the search box.
//!
//! - words: every word must match (`transferts fonds`);
//! - `"phrases"`: the words in this order (an unclosed quote runs to the end);
//! - `-word`, `-"a phrase"`: results must not contain it;
//! - `OR` (upper case) between two terms: either may match (`remesas OR migración`);
//! - the last word, unless followed by a space, also matches as a prefix (search as you
//!   type).

/// A term of the query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Atom {
    /// A word; `prefix` is set on the last word while it is being typed.
    Word {
        /// The word as typed.
        text: String,
        /// Whether the word also matches as a prefix.
        prefix: bool,
    },
    /// A quoted phrase.
    Phrase(String),
}

/// A parsed query: every group must match (a group matches if one of its atoms does), no
/// excluded atom may match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedQuery {
    /// Conjunction of disjunctions.
    pub groups: Vec<Vec<Atom>>,
    /// Atoms that must not match.
    pub excluded: Vec<Atom>,
}

impl ParsedQuery {
    /// Whether the query has no term at all.
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty() && self.excluded.is_empty()
    }
}

#[derive(Debug, PartialEq)]
enum Lexeme {
    Word(String),
    Phrase(String),
    Or,
}

/// Parses the text typed by the reader. Never fails: odd input degrades to words.
pub fn parse(input: &str) -> ParsedQuery {
    let lexemes = lex(input);
    let ends_in_word = !input.ends_with(char::is_whitespace);
    let last = lexemes.len().checked_sub(1);
    let mut query = ParsedQuery::default();
    let mut pending_or = false;
    // `OR` joins two positive atoms; next to an exclusion or another `OR` it is ignored.
    let mut after_positive = false;
    for (i, (negated, lexeme)) in lexemes.into_iter().enumerate() {
        let atom = match lexeme {
            Lexeme::Or => {
                pending_or = after_positive;
                after_positive = false;
                continue;
            }
            Lexeme::Phrase(text) => Atom::Phrase(text),
            Lexeme::Word(text) => Atom::Word {
                prefix: !negated && ends_in_word && Some(i) == last,
                text,
            },
        };
        if negated {
            query.excluded.push(atom);
            pending_or = false;
            after_positive = false;
            continue;
        }
        match query.groups.last_mut() {
            Some(group) if pending_or => group.push(atom),
            _ => query.groups.push(vec![atom]),
        }
        pending_or = false;
        after_positive = true;
    }
    query
}

/// Splits the input into (negated, lexeme) pairs.
fn lex(input: &str) -> Vec<(bool, Lexeme)> {
    let mut out = Vec::new();
    let mut chars = input.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let Some(&first) = chars.peek() else { break };
        let negated = first == '-';
        if negated {
            chars.next();
        }
        if chars.next_if_eq(&'"').is_some() {
            let phrase: String = chars.by_ref().take_while(|c| *c != '"').collect();
            if !phrase.trim().is_empty() {
                out.push((negated, Lexeme::Phrase(phrase)));
            }
            continue;
        }
        let mut word = String::new();
        while let Some(c) = chars.next_if(|c| !c.is_whitespace() && *c != '"') {
            word.push(c);
        }
        if word.is_empty() {
            continue;
        }
        if word == "OR" && !negated {
            out.push((false, Lexeme::Or));
        } else {
            out.push((negated, Lexeme::Word(word)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(text: &str, prefix: bool) -> Atom {
        Atom::Word {
            text: text.into(),
            prefix,
        }
    }

    #[test]
    fn words_phrases_exclusions_and_or() {
        let q = parse(r#"remesas "envío de dinero" -fraude OR costo migración"#);
        assert_eq!(
            q.groups,
            vec![
                vec![word("remesas", false)],
                vec![Atom::Phrase("envío de dinero".into())],
                vec![word("costo", false)],
                vec![word("migración", true)],
            ]
        );
        assert_eq!(q.excluded, vec![word("fraude", false)]);
    }

    #[test]
    fn or_joins_neighbours() {
        let q = parse("remesas OR remittances ");
        assert_eq!(
            q.groups,
            vec![vec![word("remesas", false), word("remittances", false)]]
        );
    }

    #[test]
    fn prefix_only_while_typing_the_last_word() {
        assert_eq!(parse("recruit").groups, vec![vec![word("recruit", true)]]);
        assert_eq!(parse("recruit ").groups, vec![vec![word("recruit", false)]]);
        assert!(
            parse("a -recruit")
                .excluded
                .iter()
                .all(|a| *a == word("recruit", false))
        );
    }

    #[test]
    fn odd_input_degrades() {
        assert!(parse("  ").is_empty());
        assert!(parse("OR OR -").is_empty());
        assert_eq!(
            parse("\"open phrase").groups,
            vec![vec![Atom::Phrase("open phrase".into())]]
        );
    }
}
