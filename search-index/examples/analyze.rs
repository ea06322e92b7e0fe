//! Prints the terms of a text: `cargo run --example analyze -- en "recruitment fees"`.
use search_index::Lang;
use search_index::analyzer::{analyzer, tokens};

fn main() -> Result<(), search_index::Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let lang: Lang = args.first().map_or("fr", String::as_str).parse()?;
    for text in args.iter().skip(1) {
        let terms: Vec<String> = tokens(&mut analyzer(lang), text)
            .into_iter()
            .map(|t| t.text)
            .collect();
        println!("{text:?} -> {terms:?}");
    }
    Ok(())
}
