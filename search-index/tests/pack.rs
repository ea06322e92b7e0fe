//! The packed format: head and chunks, lazy loading, reproducibility, robustness.

mod common;

use std::sync::Arc;

use search_index::{
    ChunkStore, Error, FacetKind, Filters, Index, Lang, OwnedBytes, Packed, Results, Searcher,
    write_index,
};

/// What a browser does: open from the head, then add the chunks every call asks for.
struct Lazy<'a> {
    packed: &'a Packed,
    store: Arc<ChunkStore>,
    searcher: Option<Searcher>,
    fetched: usize,
    bytes: usize,
}

impl<'a> Lazy<'a> {
    fn new(packed: &'a Packed) -> Lazy<'a> {
        let store = ChunkStore::from_head(OwnedBytes::new(packed.head.clone())).expect("head");
        Lazy {
            packed,
            store,
            searcher: None,
            fetched: 0,
            bytes: packed.head.len(),
        }
    }

    fn add(&mut self, ids: &[u32]) {
        assert!(!ids.is_empty(), "NeedChunks with no chunk");
        for &id in ids {
            let chunk = &self.packed.chunks[id as usize];
            self.store
                .add(id, OwnedBytes::new(chunk.clone()))
                .expect("chunk accepted");
            self.fetched += 1;
            self.bytes += chunk.len();
        }
    }

    /// The results of a search, and how many round trips it took.
    fn search(&mut self, query: &str, filters: &Filters) -> (Results, usize) {
        for round in 0..16 {
            if self.searcher.is_none() {
                match Searcher::open(self.store.clone()) {
                    Ok(searcher) => self.searcher = Some(searcher),
                    Err(Error::NeedChunks(ids)) => {
                        self.add(&ids);
                        continue;
                    }
                    Err(error) => panic!("open: {error}"),
                }
            }
            let searcher = self.searcher.as_ref().expect("open");
            match searcher.search(query, filters, 10) {
                Ok(results) => return (results, round),
                Err(Error::NeedChunks(ids)) => self.add(&ids),
                Err(error) => panic!("{query}: {error}"),
            }
        }
        panic!("{query}: still missing chunks after 16 rounds");
    }
}

#[test]
fn the_head_alone_opens_the_index() {
    let packed = write_index(Lang::Fr, common::synthetic(400)).expect("written");
    let store = ChunkStore::from_head(OwnedBytes::new(packed.head.clone())).expect("head");
    let searcher = Searcher::open(store).expect("opened from the head alone");
    assert_eq!(searcher.num_docs(), 400);
    let (loaded, all) = searcher.chunk_counts();
    assert!(all > 100, "{all} chunks");
    eprintln!("head {} bytes, {loaded} of {all} chunks", packed.head.len());
    assert!(loaded * 4 < all, "the head holds {loaded} of {all} chunks");
}

#[test]
fn lazy_searches_equal_complete_ones_in_few_rounds() {
    let docs = common::synthetic(800);
    let packed = write_index(Lang::Fr, &docs).expect("written");
    let complete = Index::open(&packed).expect("opened");
    let filters = Filters::new().with(FacetKind::Theme, "labour");
    let queries: &[(&str, &Filters, usize)] = &[
        ("migrants", &Filters::new(), 3),
        ("transferts fonds ", &Filters::new(), 3),
        ("\"transferts fonds\"", &Filters::new(), 3),
        ("emploi -retour ", &filters, 3),
        ("reintegration", &Filters::new(), 3),
        ("developpement OR climat ", &Filters::new(), 3),
        ("migrnts ", &Filters::new(), 4),
        ("", &filters, 3),
        ("zzzz ", &Filters::new(), 4),
    ];
    for (query, filters, max_rounds) in queries {
        // Each query from a cold start, then all of them on one warm store.
        let mut cold = Lazy::new(&packed);
        let (lazy, rounds) = cold.search(query, filters);
        let expected = complete.search(query, filters, 10).expect("search");
        assert_eq!(lazy, expected, "{query}");
        eprintln!(
            "{query}: {rounds} rounds, {} chunks, {} of {} bytes",
            cold.fetched,
            cold.bytes,
            packed.total_len()
        );
        assert!(rounds <= *max_rounds, "{query}: {rounds} round trips");
        assert!(
            cold.bytes * 3 < packed.total_len(),
            "{query}: read {} of {} bytes",
            cold.bytes,
            packed.total_len()
        );
    }
    let mut warm = Lazy::new(&packed);
    for (query, filters, _) in queries {
        let (lazy, _) = warm.search(query, filters);
        assert_eq!(lazy, complete.search(query, filters, 10).expect("search"));
    }
}

#[test]
fn written_index_is_one_segment_with_a_fixed_id() {
    let packed = write_index(Lang::Es, common::docs(Lang::Es)).expect("written");
    let searcher = Index::open(&packed).expect("opened");
    assert_eq!(searcher.num_docs(), 3);
    assert_eq!(searcher.lang(), Lang::Es);
    let names: Vec<String> = packed.published("es").into_iter().map(|(n, _)| n).collect();
    assert!(
        names[0].starts_with("es.") && names[0].ends_with(".idx"),
        "{names:?}"
    );
    let stem = names[0].trim_end_matches(".idx");
    assert_eq!(names.len(), 1 + packed.chunks.len());
    assert_eq!(names[1], format!("{stem}/0.bin"));
    let head = String::from_utf8_lossy(&packed.head);
    assert!(head.contains(search_index::SEGMENT_ID));
}

#[test]
fn packing_is_byte_identical_across_runs() {
    for lang in Lang::ALL {
        let first = write_index(lang, common::docs(lang)).expect("written");
        let second = write_index(lang, common::docs(lang)).expect("written");
        assert!(first == second, "{lang}: two runs differ");
    }
}

#[test]
fn bad_heads_and_chunks_are_errors_not_panics() {
    let packed = write_index(Lang::Fr, common::docs(Lang::Fr)).expect("written");
    for len in 0..packed.head.len() {
        let truncated = OwnedBytes::new(packed.head[..len].to_vec());
        assert!(
            ChunkStore::from_head(truncated).is_err(),
            "truncated at {len}"
        );
    }
    let mut bad_magic = packed.head.clone();
    bad_magic[0] = b'X';
    assert!(ChunkStore::from_head(OwnedBytes::new(bad_magic)).is_err());
    let mut trailing = packed.head.clone();
    trailing.push(0);
    assert!(ChunkStore::from_head(OwnedBytes::new(trailing)).is_err());

    let store = ChunkStore::from_head(OwnedBytes::new(packed.head.clone())).expect("head");
    let last = u32::try_from(packed.chunks.len()).expect("few chunks");
    assert!(store.add(last, OwnedBytes::new(vec![0; 10])).is_err());
    let wrong_size = packed.chunks[0].len() + 1;
    assert!(store.add(0, OwnedBytes::new(vec![0; wrong_size])).is_err());
}

#[test]
fn documents_of_another_language_are_refused() {
    assert!(write_index(Lang::Fr, common::docs(Lang::En)).is_err());
}
