// Solution: a weight `(D, F)`: in `D`, out `F`.
//! Exercise 04 — a projection to the wrong width.
//!
//! An MLP first widens each position, `(…, D) → (…, F)` with `F = 4·D` in GPT-2, then narrows
//! it back. Which of a weight's two dims does a projection hand on to its output?
use infralens::prelude::*;

dims! {
    pub S = 4;
    pub D = 8;
    pub F = 32;
}

#[shapes(x: [S, D] -> [S, F])]
fn up(x: &Tensor) -> Tensor {
    #[shape(S, F)]
    let y = x.matmul(&Tensor::<(D, F)>::randn(1));
    y
}

fn main() {
    println!("y: {}", up(&Tensor::randn(0)).describe());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widens_to_f() {
        let y = up(&Tensor::randn(0));
        assert_eq!(y.sizes(), &[4, 32]);
        assert_eq!(y.numel(), 4 * 32);
    }
}
