//! Counting what a computation costs as it runs: the FLOPs of its matrix products and the
//! weight parameters they read.
//!
//! The count follows the same two rules as `infralens explain` and its diagrams, so a
//! program can print the figures its diagram states and a test can hold both equal:
//!
//! - **FLOPs**: `2 · M · K · N` for every product `(M × K)·(K × N)` — [`Tensor::matmul`],
//!   each layer's `forward` (which multiplies by its weight), `swiglu`'s two products, and
//!   the two products inside attention (`QKᵀ` and `P·V`: `2·B·H·S·T·(Dh + Dv)`). Softmax,
//!   scaling, masks, norms and additions are not counted: they are a rounding error
//!   beside the products.
//! - **Weight parameters**: the elements of every rank-2 right operand of a product — a
//!   weight `(D, F)`, or a layer's — counted each time it is multiplied in. Biases and
//!   norm weights are not counted.
//!
//! Counting is off unless a [`count`] is running on the thread, and costs one
//! thread-local read per product when it is off.
//!
//! [`Tensor::matmul`]: crate::Tensor::matmul

use std::cell::Cell;

/// What a computation cost: see [the module](self) for what is counted.
///
/// ```
/// use infralens::prelude::*;
/// use infralens::cost::{count, Cost};
/// dims! { pub S = 4; pub D = 8; pub F = 16; }
/// let x = Tensor::<(S, D)>::randn(0);
/// let w = Tensor::<(D, F)>::randn(1);
/// let (_, cost) = count(|| x.matmul(&w));
/// assert_eq!(cost, Cost { flops: 2 * 4 * 8 * 16, params: 8 * 16 });
/// ```
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cost {
    /// Floating-point operations of the matrix products.
    pub flops: u64,
    /// Elements of the rank-2 weights multiplied in.
    pub params: u64,
}

thread_local! {
    static COUNTER: Cell<Option<Cost>> = const { Cell::new(None) };
}

/// Runs `f`, counting the products it computes on this thread; returns its result and
/// their [`Cost`]. Counts nest: an inner `count` adds what it saw to the outer one too.
///
/// ```
/// use infralens::prelude::*;
/// use infralens::cost::count;
/// dims! { pub B = 1; pub H = 2; pub S = 3; pub Dh = 4; }
/// let q = Tensor::<(B, H, S, Dh)>::randn(0);
/// let (scores, cost) = count(|| q.matmul(&q.t()));
/// assert_eq!(scores.describe(), "[B=1, H=2, S=3, S=3]");
/// assert_eq!(cost.flops, 2 * 2 * 3 * 4 * 3); // batched: no weight read
/// assert_eq!(cost.params, 0);
/// ```
pub fn count<R>(f: impl FnOnce() -> R) -> (R, Cost) {
    /// Puts the outer count back, with this one added, even when `f` panics.
    struct Restore(Option<Cost>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let mine = COUNTER.with(Cell::get).unwrap_or_default();
            COUNTER.with(|c| c.set(self.0.map(|o| o.plus(mine))));
        }
    }
    let restore = Restore(COUNTER.with(|c| c.replace(Some(Cost::default()))));
    let result = f();
    let mine = COUNTER.with(Cell::get).unwrap_or_default();
    drop(restore);
    (result, mine)
}

impl Cost {
    fn plus(self, other: Cost) -> Cost {
        Cost {
            flops: self.flops.saturating_add(other.flops),
            params: self.params.saturating_add(other.params),
        }
    }
}

/// The product of `factors` as a `u64`, saturating rather than wrapping.
pub(crate) fn product(factors: &[usize]) -> u64 {
    factors
        .iter()
        .fold(1u64, |n, &f| n.saturating_mul(f as u64))
}

/// Adds `flops` and `params` to the running [`count`], if any.
pub(crate) fn record(flops: u64, params: u64) {
    COUNTER.with(|c| {
        if let Some(now) = c.get() {
            c.set(Some(now.plus(Cost { flops, params })));
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_nest_and_stop() {
        let ((), outer) = count(|| {
            record(10, 1);
            let ((), inner) = count(|| record(5, 2));
            assert_eq!(
                inner,
                Cost {
                    flops: 5,
                    params: 2
                }
            );
        });
        assert_eq!(
            outer,
            Cost {
                flops: 15,
                params: 3
            }
        );
        // Off again: nothing is kept.
        record(100, 100);
        assert_eq!(COUNTER.with(Cell::get), None);
    }

    /// The fused kernels count what the op-by-op path computes: attention its two
    /// batched products, a layer its product with the weight.
    #[test]
    fn fused_kernels_count_what_the_op_by_op_path_counts() {
        use crate::layers::Linear;
        use crate::{Mask, Tensor, scaled_dot_product_attention};
        crate::test_dims!(
            B = typenum::U1,
            H = typenum::U2,
            S = typenum::U3,
            Dh = typenum::U4
        );
        crate::test_dims!(D = typenum::U8, F = typenum::U5);
        let q = Tensor::<(B, H, S, Dh)>::randn(0);
        let k = Tensor::<(B, H, S, Dh)>::randn(1);
        let v = Tensor::<(B, H, S, Dh)>::randn(2);
        let (_, fused) = count(|| scaled_dot_product_attention(&q, &k, &v, Mask::Causal));
        let (_, by_hand) = count(|| q.matmul(&k.t()).softmax().matmul(&v));
        assert_eq!(fused, by_hand);
        assert_eq!(fused.flops, 2 * 2 * (2 * 3 * 3 * 4));

        let x = Tensor::<(S, D)>::randn(3);
        let w = Tensor::<(F, D)>::randn(4);
        let layer = Linear::new(w.clone(), None);
        let (_, fused) = count(|| layer.forward(&x));
        let (_, by_hand) = count(|| x.matmul(w.t()));
        assert_eq!(fused, by_hand);
        assert_eq!(
            fused,
            Cost {
                flops: 2 * 3 * 8 * 5,
                params: 40
            }
        );
    }
}
