//! The fuzz driver: replays the committed seeds of a target, then runs its property on
//! generated inputs (proptest, stable Rust), for a fixed number of cases (CI) or until a
//! deadline (`FUZZ_SECONDS`).
//!
//! - `FUZZ_SECONDS=N`: run for N seconds (at least one batch), from a random seed printed at
//!   the end (`FUZZ_SEED=<hex>` replays a run); without it, `ci_cases` cases from a fixed seed.
//! - A failing input is shrunk, then written to `target/fuzz/crashes/<target>-<hash>.bin`
//!   (copy it into `tests/fuzz/seeds/<target>/` to keep it) and its proptest seed is appended
//!   to `tests/fuzz/proptest-regressions/<target>.txt`, replayed by every later run.
//! - In long runs each input is also written to `target/fuzz/current-<target>.bin` before it
//!   runs, so that an abort (stack overflow) leaves it behind, and a watchdog aborts a case
//!   running longer than `FUZZ_HANG_SECONDS` (default 20) after saving it as a crash; a case
//!   slower than `FUZZ_SLOW_SECONDS` (default 5) fails (and is shrunk) like a violation.
//! - `FUZZ_REPLAY=<file>` runs that input alone, timed (to check a crash and its fix).

use std::fmt::Debug;
use std::hash::{Hash, Hasher};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use proptest::strategy::Strategy;
use proptest::test_runner::{
    Config, FileFailurePersistence, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner,
};

/// An input that can be stored as a seed file.
pub trait Input: Clone + Debug {
    fn from_bytes(bytes: &[u8]) -> Self;
    fn to_bytes(&self) -> Vec<u8>;
}

impl Input for Vec<u8> {
    fn from_bytes(bytes: &[u8]) -> Self {
        bytes.to_vec()
    }
    fn to_bytes(&self) -> Vec<u8> {
        self.clone()
    }
}

