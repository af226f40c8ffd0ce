//! The README's first example is the crate's doc example, word for word.

#[test]
fn readme_example_is_the_crate_doctest() {
    let readme = include_str!("../README.md");
    let lib = include_str!("../src/lib.rs");
    let readme_block = readme
        .split("```rust\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("the README has a ```rust block");
    let doc: String = lib
        .lines()
        .take_while(|l| l.starts_with("//!"))
        .map(|l| {
            l.strip_prefix("//! ")
                .or_else(|| l.strip_prefix("//!"))
                .unwrap_or(l)
        })
        .collect::<Vec<_>>()
        .join("\n");
    let doc_block = doc
        .split("```\n")
        .nth(1)
        .expect("the crate doc has an example");
    assert_eq!(readme_block.trim_end(), doc_block.trim_end());
    assert!(
        readme_block.lines().count() <= 16,
        "the README example grew past 15 lines"
    );
}
