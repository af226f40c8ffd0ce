//! Mutation fuzzing over real Rust: every `.rs` file of this repository (the library, the
//! CLI, the labs, the models, the tests), mutated — ranges deleted, duplicated, swapped,
//! truncated, wrapped in deep nesting, spliced with fragments of the annotation grammar;
//! then, one time in four, its bytes: a flipped bit (often no longer UTF-8), a byte-order
//! mark, CRLF line ends, a huge line, an invalid byte — and each mutant linted and rendered
//! in every format. Nothing may panic, no file may come back as an `internal-error`, each
//! JSON line and the SARIF log must parse, the `#[shapes]` body walker must take every
//! mutant that lexes, and time and heap stay bounded per input byte (the worst of each is
//! printed).
//!
//! 3,000 mutants per run by default (seeded, so a failure repeats); a long run:
//! `INFRALENS_FUZZ_MUTANTS=1000000 cargo test --release -p infralens-cli --test fuzz -- --nocapture`.

use infralens_cli::lint::lint_sources;
use infralens_cli::render::{Format, render};
use infralens_cli::source::Source;
use peak_alloc::PeakAlloc;
use std::path::{Path, PathBuf};
use std::str::FromStr;

// Counts the heap, for the bound per input byte.
#[global_allocator]
static ALLOCATOR: PeakAlloc = PeakAlloc;

/// Fragments that drive mutants deep into the lint's grammar, right and wrong.
const FRAGMENTS: &[&str] = &[
    "#[shapes(x: [B, S, D] -> [B, S, D])]",
    "#[shapes(x: [B, S, D], w: [D, Dkv] -> [B, S, Dkv])]",
    "#[shape(B, H, S, Dh)]",
    "#[shape(B, _)]",
    "#[shapes]",
    "dims! { pub B = 2; pub S = 4; pub D = 16; pub H = 4; pub Dh = D / H; }",
    "dims! { pub D = 18; pub H = 4; pub Dh = D / H; }",
    "dims! { pub S: Sequence = dyn; pub T = P + S; }",
    "let q = x.matmul(&w.t()).split_heads::<H, Dh>();",
    "cat::<2, T, _, _, _>(&a, &b)",
    "x.chunk::<Three, D>()",
    "let [q, k, v] = qkv;",
    "self.wq.forward(&h)",
    "Tensor<(B, S, D)>",
    "Option<>",
    "Result<'a, Tensor>",
    "// infralens: allow(shape-mismatch)",
    "// infralens: allow(",
    "r#type",
    "'a",
    "\"",
    "r#\"",
    "/*",
    "*/",
    "\\",
    "\u{0}",
    "é",
    "::<",
    "->",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ";",
    ",",
    "#",
    "!",
];

/// Mutations of the bytes after those of the text: a flipped bit (often no longer UTF-8), a
/// byte-order mark, CRLF line ends, a huge line (a range's line breaks removed, or a piece
/// repeated on one line), a stray invalid byte.
fn mutate_bytes(rng: &mut Rng, mut bytes: Vec<u8>) -> Vec<u8> {
    let len = bytes.len();
    let a = rng.below(len + 1);
    match rng.below(6) {
        0 if len > 0 => {
            let at = rng.below(len);
            bytes[at] ^= 1 << rng.below(8);
        }
        1 => {
            let mut with = "\u{feff}".as_bytes().to_vec();
            with.extend(bytes);
            bytes = with;
        }
        2 => {
            let crlf: Vec<u8> = bytes
                .iter()
                .flat_map(|&b| {
                    if b == b'\n' {
                        vec![b'\r', b'\n']
                    } else {
                        vec![b]
                    }
                })
                .collect();
            bytes = crlf;
        }
        3 => {
            let b = (a + rng.below(100_000)).min(len);
            for byte in &mut bytes[a..b] {
                if *byte == b'\n' {
                    *byte = b' ';
                }
            }
        }
        4 => {
            let b = (a + rng.below(80)).min(len);
            let piece: Vec<u8> = bytes[a..b]
                .iter()
                .filter(|&&c| c != b'\n')
                .copied()
                .collect();
            let times = 1 + rng.below(500);
            let huge: Vec<u8> = piece
                .iter()
                .copied()
                .cycle()
                .take(piece.len() * times)
                .collect();
            bytes.splice(a..a, huge);
        }
        _ => bytes.insert(a, [0xff, 0xc0, 0x80, 0xfe][rng.below(4)]),
    }
    bytes
}

