//! Lab 08 — Tensor parallelism: the starter. Two ranks, simulated in one process.
use infralens::cost::count;
use infralens::prelude::*;

dims! {
    pub B: Batch = 1;
    pub S: Sequence = 4;
    pub D: ModelWidth = 16;
    pub H: Heads = 4;
    pub Dh: HeadWidth = D / H;
    pub Tp = 2;                 // tensor-parallel ranks
    pub Hr: Heads = H / Tp;     // query heads per rank: rejected here if Tp does not divide H
    pub Dr = Hr * Dh;           // each rank's slice of the projections' width
}

/// The whole block on one device: the reference.
#[shapes(x: [B, S, D], wq: [D, D], wk: [D, D], wv: [D, D], wo: [D, D] -> [B, S, D])]
fn block(x: &Tensor, wq: &Tensor, wk: &Tensor, wv: &Tensor, wo: &Tensor) -> Tensor {
    let q = x.matmul(wq).split_heads::<H, Dh>();
    let k = x.matmul(wk).split_heads::<H, Dh>();
    let v = x.matmul(wv).split_heads::<H, Dh>();
    scaled_dot_product_attention(&q, &k, &v, Mask::Causal)
        .merge_heads::<D>()
        .matmul(wo)
}

/// Rank `r`'s part: column-parallel Q, K, V (its `Hr` heads), row-parallel O. Its output is a
/// partial sum of the block's output.
#[shapes(x: [B, S, D], wq: [D, D], wk: [D, D], wv: [D, D], wo: [D, D] -> [B, S, D])]
fn rank(x: &Tensor, wq: &Tensor, wk: &Tensor, wv: &Tensor, wo: &Tensor, r: usize) -> Tensor {
    let cols = |w: &Tensor<(D, D)>| w.narrow::<1, Dr>(r * Dr::SIZE, Dr::SIZE); // (D, Dr)
    #[shape(B, Hr, S, Dh)]
    let q = x.matmul(&cols(wq)).split_heads::<Hr, Dh>();
    let k = x.matmul(&cols(wk)).split_heads::<Hr, Dh>();
    let v = x.matmul(&cols(wv)).split_heads::<Hr, Dh>();
    #[shape(B, S, Dr)]
    let ctx = scaled_dot_product_attention(&q, &k, &v, Mask::Causal).merge_heads::<Dr>();
    let wo_rows = wo.narrow::<0, Dr>(r * Dr::SIZE, Dr::SIZE); // (Dr, D)
    ctx.matmul(&wo_rows)
}

fn main() {
    let x = Tensor::<(B, S, D)>::randn(0);
    let [wq, wk, wv, wo] = [1, 2, 3, 4].map(|s| Tensor::<(D, D)>::randn(s).scale(0.3));
    let (full, cost) = count(|| block(&x, &wq, &wk, &wv, &wo));
    print_cost("block", cost);

    // Each rank computes its partial output; the all-reduce sums them.
    let partials: Vec<Tensor<(B, S, D)>> = (0..Tp::SIZE)
        .map(|r| {
            let (partial, cost) = count(|| rank(&x, &wq, &wk, &wv, &wo, r));
            print_cost("rank", cost);
            partial
        })
        .collect();
    let mut reduced = partials[0].clone();
    for p in &partials[1..] {
        reduced = reduced.add(p);
    }
    let worst = full
        .as_slice()
        .iter()
        .zip(reduced.as_slice())
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f32::max);
    println!(
        "{} ranks, {} query heads each; all-reduced output {} vs one device: largest difference {worst:.1e}",
        Tp::SIZE,
        Hr::SIZE,
        reduced.describe()
    );

    let per_rank = 4 * D::SIZE * Dr::SIZE;
    println!(
        "weights per rank: 3 column shards (D, Dr) + 1 row shard (Dr, D) = {per_rank} of {} numbers",
        4 * D::SIZE * D::SIZE
    );
    println!(
        "communication: one all-reduce of (B, S, D) = {} numbers per attention sub-layer (a layer with its MLP split too has two)",
        x.numel()
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
