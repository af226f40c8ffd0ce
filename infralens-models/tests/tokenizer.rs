//! The tokenizer against Python's `tokenizers`: every case of `scripts/make-tokenizer.py`
//! (special tokens, unknown characters, whitespace, the empty text) encodes to the ids
//! Python gave and decodes to Python's text, both ways of treating special tokens
//! (issue 28).

use infralens_models::Tokenizer;
use serde_json::Value;
use std::path::PathBuf;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

#[test]
fn encodes_and_decodes_as_python_does() {
    let tok = Tokenizer::open(fixture("tokenizer").join("tokenizer.json")).expect("opens");
    let cases: Value = serde_json::from_str(
        &std::fs::read_to_string(fixture("tokenizer").join("cases.json")).expect("cases"),
    )
    .expect("JSON");
    let cases = cases["cases"].as_array().expect("a list");
    assert_eq!(cases.len(), 16);
    for case in cases {
        let text = case["text"].as_str().expect("text");
        let special = case["add_special_tokens"].as_bool().expect("a flag");
        let want: Vec<u32> = case["ids"]
            .as_array()
            .expect("ids")
            .iter()
            .map(|v| v.as_u64().expect("an id") as u32)
            .collect();
        let ids = tok.encode(text, special).expect("encodes");
        assert_eq!(ids, want, "{text:?} (special tokens: {special})");
        assert_eq!(
            tok.decode(&ids, false).expect("decodes"),
            case["decoded"].as_str().expect("text"),
            "{text:?}"
        );
        let skipped = tok.decode(&ids, true).expect("decodes");
        assert_eq!(
            skipped,
            case["decoded_skipping_special"].as_str().expect("text"),
            "{text:?}"
        );
        // Streamed one id at a time, the pieces make the same text.
        let mut stream = tok.stream();
        let mut streamed = String::new();
        for &id in &ids {
            streamed.push_str(&stream.push(id).expect("decodes"));
        }
        assert_eq!(streamed, skipped, "{text:?} streamed");
    }
}

#[test]
fn a_file_that_is_not_a_tokenizer_is_refused_by_name() {
    let path = std::env::temp_dir().join(format!(
        "infralens-not-a-tokenizer-{}.json",
        std::process::id()
    ));
    std::fs::write(&path, r#"{"model": {"type": "NoSuchModel"}}"#).expect("write");
    let err = Tokenizer::open(&path)
        .expect_err("not a tokenizer")
        .to_string();
    assert!(err.contains("not a tokenizer this crate reads"), "{err}");
    assert!(err.contains(&*path.to_string_lossy()), "{err}");
    let _ = std::fs::remove_file(path);
}

/// A long text streamed one id at a time (the stream decodes a window of a few ids, not the
/// whole text, each step): the pieces join to the text decoded at once, and after a context
/// the first piece is spaced as in the middle of the text.
#[test]
fn a_long_stream_joins_to_the_whole_decoded_text() {
    let tok = Tokenizer::open(fixture("tokenizer").join("tokenizer.json")).expect("opens");
    let text = "The cache holds the keys and values of every position before this one; \
                attention over all the keys — café, naïve, 東京 — reads them again each step. "
        .repeat(6);
    let ids = tok.encode(&text, false).expect("encodes");
    assert!(ids.len() > 200, "{} ids", ids.len());
    let whole = tok.decode(&ids, true).expect("decodes");
    let mut stream = tok.stream();
    let mut streamed = String::new();
    for &id in &ids {
        streamed.push_str(&stream.push(id).expect("decodes"));
    }
    assert_eq!(streamed, whole);
    let (context, rest) = ids.split_at(100);
    let mut stream = tok.stream_after(context).expect("decodes");
    let mut tail = String::new();
    for &id in rest {
        tail.push_str(&stream.push(id).expect("decodes"));
    }
    let head = tok.decode(context, true).expect("decodes");
    assert_eq!(format!("{head}{tail}"), whole);
}
