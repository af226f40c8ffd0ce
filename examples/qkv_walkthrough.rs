//! Lab 02 — Q/K/V shape walkthrough.
//!
//! Follows one hidden tensor `x: (B, S, D)` through the Q/K/V projections, the head split
//! to `(B, H, S, Dh)`, the scores `Q·K^T: (B, H, S, S)`, softmax, `P·V` and the merge back
//! to `(B, S, D)`, on real seeded data, and prints each step's shape, size and cost.
//! Each stage is a function annotated with `#[shapes]`, its shapes written as on paper
//! and checked by the compiler.
//!
//! Run it with `cargo run --example qkv_walkthrough`.

use infralens::prelude::*;

dims! {
    /// Batch: independent sequences.
    pub B = 2;
    /// Sequence length: positions per sequence.
    pub S = 4;
    /// Model width: the hidden size of every position.
    pub D = 16;
    /// Attention heads.
    pub H = 4;
    /// Width of one head: the heads partition the model width.
    pub Dh = D / H;
}

/// One line of the walkthrough table.
struct Step {
    what: &'static str,
    var: &'static str,
    symbolic: String,
    concrete: String,
    elements: usize,
    bytes: usize,
    flops: Option<u64>,
    params: Option<usize>,
}

fn step<Sh: StaticShape>(what: &'static str, var: &'static str, t: &Tensor<Sh>) -> Step {
    Step {
        what,
        var,
        symbolic: Sh::symbolic(),
        concrete: Sh::concrete(),
        elements: t.numel(),
        bytes: t.bytes(),
        flops: None,
        params: None,
    }
}

impl Step {
    fn flops(mut self, flops: u64) -> Self {
        self.flops = Some(flops);
        self
    }
    fn params(mut self, params: usize) -> Self {
        self.params = Some(params);
        self
    }
}

fn print_table(steps: &[Step]) {
    let dash = |o: Option<String>| o.unwrap_or_else(|| "-".to_owned());
    println!(
        "{:<24} {:<7} {:<15} {:<14} {:>8} {:>7} {:>7} {:>7}",
        "step", "var", "symbolic shape", "concrete", "elements", "bytes", "FLOPs", "params"
    );
    println!("{}", "-".repeat(95));
    for s in steps {
        println!(
            "{:<24} {:<7} {:<15} {:<14} {:>8} {:>7} {:>7} {:>7}",
            s.what,
            s.var,
            s.symbolic,
            s.concrete,
            s.elements,
            s.bytes,
            dash(s.flops.map(|f| f.to_string())),
            dash(s.params.map(|p| p.to_string())),
        );
    }
}

/// Q, K or V for every head: project (keeps `D`), then split `D` into `H` heads of `Dh`.
#[shapes(x: [B, S, D], w: [D, D] -> [B, H, S, Dh])]
fn project_heads(x: &Tensor, w: &Tensor) -> Tensor {
    #[shape(B, S, D)]
    let projected = x.matmul(w);
    projected.split_heads::<H, Dh>()
}

/// Scores: every query position against every key position, per head; contracts `Dh`.
#[shapes(q: [B, H, S, Dh], k: [B, H, S, Dh] -> [B, H, S, S])]
fn scores(q: &Tensor, k: &Tensor) -> Tensor {
    q.matmul(&k.t())
}

/// Attention weights: scale by `1/sqrt(Dh)`, hide future keys, softmax over keys.
#[shapes(scores: [B, H, S, S] -> [B, H, S, S])]
fn weights(scores: &Tensor) -> Tensor {
    scores
        .scale(1.0 / (Dh::SIZE as f32).sqrt())
        .causal_mask()
        .softmax()
}

/// Mix the values, merge the heads back into `D`, project out.
#[shapes(p: [B, H, S, S], v: [B, H, S, Dh], wo: [D, D] -> [B, S, D])]
fn attend(p: &Tensor, v: &Tensor, wo: &Tensor) -> Tensor {
    #[shape(B, H, S, Dh)]
    let ctx = p.matmul(v);
    #[shape(B, S, D)]
    let merged = ctx.merge_heads::<D>();
    merged.matmul(wo)
}

fn main() {
    println!("Lab 02 — Q/K/V shape walkthrough");
    println!(
        "dims: B={} S={} D={} H={} Dh=D/H={}   (S = H = Dh = 4: only the names tell them apart)\n",
        B::SIZE,
        S::SIZE,
        D::SIZE,
        H::SIZE,
        Dh::SIZE
    );

    // One hidden tensor and four weights, stored (in, out), seeded.
    let x = Tensor::<(B, S, D)>::randn(0);
    let wq = Tensor::<(D, D)>::randn(1).scale(0.25);
    let wk = Tensor::<(D, D)>::randn(2).scale(0.25);
    let wv = Tensor::<(D, D)>::randn(3).scale(0.25);
    let wo = Tensor::<(D, D)>::randn(4).scale(0.25);

    let (qh, kh, vh) = (
        project_heads(&x, &wq),
        project_heads(&x, &wk),
        project_heads(&x, &wv),
    );
    let s = scores(&qh, &kh);
    let p = weights(&s);
    let out = attend(&p, &vh, &wo);

    // The intermediate tensors, for the table (the annotated functions hide them).
    let (q, k, v) = (x.matmul(&wq), x.matmul(&wk), x.matmul(&wv));
    let ctx = p.matmul(&vh);
    let merged = ctx.merge_heads::<D>();

    let steps = [
        step("input", "x", &x),
        step("Q = x·Wq", "q", &q)
            .flops(x.matmul_flops(&wq))
            .params(wq.numel()),
        step("K = x·Wk", "k", &k)
            .flops(x.matmul_flops(&wk))
            .params(wk.numel()),
        step("V = x·Wv", "v", &v)
            .flops(x.matmul_flops(&wv))
            .params(wv.numel()),
        step("split heads (Q, K, V)", "q_h", &qh),
        step("scores Q·K^T", "scores", &s).flops(qh.matmul_flops(kh.t())),
        step("scale, mask, softmax", "p", &p),
        step("P·V", "ctx", &ctx).flops(p.matmul_flops(&vh)),
        step("merge heads", "merged", &merged),
        step("output = merged·Wo", "out", &out)
            .flops(merged.matmul_flops(&wo))
            .params(wo.numel()),
    ];
    print_table(&steps);

    let total_flops: u64 = steps.iter().filter_map(|s| s.flops).sum();
    let total_params: usize = steps.iter().filter_map(|s| s.params).sum();
    println!(
        "\ntotal: {total_flops} FLOPs, {total_params} parameters (4 × D² = {}; H never multiplies them)",
        4 * D::SIZE * D::SIZE
    );

    // The fused op gives the same attention, with the scale taken from the type.
    let fused = scaled_dot_product_attention(&qh, &kh, &vh, Mask::Causal);
    let max_diff = fused
        .as_slice()
        .iter()
        .zip(ctx.as_slice())
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    println!("fused scaled_dot_product_attention vs step by step: max |diff| = {max_diff:.1e}");

    let sum: f64 = out.as_slice().iter().map(|&v| f64::from(v)).sum();
    let abs: f64 = out.as_slice().iter().map(|&v| f64::from(v).abs()).sum();
    println!(
        "attention output: {}  checksum: sum = {sum:.6}, sum|x| = {abs:.6}",
        out.describe()
    );
}
