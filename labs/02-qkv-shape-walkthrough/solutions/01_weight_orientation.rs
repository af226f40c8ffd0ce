// Solution: read the (out, in) weight through its transpose view, `wk_out_in.t()` (no copy).
//! Exercise 01 — weight orientation.
//!
//! With grouped-query attention the keys have `Hkv = 2` heads of `Dh`: a width of `Dkv = Hkv ×
//! Dh = 8`. This key weight comes from a PyTorch checkpoint, where `nn.Linear` stores its
//! weight (out, in): `(Dkv, D)`. `x · W` contracts `x`'s last dim with the weight's *rows*.
use infralens::prelude::*;

dims! {
    pub B = 2;
    pub S = 4;
    pub D = 16;
    pub H = 4;
    pub Dh = D / H;
    pub Hkv = 2;
    pub Dkv = Hkv * Dh;
}

/// The keys of every position: `(B, S, D) · (D, Dkv) = (B, S, Dkv)`.
fn project_keys(x: &Tensor<(B, S, D)>, wk_out_in: &Tensor<(Dkv, D)>) -> Tensor<(B, S, Dkv)> {
    x.matmul(wk_out_in.t())
}

fn main() {
    let x = Tensor::<(B, S, D)>::randn(0);
    let wk = Tensor::<(Dkv, D)>::randn(1);
    println!("k: {}", project_keys(&x, &wk).describe());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_key_is_a_dot_product_with_a_weight_row() {
        let x = Tensor::<(B, S, D)>::randn(0);
        let wk = Tensor::<(Dkv, D)>::randn(1);
        let k = project_keys(&x, &wk);
        for (b, s, j) in [(0, 0, 0), (1, 3, 7), (0, 2, 5), (1, 1, 2)] {
            let want: f64 = (0..16)
                .map(|i| f64::from(x.get(&[b, s, i]).unwrap()) * f64::from(wk.get(&[j, i]).unwrap()))
                .sum();
            assert!(
                (f64::from(k.get(&[b, s, j]).unwrap()) - want).abs() < 1e-4,
                "expected {}, got {}",
                want,
                f64::from(k.get(&[b, s, j]).unwrap())
            );
        }
    }
}
