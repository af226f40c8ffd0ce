// Solution: `Wu: (D, F)`, the gate's shape.
//! Exercise 03 — gate and up of different widths.
//!
//! SwiGLU multiplies two projections of the same input element by element: `silu(x·Wg) ⊙
//! (x·Wu)`, both to the MLP's hidden width `F` (`intermediate_size`).
use infralens::prelude::*;

dims! {
    pub S = 2;
    pub D = 8;
    pub F = 24;
}

#[shapes(x: [S, D], wg: [D, F] -> [S, F])]
fn mlp_hidden(x: &Tensor, wg: &Tensor) -> Tensor {
    x.swiglu(wg, &Tensor::<(D, F)>::ones())
}

fn main() {
    println!("{}", mlp_hidden(&Tensor::randn(0), &Tensor::randn(1)).describe());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gate_times_up() {
        let (x, wg) = (Tensor::<(S, D)>::randn(0), Tensor::<(D, F)>::randn(1));
        let up = x.matmul(&Tensor::<(D, F)>::ones());
        let want = x.matmul(&wg).silu().mul(&up);
        for (a, b) in mlp_hidden(&x, &wg).as_slice().iter().zip(want.as_slice()) {
            assert!((a - b).abs() < 1e-4, "expected {}, got {}", b, a);
        }
    }
}
