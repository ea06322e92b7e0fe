//! The packed format: every file of an index in one byte vector.
//!
//! ```text
//! magic  "CPIX"            4 bytes
//! version                  u8 (1), then 3 zero bytes
//! count                    u32 LE
//! count × entry            name_len u16 LE, name (UTF-8), offset u32 LE, len u32 LE
//! data                     the files, concatenated in entry order
//! ```
//! Offsets are relative to the start of the data area. Entries are sorted by name, so the
//! same files always pack to the same bytes.

use tantivy::directory::OwnedBytes;

use crate::error::Error;

const MAGIC: &[u8; 4] = b"CPIX";
const VERSION: u8 = 1;
const HEADER_LEN: usize = 12;

/// Packs `files` (name, content) into one byte vector; names are sorted first.
pub fn pack(files: &[(String, Vec<u8>)]) -> Result<Vec<u8>, Error> {
    let mut sorted: Vec<&(String, Vec<u8>)> = files.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let count = u32::try_from(sorted.len()).map_err(|_| Error::Pack("too many files".into()))?;
    let toc_len: usize = sorted.iter().map(|(name, _)| 10 + name.len()).sum();
    let data_len: usize = sorted.iter().map(|(_, data)| data.len()).sum();
    let mut out = Vec::with_capacity(HEADER_LEN + toc_len + data_len);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[VERSION, 0, 0, 0]);
    out.extend_from_slice(&count.to_le_bytes());
    let mut offset = 0usize;
    for (name, data) in &sorted {
        let name_len = u16::try_from(name.len())
            .map_err(|_| Error::Pack(format!("file name too long: {name}")))?;
        let too_big = || Error::Pack(format!("index too big at {name}"));
        let start = u32::try_from(offset).map_err(|_| too_big())?;
        let len = u32::try_from(data.len()).map_err(|_| too_big())?;
        out.extend_from_slice(&name_len.to_le_bytes());
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&start.to_le_bytes());
        out.extend_from_slice(&len.to_le_bytes());
        offset += data.len();
    }
    for (_, data) in &sorted {
        out.extend_from_slice(data);
    }
    Ok(out)
}

/// Reads a packed index without copying: each file is a slice of `bytes`.
pub fn unpack(bytes: OwnedBytes) -> Result<Vec<(String, OwnedBytes)>, Error> {
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
    let mut entries = Vec::with_capacity(count.min(64));
    for _ in 0..count {
        let name_len = usize::from(reader.u16()?);
        let name = std::str::from_utf8(reader.take(name_len)?)
            .map_err(|_| Error::Pack("file name is not UTF-8".into()))?
            .to_string();
        let offset = reader.u32()? as usize;
        let len = reader.u32()? as usize;
        entries.push((name, offset, len));
    }
    let data_start = reader.pos;
    let data_len = bytes.len() - data_start;
    let mut files = Vec::with_capacity(entries.len());
    for (name, offset, len) in entries {
        let end = offset
            .checked_add(len)
            .filter(|end| *end <= data_len)
            .ok_or_else(|| Error::Pack(format!("file {name} out of bounds")))?;
        if files
            .iter()
            .any(|(seen, _): &(String, OwnedBytes)| *seen == name)
        {
            return Err(Error::Pack(format!("duplicate file {name}")));
        }
        files.push((name, bytes.slice(data_start + offset..data_start + end)));
    }
    Ok(files)
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
            .ok_or_else(|| Error::Pack("truncated table of contents".into()))?;
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
