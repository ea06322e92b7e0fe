//! A read-only tantivy [`Directory`] over the chunks of a packed index, filled in as they
//! arrive.
//!
//! A read that needs a chunk not present yet fails with an I/O error and records the chunk
//! as *missing*; the caller ([`crate::Searcher`]) turns that into
//! [`Error::NeedChunks`](crate::Error::NeedChunks), the browser fetches them, adds them with
//! [`ChunkStore::add`] and asks again. Opening needs no writes: `acquire_lock` hands out a
//! lock without creating a lock file, `watch` never spawns a watcher thread.

use std::collections::BTreeSet;
use std::io;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use tantivy::Directory;
use tantivy::HasLen;
use tantivy::directory::error::{DeleteError, LockError, OpenReadError, OpenWriteError};
use tantivy::directory::{
    DirectoryLock, FileHandle, Lock, OwnedBytes, WatchCallback, WatchHandle, WritePtr,
};

use crate::error::Error;
use crate::pack::{self, Toc};

/// The chunks of one index received so far, and those a read asked for in vain.
#[derive(Debug)]
pub struct ChunkStore {
    toc: Toc,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    chunks: Vec<Option<OwnedBytes>>,
    missing: BTreeSet<u32>,
    /// Every chunk read, when recording (the writer uses it to choose what to inline).
    touched: Option<BTreeSet<u32>>,
}

impl ChunkStore {
    /// A store holding the chunks inlined in `head` (the head of a packed index).
    pub fn from_head(head: OwnedBytes) -> Result<Arc<ChunkStore>, Error> {
        let (toc, inline) = pack::decode_head(head)?;
        let store = ChunkStore::empty(toc);
        for (id, bytes) in inline {
            store.add(id, bytes)?;
        }
        Ok(Arc::new(store))
    }

    /// A store holding every chunk of a packed index.
    pub fn complete(packed: &pack::Packed) -> Result<Arc<ChunkStore>, Error> {
        let store = ChunkStore::from_head(OwnedBytes::new(packed.head.clone()))?;
        for (id, chunk) in packed.chunks.iter().enumerate() {
            let id = u32::try_from(id).map_err(|_| Error::Pack("too many chunks".into()))?;
            store.add(id, OwnedBytes::new(chunk.clone()))?;
        }
        Ok(store)
    }

    /// A store of `chunks` (all of them) that records which ones are read.
    #[cfg(feature = "writer")]
    pub(crate) fn recording(toc: Toc, chunks: &[Vec<u8>]) -> Result<Arc<ChunkStore>, Error> {
        let store = ChunkStore::empty(toc);
        for (id, chunk) in chunks.iter().enumerate() {
            let id = u32::try_from(id).map_err(|_| Error::Pack("too many chunks".into()))?;
            store.add(id, OwnedBytes::new(chunk.clone()))?;
        }
        store.lock().touched = Some(BTreeSet::new());
        Ok(Arc::new(store))
    }

