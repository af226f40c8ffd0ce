//! The parsers never panic, whatever they are given: property tests over generated
//! annotation-like token soups and arbitrary text.
//!
//! 100,000 inputs per grammar per run by default; set `INFRALENS_FUZZ_CASES` for a longer
//! run, e.g. `INFRALENS_FUZZ_CASES=5000000 cargo test --release -p infralens-syntax --test never_panics`.

use infralens_syntax::dims::DimsBlock;
use infralens_syntax::shapes::{LetShape, ShapesArgs};
use proptest::prelude::*;

fn cases() -> u32 {
    std::env::var("INFRALENS_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000)
}

/// Pieces of the grammars, right and wrong, so that most inputs get deep into the parsers.
const PIECES: &[&str] = &[
    "x",
    "wq",
    "B",
    "S",
    "D",
    "H",
    "Dh",
    "self",
    "pub",
    "pub(crate)",
    "where",
    ":",
    "::",
    ",",
    ";",
    "=",
    "*",
    "/",
    "+",
    "-",
    "->",
    "[",
    "]",
    "(",
    ")",
    "{",
    "}",
    "0",
    "4",
    "16",
    "18",
    "128_256",
    "18446744073709551615",
    "99999999999999999999",
    "\"s\"",
    "'a",
    "#",
    "!",
    "/// doc",
    "#[doc = \"d\"]",
    "&",
    "Tensor",
    "<",
    ">",
    "_",
    "1.5",
    "4u8",
];

fn soup() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(PIECES), 0..24).prop_map(|v| v.join(" "))
}

fn parse_everything(src: &str) {
    if let Ok(block) = syn::parse_str::<DimsBlock>(src) {
        let _ = block.resolve();
    }
    let _ = syn::parse_str::<ShapesArgs>(src);
    let _ = syn::parse_str::<LetShape>(src);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn token_soups_never_panic(src in soup()) {
        parse_everything(&src);
    }

    #[test]
    fn arbitrary_text_never_panics(src in "\\PC{0,40}") {
        parse_everything(&src);
    }
}

/// Inputs that once broke, or could: kept as plain tests.
#[test]
fn known_edge_cases() {
    for src in [
        "",
        ";",
        "pub",
        "pub B",
        "pub B =",
        "pub B = 0;",
        "pub A = A;",
        "pub A = B / C; pub B = 1; pub C = 0;",
        "pub X = 18446744073709551615 * 2;",
        "x: [",
        "x: [B,]",
        "-> []",
        "where",
        "where D =",
        "self: [B]",
        "pub A = 4 / 0;",
    ] {
        parse_everything(src);
    }
}
