//! Lab 01 — Tensors, named dims and projections: the starter.
use infralens::cost::count;
use infralens::layers::Linear;
use infralens::prelude::*;

dims! {
    pub B = 2;      // batch: two sequences
    pub S = 4;      // positions in each
    pub D = 8;      // model width: the numbers that describe one position
    pub F = 32;     // a wider hidden width, as an MLP's
}

/// An MLP's up-projection, as a checkpoint stores it: `nn.Linear(D, F)` keeps its weight
/// `(F, D)` — (out, in) — and a bias `(F,)`.
#[shapes(x: [B, S, D] -> [B, S, F])]
fn up(x: &Tensor, layer: &Linear<D, F>) -> Tensor {
    // forward reads the weight transposed: (B, S, D) · (D, F) + (F,) = (B, S, F)
    layer.forward(x)
}

fn main() {
    let x = Tensor::<(B, S, D)>::randn(0);
    println!(
        "x: {} — {} numbers, {} bytes",
        x.describe(),
        x.numel(),
        x.bytes()
    );

    // The same projection written out: a weight stored (in, out) and a bias broadcast
    // over every position of every sequence.
    let w = Tensor::<(D, F)>::randn(1);
    let b = Tensor::<(F,)>::randn(2);
    let h = x.matmul(&w).add(&b);
    println!("x · W + b: {}", h.describe());
    println!(
        "  FLOPs of x · W: 2 · (B·S) · D · F = {}",
        x.matmul_flops(&w)
    );
    println!("  parameters: D·F + F = {}", w.numel() + b.numel());

    // The same layer as a checkpoint keeps it, (out, in) = (F, D).
    let layer = Linear::new(w.t().to_tensor(), Some(b));
    let (h2, cost) = count(|| up(&x, &layer));
    println!(
        "Linear<D, F> from a (F, D) weight: {}, {} parameters",
        h2.describe(),
        layer.parameters()
    );
    let same = h
        .as_slice()
        .iter()
        .zip(h2.as_slice())
        .all(|(a, b)| (a - b).abs() < 1e-5);
    println!("  the same numbers: {same}");
    print_cost("up", cost);
}

/// One line per function its diagram draws: the FLOPs of its products and the weight
/// parameters they read, counted as it ran (`infralens explain FILE::FUNCTION` states the
/// same totals without running it).
fn print_cost(function: &str, cost: infralens::cost::Cost) {
    println!(
        "cost of {function}: {} FLOPs, {} weight parameters",
        cost.flops, cost.params
    );
}
