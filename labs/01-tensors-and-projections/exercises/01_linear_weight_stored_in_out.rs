// TODO: this does not compile yet. `infralens lab 01 --check` shows the error: which dims does it compare, and which should meet?
//! Exercise 01 — a `Linear` weight the wrong way round.
//!
//! `torch.nn.Linear(in, out)` stores its weight `(out, in)`, and every checkpoint keeps it so.
//! `Linear<In, Out>` holds its weight in that same layout, and does the rest in `forward`.
use infralens::layers::Linear;
use infralens::prelude::*;

dims! {
    pub S = 4;
    pub D = 8;
    pub F = 32;
}

#[shapes(x: [S, D] -> [S, F])]
fn up(x: &Tensor, w_in_out: &Tensor<(D, F)>) -> Tensor {
    Linear::new(w_in_out.clone(), None).forward(x)
}

fn main() {
    let y = up(&Tensor::randn(0), &Tensor::randn(1));
    println!("y: {}", y.describe());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equals_x_times_w() {
        let (x, w) = (Tensor::<(S, D)>::randn(0), Tensor::<(D, F)>::randn(1));
        for (a, b) in up(&x, &w).as_slice().iter().zip(x.matmul(&w).as_slice()) {
            assert!((a - b).abs() < 1e-5, "expected {}, got {}", b, a);
        }
    }
}
