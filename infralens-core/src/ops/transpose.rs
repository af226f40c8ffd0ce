//! `transpose::<I, J>()`: swap two axes by index, with a copy.

use crate::relations::SwapAxes;
use crate::{Element, Shape, Tensor};

impl<Sh: Shape, E: Element, Backend: crate::Backend> Tensor<Sh, E, Backend> {
    /// Swaps axes `I` and `J` (numbered from 0), copying the data into the new order:
    /// the `transpose(1, 2)` of PyTorch code, e.g. `(B, S, H, Dh) → (B, H, S, Dh)`.
    ///
    /// For the last two axes of a matmul operand prefer [`Tensor::t`], which does not copy.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub B = 2; pub S = 4; pub H = 4; pub Dh = 4; }
    ///
    /// let x = Tensor::<(B, S, H, Dh)>::randn(0);
    /// let y: Tensor<(B, H, S, Dh)> = x.transpose::<1, 2>();
    /// assert_eq!(y.get(&[1, 3, 2, 0]), x.get(&[1, 2, 3, 0]));
    /// ```
    pub fn transpose<const I: usize, const J: usize>(&self) -> Tensor<Sh::Output, E, Backend>
    where
        Sh: SwapAxes<I, J>,
    {
        let mut sizes = self.extents();
        let data = Backend::swap_axes(self.storage(), self.sizes(), I, J);
        sizes.swap(I, J);
        Tensor::from_parts(data, &sizes[..Sh::RANK])
    }
}
