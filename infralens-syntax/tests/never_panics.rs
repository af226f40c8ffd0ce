//! The parsers never panic, whatever they are given: property tests over generated
//! annotation-like token soups and arbitrary text.
//!
//! 100,000 inputs per grammar per run by default; set `INFRALENS_FUZZ_CASES` for a longer
//! run, e.g. `INFRALENS_FUZZ_CASES=5000000 cargo test --release -p infralens-syntax --test never_panics`.

use infralens_syntax::body::rewrite_shape_lets;
use infralens_syntax::dims::DimsBlock;
use infralens_syntax::function::apply_signature;
use infralens_syntax::shapes::{LetShape, ShapesArgs};
use proptest::prelude::*;
use quote::ToTokens;

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
    // The body walker of `#[shapes]`, on the soup as statements of a body.
    if let Ok(tokens) = format!("{{ #[shape({src})] let y = x; {src} }}").parse() {
        let _ = rewrite_shape_lets(tokens, |_| proc_macro2::TokenStream::new());
    }
    if let Ok(tokens) = src.parse() {
        let _ = rewrite_shape_lets(tokens, |_| proc_macro2::TokenStream::new());
    }
    // The signature rewrite, with the soup as the return type and as the annotation.
    let args: Option<ShapesArgs> = syn::parse_str("x: [B, S, D] -> [B, S, D]").ok();
    if let (Some(args), Ok(mut func)) = (
        args,
        syn::parse_str::<syn::ItemFn>(&format!("fn f(x: &Tensor) -> {src} {{}}")),
    ) {
        let _ = apply_signature(&args, &mut func);
    }
    if let (Ok(args), Ok(mut func)) = (
        syn::parse_str::<ShapesArgs>(src),
        syn::parse_str::<syn::ItemFn>("fn f(x: &Tensor, y: Tensor<_>) -> Option<Tensor> {}"),
    ) {
        let _ = apply_signature(&args, &mut func);
    }
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
        // Once an `unreachable!` in the return-type rewrite (issue: reliability).
        "Option<>",
        "Result<'a, Tensor>",
        "Option<3>",
        "Option<Item = Tensor>",
        "r#type",
        "#[shape(B)] let r#type = x;",
        "#[shape(B)] let y;",
        "#[shape(B)] #[shape(S)] let y = x;",
        "m! { #[shape(B)] let y = x; }",
        "#[shape] let y = x;",
        "#[shape = 1] let y = x;",
        "#[shape(_, _)] let y = x;",
    ] {
        parse_everything(src);
    }
}

/// The return types that once hit an `unreachable!`: each is now reported as not a `Tensor`.
#[test]
fn odd_return_types_are_errors_not_panics() {
    let args: ShapesArgs = syn::parse_str("x: [B, S, D] -> [B, S, D]").expect("annotation");
    for ret in [
        "Option<>",
        "Result<'a, Tensor>",
        "Option<3>",
        "Option<Item = Tensor>",
    ] {
        let mut func: syn::ItemFn =
            syn::parse_str(&format!("fn f(x: &Tensor) -> {ret} {{}}")).expect("parses");
        match apply_signature(&args, &mut func) {
            Err(e) if ret == "Result<'a, Tensor>" => panic!("{ret}: {e}"),
            Err(e) => assert!(e.to_string().contains("is not a `Tensor`"), "{ret}: {e}"),
            Ok(()) => assert_eq!(
                func.sig.output.to_token_stream().to_string(),
                "-> Result < 'a , Tensor < (B , S , D ,) > >"
            ),
        }
    }
}

/// Deep nesting is walked (500 blocks, which rustc compiles) or refused with one error
/// past `MAX_DEPTH`, never a stack overflow.
#[test]
fn deeply_nested_bodies_are_walked_or_refused() {
    use infralens_syntax::body::MAX_DEPTH;
    let nest = |depth: usize| -> proc_macro2::TokenStream {
        let inner = "#[shape(B)] let y = x;";
        format!("{}{inner}{}", "{".repeat(depth), "}".repeat(depth))
            .parse()
            .expect("lexes")
    };
    let mut seen = 0;
    let out = rewrite_shape_lets(nest(500), |_| {
        seen += 1;
        quote::quote!(check(&y);)
    })
    .expect("500 levels are walked");
    assert_eq!(seen, 1);
    assert!(out.to_string().contains("check (& y)"));
    let err = rewrite_shape_lets(nest(MAX_DEPTH + 10), |_| proc_macro2::TokenStream::new())
        .expect_err("refused past the limit");
    assert!(err.to_string().contains("nested more than"), "{err}");
}

/// The lint's walker (`walk_lets`, on syn's tree) and the proc macro's (`rewrite_shape_lets`,
/// on tokens) report the same misplaced `#[shape]`s with the same words.
#[test]
fn lint_and_macro_walkers_agree() {
    use infralens_syntax::function::walk_lets;
    for body in [
        "{ m! { #[shape(B)] let y = x; } }",
        "{ #[shape(B)] let y; y = x; }",
        "{ #[shape(B)] #[shape(S)] let y = x; }",
        "{ #[shape(B)] f(); }",
        "{ #[shape(B)] let (a, b) = x; }",
        "{ #[shape] let y = x; }",
        "{ #[shape()] let y = x; }",
        "{ #[shape(B, _)] let y = x; }",
    ] {
        let mut block: syn::Block = syn::parse_str(body).expect("a block");
        let lint = walk_lets(&mut block, |_| None).expect_err(body).to_string();
        let tokens: proc_macro2::TokenStream = body.parse().expect("lexes");
        let mac = rewrite_shape_lets(tokens, |_| proc_macro2::TokenStream::new())
            .expect_err(body)
            .to_string();
        assert_eq!(lint, mac, "{body}");
    }
}
