// Solution: move the channels last: `channels_first().transpose::<1, 2>()`.
//! Exercise 03 — two dims of equal size are different dims.
//!
//! With `S = D = 4` a `(B, D, S)` tensor has exactly the sizes of a `(B, S, D)` one. PyTorch's
//! `Conv1d` wants channels first, `(B, C, L)`, and `Linear` channels last, `(B, L, C)`: moving
//! between them without a transpose is a classic silent bug. Named dims make it a type error.
use infralens::prelude::*;

dims! {
    pub B = 2;
    pub S = 4;
    pub D = 4;
}

#[shapes(x: [B, S, D] -> [B, S, D])]
fn mix(x: &Tensor, w: &Tensor<(D, D)>) -> Tensor {
    x.matmul(w)
}

fn channels_first() -> Tensor<(B, D, S)> {
    Tensor::from_fn(|i| (i[1] * 10 + i[2]) as f32)
}

#[shapes(-> [B, S, D])]
fn run() -> Tensor {
    #[shape(B, S, D)]
    let x = channels_first().transpose::<1, 2>();
    mix(&x, &Tensor::ones())
}

fn main() {
    println!("y: {}", run().describe());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn position_1_sums_its_channels() {
        // position 1 holds channels 0..4 → 1, 11, 21, 31: their sum is 64
        assert_eq!(run().get(&[0, 1, 0]), Some(64.0));
    }
}
