//! Fuzz targets (issue 9): property tests that must never panic, hang or overflow the stack,
//! and must uphold their invariants, on structured hostile inputs and arbitrary bytes.
//!
//! `cargo test --test fuzz` replays every seed and runs a few cases per target (CI);
//! `FUZZ_SECONDS=600 cargo test --release --test fuzz -- --test-threads 1 --nocapture` runs
//! each target for 10 minutes; `tests/fuzz/run.sh` runs them one by one. Seeds live in
//! `tests/fuzz/seeds/<target>/`, proptest's failure seeds in
//! `tests/fuzz/proptest-regressions/`, crashes found are written to `target/fuzz/crashes/`.

mod front_matter;
mod harness;
mod inputs;
mod markdown;
mod regressions;
mod search;
mod serve;
