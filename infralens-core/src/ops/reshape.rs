//! `reshape::<T>()`: regroup the same elements into another shape.

use crate::relations::SameNumel;
use crate::{Element, Shape, Tensor};

impl<Sh: Shape, E: Element> Tensor<Sh, E> {
    /// Regroups the elements, in order, into shape `T` without copying: the `view` or
    /// `reshape` of PyTorch code. `T` must hold the same number of elements.
    ///
    /// A reshape never moves data between axes: `(B, S, D) → (B, S, H, Dh)` is the head
    /// split *before* its transpose. See [`Tensor::split_heads`] for both steps.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub B = 2; pub S = 4; pub D = 16; pub H = 4; pub Dh = D / H; }
    ///
    /// let x = Tensor::<(B, S, D)>::randn(0);
    /// let heads = x.clone().reshape::<(B, S, H, Dh)>();
    /// assert_eq!(heads.as_slice(), x.as_slice());
    /// ```
    ///
    /// Another element count does not compile:
    ///
    /// ```compile_fail
    /// use infralens::prelude::*;
    /// dims! { pub B = 2; pub S = 4; pub D = 16; pub H = 4; }
    /// let x = Tensor::<(B, S, D)>::zeros();
    /// let _ = x.reshape::<(B, S, H)>(); // shape mismatch: cannot reshape `(B, S, D)` into `(B, S, H)` …
    /// ```
    pub fn reshape<T: Shape>(self) -> Tensor<T, E>
    where
        Sh: SameNumel<T>,
    {
        // `SameNumel` holds only between shapes whose every size is a compile-time size.
        let sizes: Vec<usize> = T::EXTENTS.iter().map(|e| e.unwrap_or(1)).collect();
        Tensor::from_parts(self.into_vec(), &sizes)
    }
}
