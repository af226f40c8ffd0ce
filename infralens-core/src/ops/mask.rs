//! `causal_mask`: hide future keys from each query.

use crate::relations::SquareScores;
use crate::{Element, Matrix, Tensor};

impl<Sh: Matrix, E: Element> Tensor<Sh, E> {
    /// Sets every score of query `i` for a later key `j > i` to `-inf`, so that the
    /// [`softmax`](Tensor::softmax) gives it weight 0. The scores must be square,
    /// `(…, S, S)`: a causal mask compares positions of one sequence.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub S = 3; }
    /// let p = Tensor::<(S, S)>::zeros().causal_mask().softmax();
    /// assert_eq!(p.to_vec(), vec![1.0, 0.0, 0.0, 0.5, 0.5, 0.0, 1.0 / 3.0, 1.0 / 3.0, 1.0 / 3.0]);
    /// ```
    pub fn causal_mask(&self) -> Self
    where
        Sh::Col: SquareScores<Sh::Row>,
    {
        let n = <Sh::Col as crate::Dim>::SIZE;
        let mut out = self.to_vec();
        for (i, row) in out.chunks_exact_mut(n).enumerate() {
            row[i % n + 1..].fill(E::NEG_INFINITY);
        }
        Tensor::from_raw(out)
    }
}
