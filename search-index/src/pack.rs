//! The packed format: an index as one small *head* and many fixed-size *chunks*, so that a
//! browser downloads only the parts of the index a search reads.
//!
//! Every file of the index is cut into chunks of a size chosen for its kind (see
//! [`chunk_size_for`]); chunks are numbered in file order, then in order within a file, and
//! each one is published as its own file. The head names the files and carries a copy of the
//! chunks that opening the index reads (term-dictionary indexes, field norms, facet columns,
//! the document store's skip index, `meta.json`), so one request opens the index.
//!
//! ```text
//! magic  "CPIX"                  4 bytes
//! version                        u8 (2), then 3 zero bytes
//! file count                     u32 LE
//! file count × entry             name_len u16 LE, name (UTF-8), len u32 LE, chunk_size u32 LE
//! inline count                   u32 LE
//! inline count × chunk           id u32 LE, then the chunk's bytes (its length follows from
//!                                the table of files)
//! ```
//! Files are sorted by name, so the same files always pack to the same bytes. A file of
//! `len` bytes cut at `chunk_size` has `ceil(len / chunk_size)` chunks, all of `chunk_size`
//! bytes except the last.

use tantivy::directory::OwnedBytes;

use crate::error::Error;

const MAGIC: &[u8; 4] = b"CPIX";
const VERSION: u8 = 2;

/// Chunk size for a file of the index, by kind: small where a search reads scattered small
/// pieces (stored documents, dictionary blocks, postings), larger for positions (read only
/// by phrase queries) and for files read whole.
pub fn chunk_size_for(name: &str) -> u32 {
    match name.rsplit('.').next() {
        Some("store") => 2 * 1024,
        Some("term" | "idx") => 4 * 1024,
        _ => 16 * 1024,
    }
}

/// One file of the index: its name, length and chunk size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileEntry {
    /// Name inside the index (`meta.json`, `<segment>.term`, …).
    pub name: String,
    /// Length in bytes.
    pub len: u32,
    /// Size of its chunks (the last may be shorter).
    pub chunk_size: u32,
    /// Id of its first chunk.
    pub first_chunk: u32,
}

impl FileEntry {
    /// Number of chunks of the file.
    pub fn chunk_count(&self) -> u32 {
        self.len.div_ceil(self.chunk_size)
    }

    /// Length of the file's chunk `i` (counted within the file).
    pub fn chunk_len(&self, i: u32) -> u32 {
        let start = i * self.chunk_size;
        (self.len - start).min(self.chunk_size)
    }
}

/// The table of files of an index.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Toc {
    files: Vec<FileEntry>,
    chunk_count: u32,
}

impl Toc {
    fn from_sizes(sizes: impl IntoIterator<Item = (String, u32, u32)>) -> Result<Toc, Error> {
        let mut files = Vec::new();
        let mut next = 0u32;
        for (name, len, chunk_size) in sizes {
            if chunk_size == 0 {
                return Err(Error::Pack(format!("file {name} has a chunk size of 0")));
            }
            if files.iter().any(|f: &FileEntry| f.name == name) {
                return Err(Error::Pack(format!("duplicate file {name}")));
            }
            let entry = FileEntry {
                name,
                len,
                chunk_size,
                first_chunk: next,
            };
            next = next
                .checked_add(entry.chunk_count())
                .ok_or_else(|| Error::Pack("too many chunks".into()))?;
            files.push(entry);
        }
        Ok(Toc {
            files,
            chunk_count: next,
        })
    }

    /// The files, sorted by name.
    pub fn files(&self) -> &[FileEntry] {
        &self.files
    }

    /// Total number of chunks.
    pub fn chunk_count(&self) -> u32 {
        self.chunk_count
    }

    /// Index of the file named `name`.
    pub fn position(&self, name: &str) -> Option<usize> {
        self.files.iter().position(|f| f.name == name)
    }

    /// Expected length of chunk `id`, or `None` if there is no such chunk.
    pub fn chunk_len(&self, id: u32) -> Option<u32> {
        let file = self
            .files
            .iter()
            .rev()
            .find(|f| f.first_chunk <= id && f.chunk_count() > 0)?;
        let i = id - file.first_chunk;
        (i < file.chunk_count()).then(|| file.chunk_len(i))
    }
}

/// A packed index: the head and every chunk (chunk `id` is `chunks[id]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packed {
    /// Table of files and the chunks needed to open the index.
    pub head: Vec<u8>,
    /// All chunks, in id order.
    pub chunks: Vec<Vec<u8>>,
}

impl Packed {
    /// A 64-bit FNV-1a hash of the head and of every chunk.
    pub fn fingerprint(&self) -> u64 {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        let mut eat = |bytes: &[u8]| {
            for &b in bytes {
                hash ^= u64::from(b);
                hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
            }
        };
        eat(&self.head);
        for chunk in &self.chunks {
            eat(&(chunk.len() as u64).to_le_bytes());
            eat(chunk);
        }
        hash
    }

    /// The files to publish for the index of language `lang`, named after its content so
    /// that browsers may cache them for ever: the head `<lang>.<hash>.idx` first, then each
    /// chunk `<lang>.<hash>/<id>.bin`. The reader finds a chunk at the head's URL with
    /// `.idx` replaced by `/<id>.bin`.
    pub fn published(&self, lang: &str) -> Vec<(String, &[u8])> {
        let stem = format!("{lang}.{:016x}", self.fingerprint());
        let mut files = Vec::with_capacity(1 + self.chunks.len());
        files.push((format!("{stem}.idx"), self.head.as_slice()));
        for (id, chunk) in self.chunks.iter().enumerate() {
            files.push((format!("{stem}/{id}.bin"), chunk.as_slice()));
        }
        files
    }

