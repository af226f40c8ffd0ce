//! The lint's memory grows linearly with its findings: a finding shares its file's text
//! instead of copying its lines, so 10,000 findings on one 340 KB line cost what 10,000
//! short findings do (copies of the line would be 3.4 GB). Measured with a counting
//! allocator: the peak of live heap bytes during the lint and the JSON rendering.

use infralens_cli::lint::lint_sources;
use infralens_cli::render::{Format, render};
use infralens_cli::source::Source;
use peak_alloc::PeakAlloc;

#[global_allocator]
static ALLOCATOR: PeakAlloc = PeakAlloc;

/// The tests measure one process-wide peak: one at a time.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Peak heap bytes while linting `text` and rendering the findings as JSON, and the
/// number of findings.
fn peak(text: String) -> (usize, usize) {
    let before = ALLOCATOR.current_usage();
    ALLOCATOR.reset_peak_usage();
    let report = lint_sources(vec![Source::new("long.rs", text)]);
    let json = render(&report.diagnostics, Format::Json, false);
    let n = report.diagnostics.len();
    drop((report, json));
    (ALLOCATOR.peak_usage().saturating_sub(before), n)
}

#[test]
fn findings_on_one_long_line_cost_no_more_than_short_ones() {
    let _serial = SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let block = "dims!{pub A=3;pub B=2;pub C=A/B;}";
    let one_line = block.repeat(10_000);
    let many_lines = format!("{block}\n").repeat(10_000);
    let (long, n_long) = peak(one_line.clone());
    let (short, n_short) = peak(many_lines);
    assert_eq!((n_long, n_short), (10_000, 10_000));
    println!(
        "10,000 findings: {:.1} MB on one {} KB line, {:.1} MB on 10,000 lines",
        long as f64 / 1e6,
        one_line.len() / 1000,
        short as f64 / 1e6
    );
    // Each finding copying its line would be 10,000 × 340 KB = 3.4 GB.
    assert!(
        long < 2 * short + (32 << 20),
        "one long line: {long} bytes at the peak, against {short} for short lines"
    );
}

/// 100,000 lines in 110 files, every function annotated: the heap's peak stays under
/// 100 MB, sources included (one syntax tree is held per thread, not one per file).
#[test]
fn a_hundred_thousand_lines_fit_in_a_hundred_megabytes() {
    let _serial = SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let function = |i: usize, j: usize| {
        format!(
            "/// Attention {j}.\n\
             #[shapes(x: [B{i}, S{i}, D{i}], wq: [D{i}, D{i}], wk: [D{i}, D{i}], wv: [D{i}, D{i}] -> [B{i}, S{i}, D{i}])]\n\
             pub fn attention_{j}(x: &Tensor, wq: &Tensor, wk: &Tensor, wv: &Tensor) -> Tensor {{\n\
             \x20   #[shape(B{i}, H{i}, S{i}, Dh{i})]\n\
             \x20   let q = x.matmul(wq).split_heads::<H{i}, Dh{i}>();\n\
             \x20   #[shape(B{i}, H{i}, S{i}, Dh{i})]\n\
             \x20   let k = x.matmul(wk).split_heads::<H{i}, Dh{i}>();\n\
             \x20   let v = x.matmul(wv).split_heads::<H{i}, Dh{i}>();\n\
             \x20   #[shape(B{i}, H{i}, S{i}, S{i})]\n\
             \x20   let p = q.matmul(&k.t()).scale(0.125).causal_mask().softmax();\n\
             \x20   #[shape(B{i}, H{i}, S{i}, Dh{i})]\n\
             \x20   let ctx = p.matmul(&v);\n\
             \x20   ctx.merge_heads::<D{i}>()\n\
             }}\n\n"
        )
    };
    let mut sources = Vec::new();
    let mut lines = 0;
    while lines < 100_000 {
        let i = sources.len();
        let mut text = format!(
            "dims! {{ pub B{i} = 2; pub S{i} = {}; pub D{i} = 64; pub H{i} = 8; pub Dh{i} = D{i} / H{i}; }}\n\n",
            4 + i % 60
        );
        for j in 0..60 {
            text.push_str(&function(i, j));
        }
        lines += text.lines().count();
        sources.push(Source::new(&format!("src/m{i}.rs"), text));
    }
    let before = ALLOCATOR.current_usage();
    ALLOCATOR.reset_peak_usage();
    let report = lint_sources(sources);
    let peak = ALLOCATOR.peak_usage().saturating_sub(before);
    assert!(
        report.diagnostics.is_empty(),
        "{:?}",
        report.diagnostics.first()
    );
    println!(
        "{lines} lines, {} files: {:.1} MB at the heap's peak",
        report.files,
        peak as f64 / 1e6
    );
    assert!(peak < 100_000_000, "{peak} bytes");
}

/// One file of 98,000 lines (2.3 MB): read one range of items at a time, its heap's peak
/// stays under 100 MB (parsed whole, it took 341 MB resident); a bug at its end is found.
#[test]
fn one_file_of_ninety_eight_thousand_lines_fits_in_a_hundred_megabytes() {
    let _serial = SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut text = "dims! { pub B = 2; pub S = 4; pub D = 16; pub F = 64; }\n".to_owned();
    // Seven lines a function.
    for i in 0..14_000 {
        text.push_str(&format!(
            "#[shapes(x: [B, S, D], w: [D, F] -> [B, S, F])]\n\
             fn up{i}(x: &Tensor, w: &Tensor) -> Tensor {{\n\
             \x20   #[shape(B, S, F)]\n\
             \x20   let h = x.matmul(w);\n\
             \x20   let g = h.scale(0.5);\n\
             \x20   g.softmax()\n\
             }}\n"
        ));
    }
    text.push_str(
        "fn last(x: &Tensor<(B, S, D)>, w: &Tensor<(F, D)>) -> Tensor<(B, S, F)> { x.matmul(w) }\n",
    );
    let lines = text.lines().count();
    let before = ALLOCATOR.current_usage();
    ALLOCATOR.reset_peak_usage();
    let report = lint_sources(vec![Source::new("big.rs", text)]);
    let peak = ALLOCATOR.peak_usage().saturating_sub(before);
    let found: Vec<(usize, &str)> = report
        .diagnostics
        .iter()
        .map(|d| (d.start.line, d.code.as_str()))
        .collect();
    assert_eq!(found, [(lines, "matmul-contraction")]);
    println!(
        "{lines} lines in one file: {:.1} MB at the heap's peak",
        peak as f64 / 1e6
    );
    assert!(peak < 100_000_000, "{peak} bytes");
}
