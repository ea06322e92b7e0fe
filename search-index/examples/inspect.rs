//! Prints the table of files of a packed index's head and which chunks it inlines:
//! `cargo run --example inspect -- public/search/fr.<hash>.idx`.
use search_index::OwnedBytes;
use search_index::pack::decode_head;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).ok_or("usage: inspect <head.idx>")?;
    let head = std::fs::read(&path)?;
    let size = head.len();
    let (toc, inline) = decode_head(OwnedBytes::new(head))?;
    println!("{path}: {size} bytes, {} chunks", toc.chunk_count());
    println!(
        "{:<44} {:>9} {:>6} {:>7} {:>8}",
        "file", "bytes", "chunk", "chunks", "inlined"
    );
    for file in toc.files() {
        let range = file.first_chunk..file.first_chunk + file.chunk_count();
        let inlined = inline.iter().filter(|(id, _)| range.contains(id)).count();
        println!(
            "{:<44} {:>9} {:>6} {:>7} {:>8}",
            file.name,
            file.len,
            file.chunk_size,
            file.chunk_count(),
            inlined
        );
    }
    Ok(())
}
