// TODO: this does not compile yet. `infralens lab 02 --check` shows the error: which dims does it compare, and which should meet?
//! Exercise 06 — scale by the wrong dim.
//!
//! Attention divides the scores by the square root of a width, so that their spread does not
//! grow with it. Scaling by the wrong width is a value bug that compiles in most libraries;
//! `attention_scale::<W>()` takes `W` as a dim, and checks it against the rows it scales.
use infralens::prelude::*;

dims! {
    pub B = 2;
    pub S = 4;
    pub D = 16;
    pub H = 4;
    pub Dh = D / H;
}

#[shapes(q: [B, H, S, Dh], k: [B, H, S, Dh] -> [B, H, S, S])]
fn scaled_scores(q: &Tensor, k: &Tensor) -> Tensor {
    q.attention_scale::<D>().matmul(k.t())
}

fn main() {
    let q = Tensor::<(B, H, S, Dh)>::randn(0);
    let k = Tensor::<(B, H, S, Dh)>::randn(1);
    println!("scores: {}", scaled_scores(&q, &k).describe());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_are_divided_by_the_root_of_the_head_width() {
        let q = Tensor::<(B, H, S, Dh)>::randn(0);
        let k = Tensor::<(B, H, S, Dh)>::randn(1);
        let s = scaled_scores(&q, &k);
        for (b, h, i, j) in [(0, 0, 0, 1), (1, 3, 2, 0), (0, 2, 3, 3)] {
            let dot: f64 = (0..4)
                .map(|d| f64::from(q.get(&[b, h, i, d]).unwrap()) * f64::from(k.get(&[b, h, j, d]).unwrap()))
                .sum();
            let want = dot / 4f64.sqrt();
            assert!(
                (f64::from(s.get(&[b, h, i, j]).unwrap()) - want).abs() < 1e-5,
                "expected {}, got {}",
                want,
                f64::from(s.get(&[b, h, i, j]).unwrap())
            );
        }
    }
}
