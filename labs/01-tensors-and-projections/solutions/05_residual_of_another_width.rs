// Solution: narrow back first: `x.add(&h.matmul(w_down))`.
//! Exercise 05 — a residual of another width.
//!
//! A block adds its output to its input, `x + f(x)`, so `f(x)` must come back to the model
//! width `D`. An MLP widens to `F` on the way; writing a block by hand, it is easy to add
//! before the MLP is finished.
use infralens::prelude::*;

dims! {
    pub S = 4;
    pub D = 8;
    pub F = 32;
}

#[shapes(x: [S, D], w_up: [D, F], w_down: [F, D] -> [S, D])]
fn block(x: &Tensor, w_up: &Tensor, w_down: &Tensor) -> Tensor {
    let h = x.matmul(w_up).silu();
    x.add(&h.matmul(w_down))
}

fn main() {
    let y = block(&Tensor::randn(0), &Tensor::randn(1), &Tensor::randn(2));
    println!("y: {}", y.describe());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_weights_leave_the_input() {
        let x = Tensor::<(S, D)>::randn(0);
        let y = block(&x, &Tensor::zeros(), &Tensor::zeros());
        assert_eq!(y, x);
    }
}