    /// Bytes of the head and of all chunks.
    pub fn total_len(&self) -> usize {
        self.head.len() + self.chunks.iter().map(Vec::len).sum::<usize>()
    }
}

/// Cuts `files` (name, content) into chunks; names are sorted first. Returns the table of
/// files and the chunks, in id order.
pub fn split(files: &[(String, Vec<u8>)]) -> Result<(Toc, Vec<Vec<u8>>), Error> {
    let mut sorted: Vec<&(String, Vec<u8>)> = files.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let toc = Toc::from_sizes(
        sorted
            .iter()
            .map(|(name, data)| {
                let len = u32::try_from(data.len())
                    .map_err(|_| Error::Pack(format!("index too big at {name}")))?;
                Ok((name.clone(), len, chunk_size_for(name)))
            })
            .collect::<Result<Vec<_>, Error>>()?,
    )?;
    let mut chunks = Vec::with_capacity(toc.chunk_count as usize);
    for ((_, data), entry) in sorted.iter().zip(&toc.files) {
        chunks.extend(data.chunks(entry.chunk_size as usize).map(<[u8]>::to_vec));
    }
    Ok((toc, chunks))
}

/// Writes the head: the table of files and the chunks listed in `inline` (ids, ascending).
pub fn encode_head(toc: &Toc, chunks: &[Vec<u8>], inline: &[u32]) -> Result<Vec<u8>, Error> {
    let mut out = Vec::new();
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[VERSION, 0, 0, 0]);
    let count = u32::try_from(toc.files.len()).map_err(|_| Error::Pack("too many files".into()))?;
    out.extend_from_slice(&count.to_le_bytes());
    for file in &toc.files {
        let name_len = u16::try_from(file.name.len())
            .map_err(|_| Error::Pack(format!("file name too long: {}", file.name)))?;
        out.extend_from_slice(&name_len.to_le_bytes());
        out.extend_from_slice(file.name.as_bytes());
        out.extend_from_slice(&file.len.to_le_bytes());
        out.extend_from_slice(&file.chunk_size.to_le_bytes());
    }
    let inline_count =
        u32::try_from(inline.len()).map_err(|_| Error::Pack("too many chunks".into()))?;
    out.extend_from_slice(&inline_count.to_le_bytes());
    for &id in inline {
        let chunk = chunks
            .get(id as usize)
            .ok_or_else(|| Error::Pack(format!("no chunk {id}")))?;
        out.extend_from_slice(&id.to_le_bytes());
        out.extend_from_slice(chunk);
    }
    Ok(out)
}

/// Reads a head: the table of files and the inlined chunks (slices of `bytes`, no copy).
pub fn decode_head(bytes: OwnedBytes) -> Result<(Toc, Vec<(u32, OwnedBytes)>), Error> {
    let mut reader = Reader {
        bytes: bytes.as_slice(),
        pos: 0,
    };
    if reader.take(4)? != MAGIC {
        return Err(Error::Pack("not a packed index (bad magic)".into()));
    }
    let version = reader.take(4)?[0];
    if version != VERSION {
        return Err(Error::Pack(format!("unsupported version {version}")));
    }
    let count = reader.u32()? as usize;
    let mut sizes = Vec::with_capacity(count.min(64));
    for _ in 0..count {
        let name_len = usize::from(reader.u16()?);
        let name = std::str::from_utf8(reader.take(name_len)?)
            .map_err(|_| Error::Pack("file name is not UTF-8".into()))?
            .to_string();
        let len = reader.u32()?;
        let chunk_size = reader.u32()?;
        sizes.push((name, len, chunk_size));
    }
    let toc = Toc::from_sizes(sizes)?;
    let inline_count = reader.u32()? as usize;
    let mut inline = Vec::with_capacity(inline_count.min(1024));
    for _ in 0..inline_count {
        let id = reader.u32()?;
        let len = toc
            .chunk_len(id)
            .ok_or_else(|| Error::Pack(format!("inlined chunk {id} does not exist")))?;
        let start = reader.pos;
        reader.take(len as usize)?;
        inline.push((id, bytes.slice(start..reader.pos)));
    }
    if reader.pos != bytes.len() {
        return Err(Error::Pack("trailing bytes after the head".into()));
    }
    Ok((toc, inline))
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], Error> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|end| *end <= self.bytes.len())
            .ok_or_else(|| Error::Pack("truncated head".into()))?;
        let slice = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(slice)
    }

    fn u16(&mut self) -> Result<u16, Error> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    fn u32(&mut self) -> Result<u32, Error> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_follow_files() {
        let files = vec![
            ("b.store".to_string(), vec![7u8; 5000]),
            ("a.json".to_string(), vec![1u8; 10]),
            ("c.empty".to_string(), Vec::new()),
        ];
        let (toc, chunks) = split(&files).expect("split");
        assert_eq!(toc.chunk_count(), 4); // a: 1, b: 3 (2048 + 2048 + 904), c: 0
        assert_eq!(toc.chunk_len(0), Some(10));
        assert_eq!(toc.chunk_len(3), Some(904));
        assert_eq!(toc.chunk_len(4), None);
        assert_eq!(chunks[3].len(), 904);
        let head = encode_head(&toc, &chunks, &[0, 3]).expect("head");
        let (decoded, inline) = decode_head(OwnedBytes::new(head)).expect("decoded");
        assert_eq!(decoded, toc);
        assert_eq!(inline.len(), 2);
        assert_eq!(inline[1].0, 3);
        assert_eq!(inline[1].1.as_slice(), &chunks[3][..]);
    }
}
