// TODO: this does not compile yet. `infralens lab 07 --check` shows the error: which dims does it compare, and which should meet?
//! Exercise 02 — the down projection's weight.
//!
//! Hugging Face's Llama stores `mlp.down_proj.weight` as `(hidden_size, intermediate_size)`,
//! like every `nn.Linear`: out by in. `mlp.up_proj.weight` is `(intermediate_size,
//! hidden_size)`.
use infralens::layers::Linear;
use infralens::prelude::*;

dims! {
    pub S = 2;
    pub D = 8;
    pub F = 24;
}

#[shapes(h: [S, F] -> [S, D])]
fn down(h: &Tensor, w: &Tensor<(F, D)>) -> Tensor {
    let layer: Linear<F, D> = Linear::new(w.clone(), None);
    layer.forward(h)
}

fn main() {
    println!("{}", down(&Tensor::randn(0), &Tensor::randn(1)).describe());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equals_h_times_w() {
        let (h, w) = (Tensor::<(S, F)>::randn(0), Tensor::<(F, D)>::randn(1));
        for (a, b) in down(&h, &w).as_slice().iter().zip(h.matmul(&w).as_slice()) {
            assert!((a - b).abs() < 1e-4, "expected {}, got {}", b, a);
        }
    }
}
