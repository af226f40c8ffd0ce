// TODO: this does not compile yet. `infralens lab 07 --check` shows the error: which dims does it compare, and which should meet?
//! Exercise 04 — a norm of the wrong width.
//!
//! RMSNorm normalises the numbers of each position and scales each by its own weight
//! (`input_layernorm.weight`, `(hidden_size,)` in a Llama block).
use infralens::layers::RmsNorm;
use infralens::prelude::*;

dims! {
    pub S = 2;
    pub D = 8;
    pub F = 24;
}

#[shapes(x: [S, D] -> [S, D])]
fn normed(x: &Tensor) -> Tensor {
    x.rms_norm(&Tensor::<(F,)>::ones(), 1e-6)
}

fn main() {
    println!("{}", normed(&Tensor::randn(0)).describe());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_row_has_unit_rms() {
        let y = normed(&Tensor::randn(0));
        for row in y.as_slice().chunks(8) {
            let ms: f32 = row.iter().map(|v| v * v).sum::<f32>() / 8.0;
            assert!((ms - 1.0).abs() < 1e-3, "expected {}, got {}", 1.0, ms);
        }
        let _ = RmsNorm::new(Tensor::<(D,)>::ones(), 1e-6);
    }
}