    fn empty(toc: Toc) -> ChunkStore {
        let count = toc.chunk_count() as usize;
        ChunkStore {
            toc,
            state: Mutex::new(State {
                chunks: vec![None; count],
                ..State::default()
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the state inconsistent (every update
        // is a single assignment), so a poisoned lock is still good.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Adds chunk `id`; its length must be the one the table of files gives.
    pub fn add(&self, id: u32, bytes: OwnedBytes) -> Result<(), Error> {
        let expected = self
            .toc
            .chunk_len(id)
            .ok_or_else(|| Error::Pack(format!("no chunk {id} in this index")))?;
        if bytes.len() != expected as usize {
            return Err(Error::Pack(format!(
                "chunk {id} has {} bytes, expected {expected}",
                bytes.len()
            )));
        }
        let mut state = self.lock();
        state.missing.remove(&id);
        state.chunks[id as usize] = Some(bytes);
        Ok(())
    }

    /// The chunks reads asked for in vain since the last call (ascending), forgotten.
    pub fn take_missing(&self) -> Vec<u32> {
        std::mem::take(&mut self.lock().missing)
            .into_iter()
            .collect()
    }

    /// Whether a read asked for a chunk not present since the last [`Self::take_missing`].
    pub fn has_missing(&self) -> bool {
        !self.lock().missing.is_empty()
    }

    /// The chunks read so far, when recording.
    #[cfg(feature = "writer")]
    pub(crate) fn touched(&self) -> Vec<u32> {
        self.lock()
            .touched
            .as_ref()
            .map(|t| t.iter().copied().collect())
            .unwrap_or_default()
    }

    /// Number of chunks present, and in all.
    pub fn counts(&self) -> (usize, usize) {
        let state = self.lock();
        (
            state.chunks.iter().filter(|c| c.is_some()).count(),
            state.chunks.len(),
        )
    }

    /// `range` of file `file`, or an error naming the missing chunks (also recorded).
    fn read(&self, file: usize, range: Range<usize>) -> io::Result<OwnedBytes> {
        let entry = &self.toc.files()[file];
        if range.start > range.end || range.end > entry.len as usize {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("read {range:?} past the end of {}", entry.name),
            ));
        }
        if range.is_empty() {
            return Ok(OwnedBytes::empty());
        }
        let size = entry.chunk_size as usize;
        let (first, last) = (range.start / size, (range.end - 1) / size);
        let id = |i: usize| entry.first_chunk as usize + i;
        let mut state = self.lock();
        if let Some(touched) = &mut state.touched {
            touched.extend((first..=last).map(|i| id(i) as u32));
        }
        let absent: Vec<u32> = (first..=last)
            .filter(|&i| state.chunks[id(i)].is_none())
            .map(|i| id(i) as u32)
            .collect();
        if !absent.is_empty() {
            state.missing.extend(absent);
            return Err(io::Error::other(format!(
                "{}: chunks not loaded yet",
                entry.name
            )));
        }
        let offset = first * size;
        let local = range.start - offset..range.end - offset;
        if first == last
            && let Some(chunk) = &state.chunks[id(first)]
        {
            return Ok(chunk.slice(local));
        }
        let mut joined = Vec::with_capacity(range.len());
        for i in first..=last {
            if let Some(chunk) = &state.chunks[id(i)] {
                joined.extend_from_slice(chunk.as_slice());
            }
        }
        Ok(OwnedBytes::new(joined).slice(local))
    }
}

/// One file of the index, read through the store.
#[derive(Debug)]
struct ChunkedFile {
    store: Arc<ChunkStore>,
    file: usize,
    len: usize,
}

impl HasLen for ChunkedFile {
    fn len(&self) -> usize {
        self.len
    }
}

impl FileHandle for ChunkedFile {
    fn read_bytes(&self, range: Range<usize>) -> io::Result<OwnedBytes> {
        self.store.read(self.file, range)
    }
}

/// The index's files, read-only (cheap to clone: the store is shared).
#[derive(Clone, Debug)]
pub struct ChunkDirectory {
    store: Arc<ChunkStore>,
}

impl ChunkDirectory {
    /// A directory reading through `store`.
    pub fn new(store: Arc<ChunkStore>) -> ChunkDirectory {
        ChunkDirectory { store }
    }

    fn file(&self, path: &Path) -> Result<(usize, usize), OpenReadError> {
        path.to_str()
            .and_then(|name| self.store.toc.position(name))
            .map(|i| (i, self.store.toc.files()[i].len as usize))
            .ok_or_else(|| OpenReadError::FileDoesNotExist(path.to_path_buf()))
    }
}

fn read_only(path: &Path) -> Arc<io::Error> {
    Arc::new(io::Error::new(
        io::ErrorKind::PermissionDenied,
        format!("read-only index: cannot write {}", path.display()),
    ))
}

impl Directory for ChunkDirectory {
    fn get_file_handle(&self, path: &Path) -> Result<Arc<dyn FileHandle>, OpenReadError> {
        let (file, len) = self.file(path)?;
        Ok(Arc::new(ChunkedFile {
            store: self.store.clone(),
            file,
            len,
        }))
    }

    fn delete(&self, path: &Path) -> Result<(), DeleteError> {
        Err(DeleteError::IoError {
            io_error: read_only(path),
            filepath: path.to_path_buf(),
        })
    }

    fn exists(&self, path: &Path) -> Result<bool, OpenReadError> {
        Ok(self.file(path).is_ok())
    }

    fn open_write(&self, path: &Path) -> Result<WritePtr, OpenWriteError> {
        Err(OpenWriteError::IoError {
            io_error: read_only(path),
            filepath: path.to_path_buf(),
        })
    }

    fn atomic_read(&self, path: &Path) -> Result<Vec<u8>, OpenReadError> {
        let (file, len) = self.file(path)?;
        self.store
            .read(file, 0..len)
            .map(|bytes| bytes.as_slice().to_vec())
            .map_err(|error| OpenReadError::IoError {
                io_error: Arc::new(error),
                filepath: PathBuf::from(path),
            })
    }

    fn atomic_write(&self, path: &Path, _data: &[u8]) -> io::Result<()> {
        Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!("read-only index: cannot write {}", path.display()),
        ))
    }

    fn sync_directory(&self) -> io::Result<()> {
        Ok(())
    }

    fn watch(&self, _callback: WatchCallback) -> tantivy::Result<WatchHandle> {
        Ok(WatchHandle::empty())
    }

    fn acquire_lock(&self, _lock: &Lock) -> Result<DirectoryLock, LockError> {
        Ok(DirectoryLock::from(Box::new(())))
    }
}
