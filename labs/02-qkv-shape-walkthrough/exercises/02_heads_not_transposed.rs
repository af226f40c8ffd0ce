// TODO: this does not compile yet. `infralens lab 02 --check` shows the error: which dims does it compare, and which should meet?
//! Exercise 02 — heads split but not transposed.
//!
//! PyTorch code writes `q.view(B, S, H, Dh).transpose(1, 2)`. The `view` alone gives `(B, S, H,
//! Dh)`: positions before heads. Scores are computed per head, over positions. Here `S = H = Dh
//! = 4`, so every one of these layouts has the same sizes; only the names tell them apart.
use infralens::prelude::*;

dims! {
    pub B = 2;
    pub S = 4;
    pub D = 16;
    pub H = 4;
    pub Dh = D / H;
}

#[shapes(x: [B, S, D], wq: [D, D] -> [B, H, S, Dh])]
fn query_heads(x: &Tensor, wq: &Tensor) -> Tensor {
    #[shape(B, S, D)]
    let projected = x.matmul(wq);
    #[shape(B, H, S, Dh)]
    let q = projected.reshape::<(B, S, H, Dh)>();
    q
}

fn main() {
    let x = Tensor::<(B, S, D)>::randn(0);
    let wq = Tensor::<(D, D)>::randn(1);
    println!("q: {}", query_heads(&x, &wq).describe());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn head_h_holds_columns_h_dh_to_h_dh_plus_dh() {
        let x = Tensor::<(B, S, D)>::randn(0);
        let wq = Tensor::<(D, D)>::randn(1);
        let projected = x.matmul(&wq);
        let q = query_heads(&x, &wq);
        for b in 0..2 {
            for h in 0..4 {
                for s in 0..4 {
                    for d in 0..4 {
                        assert_eq!(q.get(&[b, h, s, d]), projected.get(&[b, s, h * 4 + d]));
                    }
                }
            }
        }
    }
}
