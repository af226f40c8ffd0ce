//! The same attention block on both backends: written once, generic over the backend, run
//! on InfraLens's native kernels and on candle's (feature `candle`), the shapes checked by
//! the compiler either way.
//!
//! `cargo run --example candle_attention --features candle`
//!
//! A program written for the default backend moves to candle by changing the backend type
//! (`Tensor<Sh, f32, Candle>`), or by moving its tensors with one call
//! (`x.to_backend::<Candle>(&Device::Cpu)?`); every shape error it had stays a compile error.

use infralens::candle_core::Device;
use infralens::prelude::*;
use infralens::{Backend, Candle};

dims! {
    pub B: Batch = 1;
    pub S: Sequence = 6;
    pub D: ModelWidth = 32;
    pub H: Heads = 4;
    pub Dh: HeadWidth = D / H;
}

/// Causal self-attention on any backend `Be`: the shapes are the annotation's, the numbers
/// the backend's.
#[shapes(x: [B, S, D], wq: [D, D], wk: [D, D], wv: [D, D], wo: [D, D] -> [B, S, D])]
fn attention<Be: Backend>(
    x: &Tensor<_, f32, Be>,
    wq: &Tensor<_, f32, Be>,
    wk: &Tensor<_, f32, Be>,
    wv: &Tensor<_, f32, Be>,
    wo: &Tensor<_, f32, Be>,
) -> Tensor<_, f32, Be> {
    #[shape(B, H, S, Dh)]
    let q = x.matmul(wq).split_heads::<H, Dh>();
    let k = x.matmul(wk).split_heads::<H, Dh>();
    let v = x.matmul(wv).split_heads::<H, Dh>();
    let out = scaled_dot_product_attention(&q, &k, &v, Mask::Causal);
    out.merge_heads::<D>().matmul(wo)
}

fn main() -> Result<(), ShapeError> {
    let x = Tensor::<(B, S, D)>::randn(0);
    let w: Vec<Tensor<(D, D)>> = (1..=4).map(|seed| Tensor::randn(seed).scale(0.2)).collect();
    let native = attention(&x, &w[0], &w[1], &w[2], &w[3]);

    // One call moves each tensor to candle's CPU device (CUDA or Metal with candle's features).
    let device = Device::Cpu;
    let on = |t: &Tensor<(D, D)>| t.to_backend::<Candle>(&device);
    let xc = x.to_backend::<Candle>(&device)?;
    let candle = attention(&xc, &on(&w[0])?, &on(&w[1])?, &on(&w[2])?, &on(&w[3])?);

    let worst = native
        .to_vec()
        .iter()
        .zip(candle.to_vec())
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    println!("native backend: {}", native.describe());
    println!(
        "candle backend: {} (a candle_core::Tensor of dims {:?}, no copy to reach it)",
        candle.describe(),
        candle.to_candle().dims()
    );
    println!("largest difference between the backends: {worst:e}");
    Ok(())
}
