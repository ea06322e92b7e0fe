//! Generic generators: token soups (meaningful tokens mixed with words, any character and raw
//! bytes, some repeated into deep nesting) and byte-level mutations of a base input (seeds
//! included), in the manner of a mutation fuzzer.

use proptest::prelude::*;
use proptest::sample::select;

/// Bytes that are not UTF-8 on their own: a lone continuation byte, a truncated sequence, a
/// surrogate, a code point past U+10FFFF, an overlong NUL.
pub const INVALID_UTF8: &[&[u8]] = &[
    b"\xff",
    b"\x80",
    b"\xc3",
    b"\xe9",
    b"\xe2\x82",
    b"\xed\xa0\x80",
    b"\xf4\x90\x80\x80",
    b"\xc0\x80",
];

/// One piece of a soup.
fn piece(tokens: &'static [&'static str]) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        12 => select(tokens).prop_map(|t| t.as_bytes().to_vec()),
        3 => "[a-zA-Z0-9 ]{1,8}".prop_map(String::into_bytes),
        2 => any::<char>().prop_map(|c| c.to_string().into_bytes()),
        1 => select(INVALID_UTF8).prop_map(<[u8]>::to_vec),
        1 => proptest::collection::vec(any::<u8>(), 1..4),
        // Nesting: a token repeated.
        2 => (select(tokens), 2..200usize).prop_map(|(t, n)| t.repeat(n).into_bytes()),
    ]
}

/// A mixture of `tokens` and other pieces, at most `max` of them.
pub fn soup(tokens: &'static [&'static str], max: usize) -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(piece(tokens), 0..max).prop_map(|pieces| pieces.concat())
}

/// A soup that is valid UTF-8 (invalid bytes become U+FFFD).
pub fn text_soup(tokens: &'static [&'static str], max: usize) -> impl Strategy<Value = String> {
    soup(tokens, max).prop_map(|b| String::from_utf8_lossy(&b).into_owned())
}

/// The largest generated input: a megabyte in long runs, less in the quick runs of CI
/// (debug builds).
pub fn max_input() -> usize {
    if std::env::var_os("FUZZ_SECONDS").is_some() {
        1_000_000
    } else {
        50_000
    }
}

/// A token repeated very many times (deep nesting, long runs), rarely used.
pub fn deep(tokens: &'static [&'static str]) -> impl Strategy<Value = Vec<u8>> {
    (select(tokens), 1_000..50_000usize)
        .prop_map(|(t, n)| t.repeat(n.min(max_input() / t.len().max(1))).into_bytes())
}

/// A short soup repeated many times (an input of up to a megabyte or so): what is linear on
/// small inputs must stay so on large ones.
pub fn wide(tokens: &'static [&'static str]) -> impl Strategy<Value = Vec<u8>> {
    (soup(tokens, 6), 500..20_000usize).prop_map(|(b, n)| {
        let n = n.min(max_input() / b.len().max(1));
        b.repeat(n)
    })
}

/// An edit of an input, at a position given as a fraction of its length (so that it shrinks
/// and stays meaningful whatever the length).
#[derive(Debug, Clone)]
pub enum Mutation {
    Insert(u16, Vec<u8>),
    Delete(u16, u8),
    /// Repeats a slice of the input in place.
    Repeat(u16, u8, u16),
    Replace(u16, u8),
    Truncate(u16),
}

fn at(frac: u16, len: usize) -> usize {
    (len * frac as usize) / (u16::MAX as usize + 1)
}

fn apply(mut bytes: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        let len = bytes.len();
        match m {
            Mutation::Insert(f, piece) => {
                let i = at(*f, len + 1);
                bytes.splice(i..i, piece.iter().copied());
            }
            Mutation::Delete(f, n) => {
                let i = at(*f, len);
                let end = (i + *n as usize + 1).min(len);
                bytes.drain(i.min(end)..end);
            }
            Mutation::Repeat(f, n, times) => {
                let i = at(*f, len);
                let end = (i + *n as usize + 1).min(len);
                let slice = bytes[i.min(end)..end].to_vec();
                let repeated: Vec<u8> = slice.repeat(*times as usize);
                bytes.splice(end..end, repeated);
            }
            Mutation::Replace(f, b) => {
                if len > 0 {
                    let i = at(*f, len);
                    bytes[i] = *b;
                }
            }
            Mutation::Truncate(f) => bytes.truncate(at(*f, len + 1)),
        }
    }
    bytes
}

fn mutation(tokens: &'static [&'static str]) -> impl Strategy<Value = Mutation> {
    prop_oneof![
        6 => (any::<u16>(), piece(tokens)).prop_map(|(f, p)| Mutation::Insert(f, p)),
        2 => (any::<u16>(), any::<u8>()).prop_map(|(f, n)| Mutation::Delete(f, n)),
        1 => (any::<u16>(), 0..16u8, 1..100u16).prop_map(|(f, n, t)| Mutation::Repeat(f, n, t)),
        2 => (any::<u16>(), any::<u8>()).prop_map(|(f, b)| Mutation::Replace(f, b)),
        1 => any::<u16>().prop_map(Mutation::Truncate),
    ]
}

/// `base` with up to `max` mutations made of `tokens`.
pub fn mutated(
    base: impl Strategy<Value = Vec<u8>>,
    tokens: &'static [&'static str],
    max: usize,
) -> impl Strategy<Value = Vec<u8>> {
    (base, proptest::collection::vec(mutation(tokens), 0..max))
        .prop_map(|(bytes, ms)| apply(bytes, &ms))
}

/// One of the seeds.
pub fn seed(seeds: Vec<Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
    select(seeds)
}