impl Input for String {
    fn from_bytes(bytes: &[u8]) -> Self {
        String::from_utf8_lossy(bytes).into_owned()
    }
    fn to_bytes(&self) -> Vec<u8> {
        self.as_bytes().to_vec()
    }
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn work_dir() -> PathBuf {
    repo().join("target").join("fuzz")
}

/// The committed seeds of `target`, by file name.
pub fn seeds(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = repo().join("tests/fuzz/seeds").join(target);
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|e| e.path().is_file())
                .map(|e| {
                    let bytes = std::fs::read(e.path()).expect("read seed");
                    (e.file_name().to_string_lossy().into_owned(), bytes)
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// The seeds' contents alone (for strategies that mutate them); never empty.
pub fn seed_bytes(target: &str) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = seeds(target).into_iter().map(|(_, b)| b).collect();
    if out.is_empty() {
        out.push(Vec::new());
    }
    out
}

fn hash_hex(bytes: &[u8]) -> String {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    bytes.hash(&mut h);
    format!("{:016x}", h.finish())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    (0..s.len())
        .step_by(2)
        .map(|i| s.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect()
}

fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".into())
}

fn save_crash(target: &str, kind: &str, bytes: &[u8]) -> PathBuf {
    let dir = work_dir().join("crashes");
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join(format!("{target}-{kind}-{}.bin", hash_hex(bytes)));
    let _ = std::fs::write(&path, bytes);
    path
}

fn shown(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut s: String = text.chars().take(600).collect();
    if s.len() < text.len() {
        s.push_str(&format!("… ({} bytes)", bytes.len()));
    }
    format!("{s:?}")
}

/// Runs `check` on every seed of `target`, then on generated inputs. `check` returns a
/// property violation as `Err`; a panic counts as one too.
pub fn fuzz<T, S>(
    target: &'static str,
    ci_cases: u32,
    strategy: S,
    check: impl Fn(&T) -> Result<(), String>,
) where
    T: Input,
    S: Strategy<Value = T>,
{
    let started = Instant::now();
    // `FUZZ_REPLAY=<file>`: that input alone, timed.
    if let Some(file) = std::env::var_os("FUZZ_REPLAY") {
        let bytes = std::fs::read(&file).expect("FUZZ_REPLAY file");
        let result = check(&T::from_bytes(&bytes));
        println!(
            "fuzz {target}: replayed {} ({} bytes) in {:.3} s: {result:?}",
            PathBuf::from(&file).display(),
            bytes.len(),
            started.elapsed().as_secs_f64()
        );
        result.expect("replayed input");
        return;
    }
    // 1. The corpus seeds and every crash kept as a seed.
    let seed_files = seeds(target);
    for (name, bytes) in &seed_files {
        let input = T::from_bytes(bytes);
        match catch_unwind(AssertUnwindSafe(|| check(&input))) {
            Ok(Ok(())) => {}
            Ok(Err(e)) => panic!("seed tests/fuzz/seeds/{target}/{name}: {e}"),
            Err(p) => panic!(
                "seed tests/fuzz/seeds/{target}/{name} panicked: {}",
                panic_message(&*p)
            ),
        }
    }

    // 2. Generated inputs.
    let seconds: Option<u64> = std::env::var("FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok());
    let long = seconds.is_some();
    let seed: Vec<u8> = match std::env::var("FUZZ_SEED").ok().and_then(|s| unhex(&s)) {
        Some(s) if s.len() == 32 => s,
        _ if long => {
            let nanos = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0);
            let mut s = Vec::with_capacity(32);
            for i in 0..4u64 {
                let mut h = std::collections::hash_map::DefaultHasher::new();
                (nanos, std::process::id(), target, i).hash(&mut h);
                s.extend_from_slice(&h.finish().to_le_bytes());
            }
            s
        }
        _ => {
            let mut s = [7u8; 32];
            for (i, b) in target.bytes().enumerate() {
                s[i % 32] ^= b;
            }
            s.to_vec()
        }
    };
    let deadline = started + Duration::from_secs(seconds.unwrap_or(0));
    let hang = Duration::from_secs(
        std::env::var("FUZZ_HANG_SECONDS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(20),
    );

    // In long runs (release builds), a case slower than this fails: what takes seconds on a
    // megabyte is quadratic somewhere.
    let slow = long.then(|| {
        Duration::from_secs(
            std::env::var("FUZZ_SLOW_SECONDS")
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(5),
        )
    });
    let cases = Arc::new(AtomicU64::new(0));
    // Milliseconds since `started` at which the running case began (0: none running).
    let case_start = Arc::new(AtomicU64::new(0));
    let current: Arc<Mutex<Vec<u8>>> = Arc::new(Mutex::new(Vec::new()));
    let done = Arc::new(AtomicBool::new(false));
    let current_file = work_dir().join(format!("current-{target}.bin"));
    if long {
        let _ = std::fs::create_dir_all(work_dir());
        let (case_start, current, done) = (case_start.clone(), current.clone(), done.clone());
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(500));
                let at = case_start.load(Ordering::Relaxed);
                let now = started.elapsed().as_millis() as u64;
                if at != 0 && now.saturating_sub(at) > hang.as_millis() as u64 {
                    let bytes = current.lock().map(|c| c.clone()).unwrap_or_default();
                    let path = save_crash(target, "hang", &bytes);
                    eprintln!(
                        "fuzz {target}: a case ran longer than {} s; input saved to {}: {}",
                        hang.as_secs(),
                        path.display(),
                        shown(&bytes)
                    );
                    std::process::abort();
                }
            }
        });
    }

    let persistence: &'static str = Box::leak(
        repo()
            .join(format!("tests/fuzz/proptest-regressions/{target}.txt"))
            .to_string_lossy()
            .into_owned()
            .into_boxed_str(),
    );
    let mut rng = TestRng::from_seed(RngAlgorithm::ChaCha, &seed);
    loop {
        let config = Config {
            cases: if long { 64 } else { ci_cases },
            failure_persistence: Some(Box::new(FileFailurePersistence::Direct(persistence))),
            max_shrink_time: if long { 300_000 } else { 60_000 },
            max_shrink_iters: 100_000,
            ..Config::default()
        };
        let mut runner = TestRunner::new_with_rng(config, rng);
        let result = runner.run(&strategy, |input: T| {
            cases.fetch_add(1, Ordering::Relaxed);
            if long {
                let bytes = input.to_bytes();
                let _ = std::fs::write(&current_file, &bytes);
                if let Ok(mut c) = current.lock() {
                    *c = bytes;
                }
                case_start.store(
                    (started.elapsed().as_millis() as u64).max(1),
                    Ordering::Relaxed,
                );
            }
            let at = Instant::now();
            let r = check(&input).map_err(TestCaseError::fail);
            case_start.store(0, Ordering::Relaxed);
            let took = at.elapsed();
            match slow {
                Some(limit) if r.is_ok() && took > limit => Err(TestCaseError::fail(format!(
                    "slow: {:.1} s for {} bytes (limit {} s)",
                    took.as_secs_f64(),
                    input.to_bytes().len(),
                    limit.as_secs()
                ))),
                _ => r,
            }
        });
        rng = runner.new_rng();
        match result {
            Ok(()) => {}
            Err(TestError::Fail(reason, input)) => {
                done.store(true, Ordering::Relaxed);
                let bytes = input.to_bytes();
                let path = save_crash(target, "fail", &bytes);
                panic!(
                    "fuzz {target}: {reason}\nminimal input saved to {}:\n{}",
                    path.display(),
                    shown(&bytes)
                );
            }
            Err(TestError::Abort(reason)) => {
                done.store(true, Ordering::Relaxed);
                panic!("fuzz {target}: aborted: {reason}");
            }
        }
        if !long || Instant::now() >= deadline {
            break;
        }
    }
    done.store(true, Ordering::Relaxed);
    println!(
        "fuzz {target}: {} cases + {} seeds in {:.1} s (FUZZ_SEED={})",
        cases.load(Ordering::Relaxed),
        seed_files.len(),
        started.elapsed().as_secs_f64(),
        hex(&seed)
    );
}

/// Fails with `message` unless `cond`.
pub fn ensure(cond: bool, message: impl FnOnce() -> String) -> Result<(), String> {
    if cond { Ok(()) } else { Err(message()) }
}
