// TODO: this does not compile yet. `infralens lab 01 --check` shows the error: which dims does it compare, and which should meet?
//! Exercise 02 — a bias of the wrong width.
//!
//! A linear layer's bias is added at every position, after the product: `nn.Linear`'s `bias`
//! has one entry per `out_features`.
use infralens::prelude::*;

dims! {
    pub S = 4;
    pub D = 8;
    pub F = 32;
}

#[shapes(x: [S, D], w: [D, F] -> [S, F])]
fn up(x: &Tensor, w: &Tensor) -> Tensor {
    x.matmul(w).add(&Tensor::<(D,)>::ones())
}

fn main() {
    let y = up(&Tensor::randn(0), &Tensor::randn(1));
    println!("y: {}", y.describe());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adds_one_to_every_output() {
        let (x, w) = (Tensor::<(S, D)>::randn(0), Tensor::<(D, F)>::randn(1));
        for (a, b) in up(&x, &w).as_slice().iter().zip(x.matmul(&w).as_slice()) {
            assert!((a - (b + 1.0)).abs() < 1e-5, "expected {}, got {a}", b + 1.0);
        }
    }
}