/// xorshift64*: a seeded, reproducible stream of numbers.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// The repository's `.rs` files (not `target/`).
fn corpus() -> Vec<(PathBuf, String)> {
    fn walk(dir: &Path, out: &mut Vec<(PathBuf, String)>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        let mut entries: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        entries.sort();
        for path in entries {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if path.is_dir() {
                if name != "target" && !name.starts_with('.') {
                    walk(&path, out);
                }
            } else if name.ends_with(".rs")
                && let Ok(text) = std::fs::read_to_string(&path)
            {
                out.push((path, text));
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace");
    let mut out = Vec::new();
    walk(root, &mut out);
    out
}

/// A byte index of `text` at a character boundary, at or before `i`.
fn boundary(text: &str, mut i: usize) -> usize {
    i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn mutate(rng: &mut Rng, text: &str) -> String {
    let mut s = text.to_owned();
    for _ in 0..=rng.below(4) {
        let len = s.len();
        let a = boundary(&s, rng.below(len + 1));
        let b = boundary(&s, a + rng.below(200.min(len - a + 1)));
        match rng.below(7) {
            0 => s.replace_range(a..b, ""),
            1 => {
                let piece = s[a..b].to_owned();
                s.insert_str(b, &piece);
            }
            2 => s.insert_str(a, FRAGMENTS[rng.below(FRAGMENTS.len())]),
            3 => s.truncate(a),
            4 => {
                // Nesting: deep enough to reach the pre-scan's limits now and then.
                let depth = 1 + rng.below(1500);
                let (open, close) = ["()", "[]", "{}"][rng.below(3)].split_at(1);
                let inner = s[a..b].to_owned();
                s.replace_range(
                    a..b,
                    &format!("{}{inner}{}", open.repeat(depth), close.repeat(depth)),
                );
            }
            5 => {
                let c = boundary(&s, rng.below(len + 1));
                let piece = s[a..b].to_owned();
                s.replace_range(a..b, "");
                let c = boundary(&s, c.min(s.len()));
                s.insert_str(c, &piece);
            }
            _ => {
                let fragment = FRAGMENTS[rng.below(FRAGMENTS.len())];
                s.replace_range(a..b, fragment);
            }
        }
    }
    s
}

/// The harness's own parses (does a mutant parse, does each fix round parse) and the body
/// walker recurse as deep as the lint's workers do: on a thread with their stack (256 MiB), as
/// the 2 MiB of a test thread overflowed on a mutant 400 blocks deep that the lint itself took.
#[test]
fn mutated_real_files_never_crash_the_lint_or_the_macro_walker() {
    let run = std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(run_mutants)
        .expect("a thread for the fuzzer");
    if let Err(panic) = run.join() {
        std::panic::resume_unwind(panic);
    }
}

fn run_mutants() {
    let mutants: usize = std::env::var("INFRALENS_FUZZ_MUTANTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3_000);
    let corpus = corpus();
    assert!(
        corpus.len() > 100,
        "the repository's sources: {}",
        corpus.len()
    );
    let mut rng = Rng(0x1f2e_3d4c_5b6a_7988);
    let (mut findings, mut lexed, mut not_utf8, mut fixed_files) = (0usize, 0usize, 0usize, 0usize);
    // The worst time and heap per kilobyte of input, and the mutants they were on.
    let (mut worst_time, mut worst_heap) = ((0.0f64, 0usize), (0.0f64, 0usize));
    // `INFRALENS_FUZZ_FROM=N`: the mutants before N are made (the stream is the same) but
    // not run, and each one after is named on stderr before it runs — to find the one that
    // crashes the process (a stack overflow cannot be caught).
    let from: Option<usize> = std::env::var("INFRALENS_FUZZ_FROM")
        .ok()
        .and_then(|v| v.parse().ok());
    for i in 0..mutants {
        let (path, text) = &corpus[rng.below(corpus.len())];
        let mut bytes = mutate(&mut rng, text).into_bytes();
        if rng.below(4) == 0 {
            bytes = mutate_bytes(&mut rng, bytes);
        }
        if let Some(from) = from {
            if i < from {
                continue;
            }
            eprintln!("mutant {i} of {}", path.display());
        }
        let source = Source::from_bytes("mutant.rs", bytes.clone());
        not_utf8 += usize::from(source.not_utf8);
        let mutant = source.text.clone();
        let before = ALLOCATOR.current_usage();
        ALLOCATOR.reset_peak_usage();
        let start = std::time::Instant::now();
        let report = std::panic::catch_unwind(|| lint_sources(vec![source]))
            .unwrap_or_else(|_| panic!("mutant {i} of {} panicked the lint", path.display()));
        let seconds = start.elapsed().as_secs_f64();
        let heap = ALLOCATOR.peak_usage().saturating_sub(before);
        let kb = (bytes.len() as f64 / 1024.0).max(1.0);
        if seconds / kb > worst_time.0 {
            worst_time = (seconds / kb, i);
        }
        if heap as f64 / kb > worst_heap.0 {
            worst_heap = (heap as f64 / kb, i);
        }
        // Bounds against hangs and blow-ups, far above the worst seen (a few ms and a few
        // hundred KB of heap per KB): not a speed test.
        assert!(
            seconds < 60.0,
            "mutant {i} of {}: {seconds:.1} s",
            path.display()
        );
        assert!(
            heap < 256 * 1024 * 1024 + 1024 * bytes.len(),
            "mutant {i} of {}: {heap} bytes of heap for {} bytes",
            path.display(),
            bytes.len()
        );
        assert!(
            report
                .diagnostics
                .iter()
                .all(|d| d.code != "internal-error"),
            "mutant {i} of {}: an internal error",
            path.display()
        );
        findings += report.diagnostics.len();
        for format in [Format::Human, Format::Json, Format::Github, Format::Sarif] {
            let out = render(&report.diagnostics, format, false);
            match format {
                Format::Json => {
                    for line in out.lines() {
                        serde_json::from_str::<serde_json::Value>(line).unwrap_or_else(|e| {
                            panic!("mutant {i}: a JSON line does not parse: {e}")
                        });
                    }
                }
                Format::Sarif => {
                    serde_json::from_str::<serde_json::Value>(&out)
                        .unwrap_or_else(|e| panic!("mutant {i}: the SARIF does not parse: {e}"));
                }
                _ => {}
            }
        }
        // `--fix` on a mutant that parses: each round's result parses, and the rounds end
        // (the fixes converge, as `lint --fix` lints again until nothing is left to fix).
        if !infralens_cli::fix::by_file(&report.diagnostics).is_empty()
            && syn::parse_file(&mutant).is_ok()
        {
            let mut text = mutant.to_string();
            let mut diagnostics = report.diagnostics.clone();
            let mut rounds = 0;
            loop {
                let edits = infralens_cli::fix::by_file(&diagnostics);
                let Some(edits) = edits.get("mutant.rs") else {
                    break;
                };
                let (fixed, made) = infralens_cli::fix::apply(&text, edits);
                if made == 0 || fixed == text {
                    break;
                }
                assert!(
                    syn::parse_file(&fixed).is_ok(),
                    "mutant {i} of {}: a fix broke a file that parsed",
                    path.display()
                );
                text = fixed;
                rounds += 1;
                assert!(
                    rounds <= 16,
                    "mutant {i} of {}: the fixes do not converge",
                    path.display()
                );
                diagnostics =
                    lint_sources(vec![Source::new("mutant.rs", text.clone())]).diagnostics;
            }
            fixed_files += 1;
        }
        // The macro's own walker over the body, as `#[shapes]` runs it.
        if let Ok(tokens) = proc_macro2::TokenStream::from_str(&mutant) {
            lexed += 1;
            let walked = std::panic::catch_unwind(|| {
                let _ = infralens_syntax::body::rewrite_shape_lets(tokens, |_| {
                    proc_macro2::TokenStream::new()
                });
            });
            assert!(
                walked.is_ok(),
                "mutant {i} of {} panicked the body walker",
                path.display()
            );
        }
    }
    println!(
        "{mutants} mutants of {} files: {findings} findings, {fixed_files} fixed to the end (each round parses), {lexed} lexed and walked, {not_utf8} not UTF-8, no crash; worst {:.2} ms per KB (mutant {}), worst heap {:.0} KB per KB (mutant {})",
        corpus.len(),
        worst_time.0 * 1e3,
        worst_time.1,
        worst_heap.0 / 1024.0,
        worst_heap.1
    );
}
