// Solution: `x.matmul(table.t())`: `(S, D) · (D, V)`, no copy.
//! Exercise 05 — tied embeddings read the wrong way.
//!
//! With tied embeddings (GPT-2, Qwen3 small models) the output projection *is* the embedding
//! table `(V, D)`, stored as a `Linear`'s weight is: `(out, in)`. The logits are one score per
//! token of the vocabulary.
use infralens::prelude::*;

dims! {
    pub S = 2;
    pub D = 8;
    pub V = 32;
}

#[shapes(x: [S, D], table: [V, D] -> [S, V])]
fn logits(x: &Tensor, table: &Tensor) -> Tensor {
    x.matmul(table.t())
}

fn main() {
    println!("{}", logits(&Tensor::randn(0), &Tensor::randn(1)).describe());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logit_j_is_x_dot_row_j_of_the_table() {
        let (x, table) = (Tensor::<(S, D)>::randn(0), Tensor::<(V, D)>::randn(1));
        let l = logits(&x, &table);
        for (i, j) in [(0, 0), (1, 17), (0, 31)] {
            let dot: f32 = (0..8).map(|d| x.get(&[i, d]).unwrap() * table.get(&[j, d]).unwrap()).sum();
            assert!(
                (l.get(&[i, j]).unwrap() - dot).abs() < 1e-4,
                "expected {}, got {}",
                dot,
                l.get(&[i, j]).unwrap()
            );
        }
    }
}
