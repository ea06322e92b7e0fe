//! The packed format: round trip, reproducibility, robustness.

mod common;

use search_index::OwnedBytes;
use search_index::pack::{pack, unpack};
use search_index::{Index, Lang, SEGMENT_ID, write_index};

#[test]
fn pack_round_trip() {
    let files = vec![
        ("b.idx".to_string(), vec![1, 2, 3]),
        ("a.json".to_string(), b"{}".to_vec()),
        ("empty".to_string(), Vec::new()),
    ];
    let packed = pack(&files).expect("packed");
    let unpacked = unpack(OwnedBytes::new(packed)).expect("unpacked");
    let names: Vec<&str> = unpacked.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, ["a.json", "b.idx", "empty"]);
    assert_eq!(unpacked[0].1.as_slice(), b"{}");
    assert_eq!(unpacked[1].1.as_slice(), [1, 2, 3]);
    assert!(unpacked[2].1.as_slice().is_empty());
}

#[test]
fn bad_packs_are_errors_not_panics() {
    let packed = pack(&[("a".to_string(), vec![7; 10])]).expect("packed");
    for len in 0..packed.len() {
        let truncated = packed[..len].to_vec();
        assert!(
            unpack(OwnedBytes::new(truncated)).is_err(),
            "truncated at {len}"
        );
    }
    let mut bad_magic = packed.clone();
    bad_magic[0] = b'X';
    assert!(unpack(OwnedBytes::new(bad_magic)).is_err());
    assert!(Index::open(b"CPIX\x01\0\0\0\0\0\0\0".to_vec()).is_err());
    assert!(Index::open(Vec::new()).is_err());
}

#[test]
fn written_index_round_trips() {
    let bytes = write_index(Lang::Es, &common::docs(Lang::Es)).expect("written");
    let files = unpack(OwnedBytes::new(bytes.clone())).expect("unpacked");
    let names: Vec<&str> = files.iter().map(|(name, _)| name.as_str()).collect();
    assert!(names.contains(&"meta.json"), "{names:?}");
    assert!(
        names
            .iter()
            .filter(|n| **n != "meta.json")
            .all(|n| n.starts_with(SEGMENT_ID)),
        "{names:?}"
    );
    let meta = std::str::from_utf8(
        files
            .iter()
            .find(|(n, _)| n == "meta.json")
            .map(|(_, b)| b.as_slice())
            .unwrap_or_default(),
    )
    .expect("utf-8");
    assert!(!meta.contains(".lock"));
    let searcher = Index::open(bytes).expect("opened");
    assert_eq!(searcher.num_docs(), 3);
    assert_eq!(searcher.lang(), Lang::Es);
}

#[test]
fn packing_is_byte_identical_across_runs() {
    for lang in Lang::ALL {
        let first = write_index(lang, &common::docs(lang)).expect("written");
        let second = write_index(lang, &common::docs(lang)).expect("written");
        assert!(first == second, "{lang}: two runs differ");
    }
}

#[test]
fn documents_of_another_language_are_refused() {
    assert!(write_index(Lang::Fr, &common::docs(Lang::En)).is_err());
}
