//! Compendium's search module for the browser: a plain C ABI over `search-index`'s read
//! path, no imports, no wasm-bindgen. The glue is `../js/search.js`.
//!
//! - `alloc(len) -> ptr`, `free(ptr, len)`: buffers in linear memory, owned by JS until
//!   handed over;
//! - `open(ptr, len) -> handle`: takes ownership of a buffer holding the head of a packed
//!   index; returns a handle (≥ 0), or -1 with the error in the output;
//! - `add_chunk(handle, id, ptr, len) -> status`: takes ownership of a buffer holding chunk
//!   `id` of that index; 0, or 1 with `{"error": …}`;
//! - `close(handle)`: drops an index;
//! - `search(handle, ptr, len, limit) -> status`: runs a request (`search_index::wire`
//!   format; the caller keeps the buffer); 0 with the results as JSON in the output, 1 with
//!   `{"error": …}`, or 2 with `{"need": [ids]}`: add those chunks and ask again;
//! - `out_ptr()`, `out_len()`: the output of the last call, valid until the next one.

use std::cell::RefCell;
use std::sync::Arc;

use search_index::{ChunkStore, Error, OwnedBytes, Searcher, wire};

/// One open index: its chunks, and the searcher once enough of them are there.
struct Slot {
    store: Arc<ChunkStore>,
    searcher: Option<Searcher>,
}

#[derive(Default)]
struct State {
    slots: Vec<Option<Slot>>,
    out: Vec<u8>,
}

thread_local! {
    static STATE: RefCell<State> = RefCell::new(State::default());
}

fn set_out(text: String) {
    STATE.with(|state| state.borrow_mut().out = text.into_bytes());
}

/// Allocates `len` bytes for JS to fill.
#[unsafe(no_mangle)]
pub extern "C" fn alloc(len: usize) -> *mut u8 {
    Box::into_raw(vec![0u8; len].into_boxed_slice()).cast::<u8>()
}

/// Frees a buffer from [`alloc`] that was not handed over.
///
/// # Safety
/// `ptr` and `len` must come from one call of `alloc`, not freed or handed over yet.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn free(ptr: *mut u8, len: usize) {
    // SAFETY: per the contract, this is the boxed slice `alloc` leaked.
    drop(unsafe { take(ptr, len) });
}

/// SAFETY: `ptr`/`len` must be a boxed slice leaked by `alloc`.
unsafe fn take(ptr: *mut u8, len: usize) -> Vec<u8> {
    let slice = std::ptr::slice_from_raw_parts_mut(ptr, len);
    // SAFETY: guaranteed by the caller.
    unsafe { Box::from_raw(slice) }.into_vec()
}

/// Opens the head of a packed index; the buffer is handed over.
///
/// # Safety
/// `ptr` and `len` must come from one call of `alloc`, not freed or handed over yet.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn open(ptr: *mut u8, len: usize) -> i32 {
    // SAFETY: per the contract.
    let bytes = unsafe { take(ptr, len) };
    match ChunkStore::from_head(OwnedBytes::new(bytes)) {
        Ok(store) => STATE.with(|state| {
            let mut state = state.borrow_mut();
            state.out.clear();
            state.slots.push(Some(Slot {
                store,
                searcher: None,
            }));
            i32::try_from(state.slots.len() - 1).unwrap_or(-1)
        }),
        Err(error) => {
            set_out(wire::error_json(&error.to_string()));
            -1
        }
    }
}

/// Runs `f` on the slot behind `handle`.
fn with_slot<T>(handle: i32, f: impl FnOnce(&mut Slot) -> Result<T, Error>) -> Result<T, Error> {
    STATE.with(|state| {
        let mut state = state.borrow_mut();
        let slot = usize::try_from(handle)
            .ok()
            .and_then(|i| state.slots.get_mut(i))
            .and_then(Option::as_mut)
            .ok_or_else(|| Error::Request("no such index".into()))?;
        f(slot)
    })
}

/// Adds chunk `id` to the index behind `handle`; the buffer is handed over.
///
/// # Safety
/// `ptr` and `len` must come from one call of `alloc`, not freed or handed over yet.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn add_chunk(handle: i32, id: u32, ptr: *mut u8, len: usize) -> i32 {
    // SAFETY: per the contract.
    let bytes = unsafe { take(ptr, len) };
    match with_slot(handle, |slot| slot.store.add(id, OwnedBytes::new(bytes))) {
        Ok(()) => {
            set_out(String::new());
            0
        }
        Err(error) => {
            set_out(wire::error_json(&error.to_string()));
            1
        }
    }
}

/// Drops the index behind `handle`.
#[unsafe(no_mangle)]
pub extern "C" fn close(handle: i32) {
    STATE.with(|state| {
        let mut state = state.borrow_mut();
        if let Some(slot) = usize::try_from(handle)
            .ok()
            .and_then(|i| state.slots.get_mut(i))
        {
            *slot = None;
        }
    });
}

/// Runs a search request against the index behind `handle`.
///
/// # Safety
/// `ptr` must point to `len` readable bytes (the caller keeps them).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn search(handle: i32, ptr: *const u8, len: usize, limit: usize) -> i32 {
    // SAFETY: per the contract.
    let request = unsafe { std::slice::from_raw_parts(ptr, len) };
    let result = with_slot(handle, |slot| {
        let request =
            std::str::from_utf8(request).map_err(|_| Error::Request("not UTF-8".into()))?;
        let (query, filters) = wire::decode_request(request)?;
        if slot.searcher.is_none() {
            slot.searcher = Some(Searcher::open(slot.store.clone())?);
        }
        let searcher = slot
            .searcher
            .as_ref()
            .ok_or_else(|| Error::Request("index not open".into()))?;
        searcher
            .search(&query, &filters, limit)
            .map(|results| wire::results_json(&results))
    });
    match result {
        Ok(json) => {
            set_out(json);
            0
        }
        Err(Error::NeedChunks(ids)) => {
            set_out(wire::need_json(&ids));
            2
        }
        Err(error) => {
            set_out(wire::error_json(&error.to_string()));
            1
        }
    }
}

/// Start of the last call's output.
#[unsafe(no_mangle)]
pub extern "C" fn out_ptr() -> *const u8 {
    STATE.with(|state| state.borrow().out.as_ptr())
}

/// Length of the last call's output.
#[unsafe(no_mangle)]
pub extern "C" fn out_len() -> usize {
    STATE.with(|state| state.borrow().out.len())
}
