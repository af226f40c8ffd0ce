//! Lint throughput: a generated 100,000-line crate of attention code, half of it annotated
//! with `#[shapes]` and `#[shape]`, linted on every core (as the binary does), in lines per
//! second; and the lint against `rustfmt --check` on the same files.
//!
//! `cargo bench -p infralens-benches --bench lint`

use criterion::{BatchSize, Criterion, Throughput, criterion_main};
use infralens_cli::lint::lint_sources;
use infralens_cli::source::Source;
use std::fmt::Write as _;
use std::hint::black_box;

// As in the `infralens` binary.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// One file of the corpus: a `dims!` block, annotated attention functions that follow their
/// shapes through the ops, and ordinary unannotated Rust around them.
fn file(i: usize) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        "//! Module {i} of the generated corpus.\n\nuse infralens::prelude::*;\n\ndims! {{\n    /// Batch.\n    pub B{i} = 2;\n    /// Sequence.\n    pub S{i} = {s};\n    /// Width.\n    pub D{i} = 64;\n    /// Heads.\n    pub H{i} = 8;\n    /// Head width.\n    pub Dh{i} = D{i} / H{i};\n}}\n\n",
        s = 4 + i % 60
    );
    for j in 0..20 {
        let _ = write!(
            s,
            r#"/// Attention {j}.
#[shapes(x: [B{i}, S{i}, D{i}], wq: [D{i}, D{i}], wk: [D{i}, D{i}], wv: [D{i}, D{i}] -> [B{i}, S{i}, D{i}])]
pub fn attention_{j}(x: &Tensor, wq: &Tensor, wk: &Tensor, wv: &Tensor) -> Tensor {{
    #[shape(B{i}, H{i}, S{i}, Dh{i})]
    let q = x.matmul(wq).split_heads::<H{i}, Dh{i}>();
    #[shape(B{i}, H{i}, S{i}, Dh{i})]
    let k = x.matmul(wk).split_heads::<H{i}, Dh{i}>();
    let v = x.matmul(wv).split_heads::<H{i}, Dh{i}>();
    #[shape(B{i}, H{i}, S{i}, S{i})]
    let p = q.matmul(&k.t()).scale(0.125).causal_mask().softmax();
    #[shape(B{i}, H{i}, S{i}, Dh{i})]
    let ctx = p.matmul(&v);
    ctx.merge_heads::<D{i}>()
}}

/// Bookkeeping {j}, not annotated.
#[derive(Debug, Clone, Default)]
pub struct Stats{j} {{
    /// Calls.
    pub calls: u64,
    /// Names seen.
    pub names: Vec<String>,
}}

impl Stats{j} {{
    /// Records a call.
    pub fn record(&mut self, name: &str) -> usize {{
        self.calls += 1;
        if !self.names.iter().any(|n| n == name) {{
            self.names.push(name.to_owned());
        }}
        match self.calls % 3 {{
            0 => self.names.len(),
            1 => self.names.iter().map(String::len).sum(),
            _ => 0,
        }}
    }}
}}

"#
        );
    }
    s
}

fn corpus(min_lines: usize) -> Vec<Source> {
    let mut sources = Vec::new();
    let mut lines = 0;
    while lines < min_lines {
        let text = file(sources.len());
        lines += text.lines().count();
        sources.push(Source::new(&format!("src/m{}.rs", sources.len()), text));
    }
    sources
}

fn lint_throughput(c: &mut Criterion) {
    let sources = corpus(100_000);
    let lines: usize = sources.iter().map(|s| s.text.lines().count()).sum();
    let report = lint_sources(sources.clone());
    assert!(
        report.diagnostics.is_empty(),
        "the corpus is clean: {:?}",
        report.diagnostics.first()
    );
    let mut group = c.benchmark_group("lint");
    group.throughput(Throughput::Elements(lines as u64));
    group.sample_size(10);
    group.bench_function(format!("{} files, {lines} lines", sources.len()), |b| {
        // The copy of the sources, the lint's input, is made outside the timing.
        b.iter_batched(
            || sources.clone(),
            |s| lint_sources(black_box(s)),
            BatchSize::LargeInput,
        )
    });
    group.finish();

    // The figures the README quotes: lint passes interleaved with passes that only parse
    // the same files with syn (the floor any syn-based linter pays), so that the machine's
    // drift hits both alike.
    let (mut lint, mut parse) = (Vec::new(), Vec::new());
    for _ in 0..11 {
        let input = sources.clone();
        let start = std::time::Instant::now();
        black_box(lint_sources(input));
        lint.push(start.elapsed().as_secs_f64());
        let start = std::time::Instant::now();
        for s in &sources {
            black_box(syn::parse_file(&s.text).ok());
        }
        parse.push(start.elapsed().as_secs_f64());
    }
    lint.sort_by(f64::total_cmp);
    parse.sort_by(f64::total_cmp);
    let (median, best) = (lint[lint.len() / 2], lint[0]);
    println!(
        "lint: {lines} lines in {:.1} ms median, {:.1} ms best of 11 = {:.0} lines/s median, {:.0} lines/s best, on {} threads (target ≥ 200000); syn::parse_file alone, one thread: {:.1} ms median, so the lint costs {:.2}× the parse",
        median * 1e3,
        best * 1e3,
        lines as f64 / median,
        lines as f64 / best,
        std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
        parse[parse.len() / 2] * 1e3,
        median / parse[parse.len() / 2]
    );
}

