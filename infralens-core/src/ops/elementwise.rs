//! `scale` and `softmax`: ops that keep the shape.

use crate::{Element, Shape, Tensor};

impl<Sh: Shape, E: Element, Backend: crate::Backend> Tensor<Sh, E, Backend> {
    /// Multiplies every element by `factor`: the `1 / sqrt(Dh)` of attention scores.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub S = 2; }
    /// assert_eq!(Tensor::<(S,)>::ones().scale(0.5).to_vec(), vec![0.5, 0.5]);
    /// ```
    pub fn scale(&self, factor: E) -> Self {
        self.with_data(Backend::scale(self.storage(), factor))
    }

    /// Multiplies by `1 / sqrt(W)`, the attention scale, where `W` must be this tensor's
    /// last dim: call it on the queries (or keys), `(…, S, Dh)`, as `q.attention_scale::<Dh>()`,
    /// and the scale can only come from the head width that `Q·K^T` contracts.
    /// `scores = (q / sqrt(Dh))·K^T` equals `(q·K^T) / sqrt(Dh)`.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub S = 2; pub Dh = 4; }
    /// let q = Tensor::<(S, Dh)>::ones().attention_scale::<Dh>();
    /// assert_eq!(q.get(&[1, 3]), Some(0.5));
    /// ```
    ///
    /// ```compile_fail
    /// use infralens::prelude::*;
    /// dims! { pub S = 2; pub D = 16; pub Dh = 4; }
    /// // the model width, not the head width: does not compile
    /// let q = Tensor::<(S, Dh)>::ones().attention_scale::<D>();
    /// ```
    pub fn attention_scale<W>(&self) -> Self
    where
        Sh: crate::Matrix,
        W: crate::relations::ScaleWidth<<Sh as crate::Matrix>::Col> + crate::Dim,
    {
        // `W` is this tensor's last dim (the bound above), so its size is the last axis's.
        let width = self.sizes()[Sh::RANK - 1];
        let factor = E::from_f64(1.0 / (width as f64).sqrt());
        self.scale(factor)
    }

    /// Softmax over the last axis: each row becomes non-negative weights that sum to 1.
    ///
    /// Numerically stable (the row maximum is subtracted first), so logits up to ±1e4 give
    /// no NaN or infinity. A row that is entirely `-inf` (every key masked) has no
    /// distribution; it becomes all zeros.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub S = 2; pub T = 3; }
    /// let p = Tensor::<(S, T), f64>::from_vec(vec![0.0, 0.0, 0.0, 1e4, 0.0, -1e4])?.softmax();
    /// assert_eq!(p.get(&[0, 1]), Some(1.0 / 3.0));
    /// assert_eq!(p.get(&[1, 0]), Some(1.0));
    /// # Ok::<(), ShapeError>(())
    /// ```
    pub fn softmax(&self) -> Self {
        self.softmax_last()
    }

    /// [`Tensor::softmax`], naming the axis it normalises: `T`, which must be the last dim.
    /// Attention's scores `(…, S, T)` normalise over the keys `T`; scores transposed on the
    /// way (`(…, T, S)`) are a compile error naming both dims.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub S = 2; pub T = 3; }
    /// let scores = Tensor::<(S, T)>::randn(0);
    /// assert_eq!(scores.softmax_over::<T>(), scores.softmax());
    /// ```
    ///
    /// ```compile_fail
    /// use infralens::prelude::*;
    /// dims! { pub S = 2; pub T = 3; }
    /// let scores = Tensor::<(S, T)>::randn(0);
    /// let _ = scores.t().to_tensor().softmax_over::<T>(); // over `S`: does not compile
    /// ```
    pub fn softmax_over<T>(&self) -> Self
    where
        Sh: crate::Matrix,
        <Sh as crate::Matrix>::Col: crate::relations::SoftmaxOver<T>,
    {
        self.softmax_last()
    }

    fn softmax_last(&self) -> Self {
        let row = self.sizes()[Sh::RANK - 1];
        self.with_data(Backend::softmax_last(self.storage(), row))
    }
}
