//! Lab 02 — Q/K/V shape walkthrough: the starter, every shape written as on paper.
use infralens::cost::count;
use infralens::prelude::*;

dims! {
    pub B = 2;      // batch: independent sequences
    pub S = 4;      // sequence length: positions
    pub D = 16;     // model width (hidden size)
    pub H = 4;      // attention heads
    pub Dh = D / H; // head width: H × Dh = D
}

/// Project (keeps `D`), then split `D` into `H` heads of `Dh`, heads before positions.
#[shapes(x: [B, S, D], w: [D, D] -> [B, H, S, Dh])]
fn project_heads(x: &Tensor, w: &Tensor) -> Tensor {
    #[shape(B, S, D)]
    let projected = x.matmul(w);
    projected.split_heads::<H, Dh>()
}

/// Every query position against every key position, per head: contracts `Dh`.
#[shapes(q: [B, H, S, Dh], k: [B, H, S, Dh] -> [B, H, S, S])]
fn scores(q: &Tensor, k: &Tensor) -> Tensor {
    q.attention_scale::<Dh>().matmul(k.t())
}

/// Softmax over keys, mix the values, merge the heads back into `D`.
#[shapes(s: [B, H, S, S], v: [B, H, S, Dh] -> [B, S, D])]
fn attend(s: &Tensor, v: &Tensor) -> Tensor {
    #[shape(B, H, S, Dh)]
    let ctx = s.softmax().matmul(v);
    ctx.merge_heads::<D>()
}

fn main() {
    let x = Tensor::<(B, S, D)>::randn(0);
    let (wq, wk, wv) = (Tensor::randn(1), Tensor::randn(2), Tensor::randn(3));
    let (q, projection) = count(|| project_heads(&x, &wq));
    let (k, v) = (project_heads(&x, &wk), project_heads(&x, &wv));
    let (s, scoring) = count(|| scores(&q, &k));
    let (out, attending) = count(|| attend(&s, &v));
    println!(
        "x {} -> q {} -> scores {} -> out {}",
        x.describe(),
        q.describe(),
        s.describe(),
        out.describe()
    );
    print_cost("project_heads", projection);
    print_cost("scores", scoring);
    print_cost("attend", attending);
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
