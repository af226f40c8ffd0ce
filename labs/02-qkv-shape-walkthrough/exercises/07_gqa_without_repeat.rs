// TODO: this does not compile yet. `infralens lab 02 --check` shows the error: which dims does it compare, and which should meet?
//! Exercise 07 — GQA: fewer key/value heads.
//!
//! Grouped-query attention keeps `H = 4` query heads but only `Hkv = 2` key/value heads: each
//! group of `H / Hkv = 2` query heads reads one key head. A batched product pairs the heads of
//! its two operands one to one.
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

#[shapes(q: [B, H, S, Dh], k: [B, Hkv, S, Dh] -> [B, H, S, S])]
fn gqa_scores(q: &Tensor, k: &Tensor) -> Tensor {
    q.matmul(k.t())
}

fn main() {
    let q = Tensor::<(B, H, S, Dh)>::randn(0);
    let k = Tensor::<(B, Hkv, S, Dh)>::randn(1);
    println!("scores: {}", gqa_scores(&q, &k).describe());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_head_h_reads_key_head_h_over_2() {
        let q = Tensor::<(B, H, S, Dh)>::randn(0);
        let k = Tensor::<(B, Hkv, S, Dh)>::randn(1);
        let s = gqa_scores(&q, &k);
        for (b, h, i, j) in [(0, 0, 0, 1), (1, 3, 2, 0), (0, 1, 3, 3), (1, 2, 1, 1)] {
            let want: f64 = (0..4)
                .map(|d| f64::from(q.get(&[b, h, i, d]).unwrap()) * f64::from(k.get(&[b, h / 2, j, d]).unwrap()))
                .sum();
            assert!(
                (f64::from(s.get(&[b, h, i, j]).unwrap()) - want).abs() < 1e-5,
                "expected {}, got {}",
                want,
                f64::from(s.get(&[b, h, i, j]).unwrap())
            );
        }
    }
}