/// The corpus with every function annotated: the unannotated bookkeeping of [`file`]
/// replaced by more annotated attention.
fn all_annotated(i: usize) -> String {
    let text = file(i);
    let mut out = String::new();
    let mut skipping = false;
    for line in text.lines() {
        if line.starts_with("/// Bookkeeping") {
            skipping = true;
        } else if skipping && line.starts_with("/// Attention") {
            skipping = false;
        }
        if !skipping {
            out.push_str(line);
            out.push('\n');
        }
    }
    // As many lines again, annotated: the attention functions under other names.
    let more = out
        .split("/// Attention ")
        .skip(1)
        .map(|f| {
            format!(
                "/// Attention {}",
                f.replace("pub fn attention_", "pub fn again_")
            )
        })
        .collect::<String>();
    out.push_str(&more);
    out.push_str(&more.replace("again_", "third_"));
    out
}

/// `infralens lint` (reading the files, as the binary does) against `rustfmt --check` on
/// the same files, interleaved in one run, for a crate of 10,000 and one of 100,000 lines:
/// the issue's target is ≤ 0.5× rustfmt's time.
fn against_rustfmt(_: &mut Criterion) {
    let rustfmt = std::process::Command::new("rustfmt")
        .arg("--version")
        .output();
    if !rustfmt.is_ok_and(|o| o.status.success()) {
        println!("rustfmt is not installed: the comparison is skipped");
        return;
    }
    // A crate of 10,000 lines (parsed once: its syntax trees fit the lint's budget) and
    // one of 100,000 (most files parsed twice, to bound memory).
    for (name, make, size) in [
        ("half annotated", file as fn(usize) -> String, 10_000),
        ("every function annotated", all_annotated, 10_000),
        ("half annotated", file, 100_000),
        ("every function annotated", all_annotated, 100_000),
    ] {
        let dir =
            std::env::temp_dir().join(format!("infralens-lint-vs-rustfmt-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        let (mut lines, mut files) = (0, Vec::new());
        while lines < size {
            let text = make(files.len());
            lines += text.lines().count();
            let path = dir.join(format!("m{}.rs", files.len()));
            std::fs::write(&path, text).expect("write");
            files.push(path);
        }
        // Formatted as rustfmt would, so that `--check` has nothing to report.
        let status = std::process::Command::new("rustfmt")
            .args(["--edition", "2024"])
            .args(&files)
            .status()
            .expect("rustfmt");
        assert!(status.success());
        let (mut lint, mut fmt) = (Vec::new(), Vec::new());
        let rounds = if size < 50_000 { 21 } else { 7 };
        for _ in 0..rounds {
            let start = std::time::Instant::now();
            let report = infralens_cli::lint::lint_paths(std::slice::from_ref(&dir)).expect("lint");
            lint.push(start.elapsed().as_secs_f64());
            assert!(
                report.diagnostics.is_empty(),
                "{:?}",
                report.diagnostics.first()
            );
            let start = std::time::Instant::now();
            let status = std::process::Command::new("rustfmt")
                .args(["--check", "--edition", "2024"])
                .args(&files)
                .status()
                .expect("rustfmt");
            fmt.push(start.elapsed().as_secs_f64());
            assert!(status.success());
        }
        lint.sort_by(f64::total_cmp);
        fmt.sort_by(f64::total_cmp);
        let (l, f) = (lint[lint.len() / 2], fmt[fmt.len() / 2]);
        println!(
            "lint vs rustfmt --check, {name}: {lines} lines in {} files: lint {:.0} ms (in this process), rustfmt {:.0} ms (a process), medians of {rounds}, lint = {:.2}× rustfmt (target ≤ 0.5)",
            files.len(),
            l * 1e3,
            f * 1e3,
            l / f
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}

mod group {
    #![allow(missing_docs)]
    criterion::criterion_group!(benches, super::lint_throughput, super::against_rustfmt);
}
criterion_main!(group::benches);
