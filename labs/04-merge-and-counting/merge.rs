//! Lab 04 — Merge, output projection and counting: the starter.
use infralens::cost::count;
use infralens::prelude::*;

dims! {
    pub B: Batch = 1;
    pub S: Sequence = 8;
    pub D: ModelWidth = 16;
    pub H: Heads = 4;
    pub Dh: HeadWidth = D / H;
    pub Hkv: Heads = 2;        // grouped-query attention: 2 key/value heads
    pub Dkv = Hkv * Dh;        // the key/value projections' width
}

/// The attention block, from the hidden state back to the hidden state.
#[shapes(x: [B, S, D], wq: [D, D], wk: [D, Dkv], wv: [D, Dkv], wo: [D, D] -> [B, S, D])]
fn attention(x: &Tensor, wq: &Tensor, wk: &Tensor, wv: &Tensor, wo: &Tensor) -> Tensor {
    let q = x.matmul(wq).split_heads::<H, Dh>();
    let k = x.matmul(wk).split_heads::<Hkv, Dh>();
    let v = x.matmul(wv).split_heads::<Hkv, Dh>();
    #[shape(B, H, S, Dh)]
    let ctx = grouped_query_attention(&q, &k, &v, Mask::Causal);
    // Merge: heads back after the positions, then H × Dh = D side by side.
    #[shape(B, S, D)]
    let merged = ctx.merge_heads::<D>();
    // The output projection mixes the heads' results.
    merged.matmul(wo)
}

fn main() {
    let x = Tensor::<(B, S, D)>::randn(0);
    let (wq, wo) = (Tensor::<(D, D)>::randn(1), Tensor::<(D, D)>::randn(2));
    let (wk, wv) = (Tensor::<(D, Dkv)>::randn(3), Tensor::<(D, Dkv)>::randn(4));
    let (y, cost) = count(|| attention(&x, &wq, &wk, &wv, &wo));
    println!("attention: {} → {}", x.describe(), y.describe());
    print_cost("attention", cost);

    let (d, dkv, s) = (D::SIZE, Dkv::SIZE, S::SIZE);
    let params = wq.numel() + wk.numel() + wv.numel() + wo.numel();
    println!(
        "parameters: 2·D² + 2·D·Dkv = {} (multi-head would be 4·D² = {})",
        params,
        4 * d * d
    );
    assert_eq!(params, 2 * d * d + 2 * d * dkv);
    println!(
        "FLOPs per token, projections: 2 · {params} = {}",
        2 * params
    );
    println!(
        "FLOPs per token, scores and P·V at S = {s}: 4 · S · D = {}",
        4 * s * d
    );
    println!(
        "scores held at once: B·H·S·S = {} numbers, {} bytes in f32",
        B::SIZE * H::SIZE * s * s,
        B::SIZE * H::SIZE * s * s * 4
    );
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
