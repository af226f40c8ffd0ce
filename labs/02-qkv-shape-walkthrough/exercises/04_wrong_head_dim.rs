// TODO: this does not compile yet. `infralens lab 02 --check` shows the error: which dims does it compare, and which should meet?
//! Exercise 04 — the wrong head dim.
//!
//! Splitting `D` into heads makes two dims out of one: `H` heads of `Dh`, with
//! `H × Dh = D`. The head count partitions the model width; it does not multiply it.
use infralens::prelude::*;

dims! {
    pub B = 2;
    pub S = 4;
    pub D = 16;
    pub H = 4;
    pub Dh = D / H;
}

#[shapes(x: [B, S, D], wk: [D, D] -> [B, H, S, Dh])]
fn key_heads(x: &Tensor, wk: &Tensor) -> Tensor {
    #[shape(B, S, D)]
    let projected = x.matmul(wk);
    projected.split_heads::<H, D>()
}

fn main() {
    let x = Tensor::<(B, S, D)>::randn(0);
    let wk = Tensor::<(D, D)>::randn(1);
    println!("k: {}", key_heads(&x, &wk).describe());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_keeps_every_element_of_the_projection() {
        let x = Tensor::<(B, S, D)>::randn(0);
        let wk = Tensor::<(D, D)>::randn(1);
        let projected = x.matmul(&wk);
        let k = key_heads(&x, &wk);
        assert_eq!(k.numel(), projected.numel());
        for (b, h, s, d) in [(0, 0, 0, 0), (1, 3, 2, 1), (0, 1, 3, 3)] {
            assert_eq!(k.get(&[b, h, s, d]), projected.get(&[b, s, h * 4 + d]));
        }
    }
}
