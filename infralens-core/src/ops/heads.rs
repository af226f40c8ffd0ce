//! `split_heads` and `merge_heads`: `(B, S, D) ↔ (B, H, S, Dh)` with `H × Dh = D`.

use crate::kernels::permute::swap_axes;
use crate::relations::HeadsPartition;
use crate::{Dim, Element, Tensor};

impl<B: Dim, S: Dim, D: Dim, E: Element> Tensor<(B, S, D), E> {
    /// Splits the model width `D` into `H` heads of width `Dh` and moves the heads before
    /// the sequence: `(B, S, D) → (B, H, S, Dh)`, the reshape and `transpose(1, 2)` of
    /// PyTorch code in one step. Head `h` takes columns `h·Dh .. (h+1)·Dh` of `D`.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub B = 2; pub S = 4; pub D = 16; pub H = 4; pub Dh = D / H; }
    ///
    /// let x = Tensor::<(B, S, D)>::randn(0);
    /// let q: Tensor<(B, H, S, Dh)> = x.split_heads::<H, Dh>();
    /// // batch 1, head 2, position 3, lane 1 is column 2·4 + 1 of position 3
    /// assert_eq!(q.get(&[1, 2, 3, 1]), x.get(&[1, 3, 9]));
    /// ```
    ///
    /// Heads that do not partition `D` do not compile:
    ///
    /// ```compile_fail
    /// use infralens::prelude::*;
    /// dims! { pub B = 2; pub S = 4; pub D = 16; pub H = 4; pub Dh = 3; }
    /// let _ = Tensor::<(B, S, D)>::zeros().split_heads::<H, Dh>(); // `H` × `Dh` must equal `D`
    /// ```
    pub fn split_heads<H: Dim, Dh: Dim>(&self) -> Tensor<(B, H, S, Dh), E>
    where
        D: HeadsPartition<H, Dh>,
    {
        let sizes = [B::SIZE, S::SIZE, H::SIZE, Dh::SIZE];
        Tensor::from_raw(swap_axes(self.as_slice(), &sizes, 1, 2))
    }
}

impl<B: Dim, H: Dim, S: Dim, Dh: Dim, E: Element> Tensor<(B, H, S, Dh), E> {
    /// Merges `H` heads of width `Dh` back into the model width `D`:
    /// `(B, H, S, Dh) → (B, S, D)`, the inverse of [`Tensor::split_heads`].
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub B = 2; pub S = 4; pub D = 16; pub H = 4; pub Dh = D / H; }
    ///
    /// let x = Tensor::<(B, S, D)>::randn(0);
    /// let back: Tensor<(B, S, D)> = x.split_heads::<H, Dh>().merge_heads::<D>();
    /// assert_eq!(back, x);
    /// ```
    pub fn merge_heads<D>(&self) -> Tensor<(B, S, D), E>
    where
        D: Dim + HeadsPartition<H, Dh>,
    {
        Tensor::from_raw(swap_axes(
            self.as_slice(),
            <(B, H, S, Dh) as crate::Shape>::SIZES,
            1,
            2,
        ))
    }
}
