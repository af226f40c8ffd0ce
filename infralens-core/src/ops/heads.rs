//! `split_heads` and `merge_heads`: `(B, S, D) ↔ (B, H, S, Dh)` with `H × Dh = D`.

use crate::kernels::permute::swap_axes;
use crate::relations::{HeadsAxis, HeadsPartition};
use crate::{Dim, DimInfo, Element, Tensor};

/// The size of a dim that a relation has proven to be a compile-time size (`H`, `Dh` of a
/// heads partition: the partition holds only between `typenum` sizes).
pub(crate) fn fixed<D: Dim>() -> usize {
    D::EXTENT.unwrap_or(1)
}

impl<B: Dim, S: Dim, D: Dim, E: Element> Tensor<(B, S, D), E> {
    /// Splits the model width `D` into `H` heads of width `Dh` and moves the heads before
    /// the sequence: `(B, S, D) → (B, H, S, Dh)`, the reshape and `transpose(1, 2)` of
    /// PyTorch code in one step. Head `h` takes columns `h·Dh .. (h+1)·Dh` of `D`.
    ///
    /// `B` and `S` may be run-time dims; `D`, `H` and `Dh` are compile-time sizes (the
    /// partition is checked by the compiler), so a function generic over `B` and `S` needs
    /// no extra bound. The result's axis 1 is `H`: the heads.
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
        let x = self.sizes();
        let sizes = [x[0], x[1], fixed::<H>(), fixed::<Dh>()];
        let data = swap_axes(self.as_slice(), &sizes, 1, 2);
        Tensor::from_parts(data, &[x[0], sizes[2], x[1], sizes[3]])
    }
}

impl<B: Dim, H: Dim, S: Dim, Dh: Dim, E: Element> Tensor<(B, H, S, Dh), E> {
    /// Merges `H` heads of width `Dh` back into the model width `D`:
    /// `(B, H, S, Dh) → (B, S, D)`, the inverse of [`Tensor::split_heads`]. With axis kinds
    /// declared, axis 1 must be a heads axis (in a function generic over `H`, add the bound
    /// `H: HeadsAxis<H::Kind>`).
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
        H: HeadsAxis<H::Kind>,
        D: Dim + HeadsPartition<H, Dh>,
    {
        let x = self.sizes();
        let data = swap_axes(self.as_slice(), x, 1, 2);
        Tensor::from_parts(data, &[x[0], x[2], x[1] * x[3]])
    }
}
