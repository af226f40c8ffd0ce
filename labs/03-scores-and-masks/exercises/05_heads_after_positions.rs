// TODO: this does not compile yet. `infralens lab 03 --check` shows the error: which dims does it compare, and which should meet?
//! Exercise 05 — attention over positions instead of heads.
//!
//! `view(B, S, H, Dh)` cuts each position's width into heads but leaves the positions first.
//! Fed to attention as it is, every "head" is a position and every "position" a head: the
//! scores come out `(H, H)` per position, and nothing in the sizes says so when `S = H`. This
//! lab declares axis kinds (`S: Sequence`, `H: Heads`), so attention can see that axis 1
//! is not the heads — with no `#[shape]` written anywhere.
use infralens::prelude::*;

dims! {
    pub B: Batch = 1;
    pub S: Sequence = dyn;
    pub H: Heads = 2;
    pub Dh: HeadWidth = 4;
}

/// `q`, `k`, `v` as a projection gives them after `view(B, S, H, Dh)`.
fn attend(q: &Tensor<(B, S, H, Dh)>, k: &Tensor<(B, S, H, Dh)>, v: &Tensor<(B, S, H, Dh)>) -> Tensor<(B, H, S, Dh)> {
    scaled_dot_product_attention(q, k, v, Mask::Causal)
}

fn main() {
    let at = sizes![S = 3];
    let x = Tensor::<(B, S, H, Dh)>::randn_in(0, &at);
    println!("output: {}", attend(&x, &x, &x).describe());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equals_attention_over_the_transposed_heads() {
        let at = sizes![S = 3];
        let q = Tensor::<(B, S, H, Dh)>::randn_in(0, &at);
        let k = Tensor::<(B, S, H, Dh)>::randn_in(1, &at);
        let v = Tensor::<(B, S, H, Dh)>::randn_in(2, &at);
        let out = attend(&q, &k, &v);
        // head 1, position 2: its own softmax over positions 0..=2 of head 1
        let dot = |i: usize, j: usize| -> f32 {
            (0..4).map(|d| q.get(&[0, i, 1, d]).unwrap() * k.get(&[0, j, 1, d]).unwrap()).sum::<f32>() * 0.5
        };
        let e: Vec<f32> = (0..3).map(|j| dot(2, j).exp()).collect();
        let total: f32 = e.iter().sum();
        let want: f32 = (0..3).map(|j| e[j] / total * v.get(&[0, j, 1, 3]).unwrap()).sum();
        assert!(
            (out.get(&[0, 1, 2, 3]).unwrap() - want).abs() < 1e-5,
            "expected {}, got {}",
            want,
            out.get(&[0, 1, 2, 3]).unwrap()
        );
    }
}
