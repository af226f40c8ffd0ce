// Solution: contract `Dh` with `Dh`: `q.matmul(k.t())`.
//! Exercise 03 — scores from `Q` and `K`.
//!
//! A score compares one query position with one key position: the dot product of two rows of
//! width `Dh`. A matrix product contracts the left operand's last dim with the right operand's
//! rows.
use infralens::prelude::*;

dims! {
    pub B = 2;
    pub S = 4;
    pub D = 16;
    pub H = 4;
    pub Dh = D / H;
}

#[shapes(q: [B, H, S, Dh], k: [B, H, S, Dh] -> [B, H, S, S])]
fn scores(q: &Tensor, k: &Tensor) -> Tensor {
    q.matmul(k.t())
}

fn main() {
    let q = Tensor::<(B, H, S, Dh)>::randn(0);
    let k = Tensor::<(B, H, S, Dh)>::randn(1);
    println!("scores: {}", scores(&q, &k).describe());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn score_i_j_is_query_i_dot_key_j() {
        let q = Tensor::<(B, H, S, Dh)>::randn(0);
        let k = Tensor::<(B, H, S, Dh)>::randn(1);
        let s = scores(&q, &k);
        for (b, h, i, j) in [(0, 0, 0, 1), (1, 3, 2, 0), (0, 2, 3, 3), (1, 1, 1, 2)] {
            let want: f64 = (0..4)
                .map(|d| f64::from(q.get(&[b, h, i, d]).unwrap()) * f64::from(k.get(&[b, h, j, d]).unwrap()))
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
