//! Lab 07 — The decoder block and the model: the starter.
use infralens::cost::count;
use infralens::layers::{Embedding, Linear, RmsNorm};
use infralens::prelude::*;
use infralens::{Ids, Rope, RopeStyle};

dims! {
    pub B: Batch = 1;
    pub S: Sequence = dyn;
    pub D: ModelWidth = 16;
    pub H: Heads = 4;
    pub Hkv: Heads = 2;
    pub Dh: HeadWidth = D / H;
    pub Dkv = Hkv * Dh;
    pub F = 48;                 // the MLP's hidden width (Llama 3 8B: 14336 for D = 4096)
    pub V = 32;                 // vocabulary
    pub MaxPos: Sequence = 64;
}

/// A Llama block, weights stored as a checkpoint keeps them: `Linear<In, Out>` holds `(Out, In)`.
struct Block {
    attn_norm: RmsNorm<D>,
    q: Linear<D, D>,
    k: Linear<D, Dkv>,
    v: Linear<D, Dkv>,
    o: Linear<D, D>,
    mlp_norm: RmsNorm<D>,
    gate: Linear<D, F>,
    up: Linear<D, F>,
    down: Linear<F, D>,
}

impl Block {
    fn random(seed: u64) -> Self {
        let w = |i: u64| seed * 100 + i;
        Block {
            attn_norm: RmsNorm::new(Tensor::ones(), 1e-6),
            q: Linear::new(Tensor::randn(w(1)).scale(0.25), None),
            k: Linear::new(Tensor::randn(w(2)).scale(0.25), None),
            v: Linear::new(Tensor::randn(w(3)).scale(0.25), None),
            o: Linear::new(Tensor::randn(w(4)).scale(0.25), None),
            mlp_norm: RmsNorm::new(Tensor::ones(), 1e-6),
            gate: Linear::new(Tensor::randn(w(5)).scale(0.25), None),
            up: Linear::new(Tensor::randn(w(6)).scale(0.25), None),
            down: Linear::new(Tensor::randn(w(7)).scale(0.15), None),
        }
    }

    /// Pre-norm attention and MLP, each added back to the residual stream.
    #[shapes(x: [B, S, D] -> [B, S, D])]
    fn forward(&self, x: &Tensor, rope: &Rope<MaxPos, Dh>) -> Tensor {
        let h = self.attn_norm.forward(x);
        let q = self.q.forward(&h).split_heads::<H, Dh>().rope(rope, 0);
        let k = self.k.forward(&h).split_heads::<Hkv, Dh>().rope(rope, 0);
        let v = self.v.forward(&h).split_heads::<Hkv, Dh>();
        let ctx = grouped_query_attention(&q, &k, &v, Mask::Causal);
        let x = x.add(&self.o.forward(&ctx.merge_heads::<D>()));
        let h = self.mlp_norm.forward(&x);
        // SwiGLU: silu(gate) · up, then back down to D
        #[shape(B, S, F)]
        let act = self.gate.forward(&h).silu().mul(&self.up.forward(&h));
        x.add(&self.down.forward(&act))
    }
}

fn main() {
    let embed = Embedding::new(Tensor::<(V, D)>::randn(7));
    let blocks = [Block::random(1), Block::random(2)];
    let norm = RmsNorm::new(Tensor::<(D,)>::ones(), 1e-6);
    // Tied embeddings: the output projection is the embedding table, `(V, D)` = (out, in).
    let lm_head = Linear::new(embed.table().into_owned(), None);
    let rope = Rope::<MaxPos, Dh>::new(10_000.0, RopeStyle::Halves, &sizes![]);

    let prompt = [3u32, 14, 15, 9];
    let ids = Ids::<(B, S)>::from_vec_in(prompt.to_vec(), &sizes![S = prompt.len()]).expect("ids");
    let mut x = embed.forward(&ids).expect("ids below V");
    println!("embed: {} → {}", ids.describe(), x.describe());
    let (first, cost) = count(|| blocks[0].forward(&x, &rope));
    x = blocks[1].forward(&first, &rope);
    let logits = lm_head.forward(&norm.forward(&x));
    println!(
        "logits: {}; next token after the prompt: {}",
        logits.describe(),
        logits.narrow::<1, S>(3, 1).argmax()[0]
    );

    let per_block =
        2 * D::SIZE + 2 * D::SIZE * D::SIZE + 2 * D::SIZE * Dkv::SIZE + 3 * D::SIZE * F::SIZE;
    println!(
        "parameters: {} per block, {} embedding (shared with the output), {} in all",
        per_block,
        V::SIZE * D::SIZE,
        2 * per_block + V::SIZE * D::SIZE + D::SIZE
    );
    // The products' weights only: the two norms' 2·D weights scale, they are not multiplied in.
    print_cost(&format!("Block::forward at S = {}", prompt.len()), cost);
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
