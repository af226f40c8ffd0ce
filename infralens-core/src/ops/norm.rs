//! The layers around attention that keep the shape: `layer_norm`, `rms_norm`, and the
//! activations `gelu`, `gelu_tanh`, `silu`, and the fused SwiGLU product.

use crate::backend::Activation;
use crate::ops::matmul::MatMul;
use crate::sizes::agree;
use crate::{Dim, Element, LastAxis, Matrix, Shape, Tensor};

relation! {
/// `Self`, the one dim of a norm's weight, is `Last`, the last axis the norm normalises.
///
/// The weight is a parameter of its own, so that a weight of another width is refused with
/// this rule's words (a weight typed `(Sh::Last,)` would be a plain type mismatch); the
/// price is that its type is not inferred from the input: write `Tensor::<(D,)>::ones()`.
///
/// ```
/// use infralens::prelude::*;
/// use infralens::relations::NormWeight;
/// dims! { pub D = 16; }
/// fn scales<W: NormWeight<D>>() {}
/// scales::<D>();
/// ```
#[rule(
    NORM_WIDTH,
    id = "norm-width",
    lab = "07",
    summary = "A norm's weight has the width of the last axis it normalises.",
    wrong = "dims! { pub S = 4; pub D = 16; pub F = 64; }\n#[shapes(x: [S, D], w: [F] -> [S, D])]\nfn norm(x: &Tensor, w: &Tensor) -> Tensor {\n    x.rms_norm(w, 1e-5)\n}",
    right = "dims! { pub S = 4; pub D = 16; pub F = 64; }\n#[shapes(x: [S, D], w: [D] -> [S, D])]\nfn norm(x: &Tensor, w: &Tensor) -> Tensor {\n    x.rms_norm(w, 1e-5)\n}",
)]
#[diagnostic::on_unimplemented(
    message = "shape mismatch: a norm normalises the last axis `{Last}`, so its weight is `({Last},)`, not `({Self},)`",
    label = "a weight of `({Self},)` for rows of `{Last}`",
    note = "a norm scales each of the `{Last}` numbers of a position: `input_layernorm.weight` is `(hidden_size,)`"
)]
pub trait NormWeight<Last> {}
}
impl<D: Dim> NormWeight<D> for D {}

relation! {
/// `Self`, the shape of SwiGLU's up weight, is `Gate`, the gate weight's: the two products
/// are multiplied element by element.
///
/// ```
/// use infralens::prelude::*;
/// use infralens::relations::SwigluUp;
/// dims! { pub D = 16; pub F = 64; }
/// fn up<U: SwigluUp<(D, F)>>() {}
/// up::<(D, F)>();
/// ```
#[rule(
    SWIGLU_WIDTHS,
    id = "swiglu-widths",
    lab = "07",
    summary = "SwiGLU's gate and up weights have the same shape.",
    wrong = "dims! { pub S = 4; pub D = 16; pub F = 64; }\n#[shapes(x: [S, D], wg: [D, F], wu: [F, D] -> [S, F])]\nfn mlp(x: &Tensor, wg: &Tensor, wu: &Tensor) -> Tensor {\n    x.swiglu(wg, wu)\n}",
    right = "dims! { pub S = 4; pub D = 16; pub F = 64; }\n#[shapes(x: [S, D], wg: [D, F], wu: [D, F] -> [S, F])]\nfn mlp(x: &Tensor, wg: &Tensor, wu: &Tensor) -> Tensor {\n    x.swiglu(wg, wu)\n}",
)]
#[diagnostic::on_unimplemented(
    message = "shape mismatch: `swiglu` multiplies the gate and the up projection element by element, so both weights are `{Gate}`; this one is `{Self}`",
    label = "`{Self}` here, `{Gate}` for the gate",
    note = "Llama's MLP is `down(silu(x·Wg) ⊙ (x·Wu))`: gate and up both map `D` to the hidden width `F`"
)]
pub trait SwigluUp<Gate: Shape>: Shape {
    /// The up weight, as the gate's shape (which it is).
    #[doc(hidden)]
    fn as_gate<E: Element, Backend: crate::Backend>(
        up: &Tensor<Self, E, Backend>,
    ) -> &Tensor<Gate, E, Backend>;
}
}
impl<R: Shape> SwigluUp<R> for R {
    fn as_gate<E: Element, Backend: crate::Backend>(
        up: &Tensor<R, E, Backend>,
    ) -> &Tensor<R, E, Backend> {
        up
    }
}

impl<Sh: LastAxis, E: Element, Backend: crate::Backend> Tensor<Sh, E, Backend> {
    /// Layer normalisation over the last axis `D`, as `torch.nn.LayerNorm(D)`: each row minus
    /// its mean, divided by `sqrt(variance + eps)` (the biased variance), times `w`, plus `b`.
    /// The weights are typed by the last dim, so a norm over another width does not compile.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub S = 2; pub D = 4; }
    /// let x = Tensor::<(S, D), f64>::from_vec(vec![1.0, 2.0, 3.0, 4.0, 2.0, 2.0, 2.0, 2.0])?;
    /// let y = x.layer_norm(&Tensor::<(D,), f64>::ones(), &Tensor::zeros(), 0.0);
    /// assert!((y.get(&[0, 0]).unwrap() + 1.3416407864998738).abs() < 1e-12); // (1 - 2.5) / sqrt(1.25)
    /// # Ok::<(), ShapeError>(())
    /// ```
    ///
    /// ```compile_fail
    /// use infralens::prelude::*;
    /// dims! { pub S = 2; pub D = 4; pub F = 8; }
    /// let x = Tensor::<(S, D)>::zeros();
    /// let _ = x.layer_norm(&Tensor::<(F,)>::ones(), &Tensor::<(F,)>::zeros(), 1e-5); // expected `(D,)`
    /// ```
    #[track_caller]
    pub fn layer_norm<W>(
        &self,
        w: &Tensor<(W,), E, Backend>,
        b: &Tensor<(W,), E, Backend>,
        eps: E,
    ) -> Self
    where
        W: Dim + NormWeight<Sh::Last>,
    {
        let d = self.check_width("layer_norm", w.sizes()[0]);
        agree::<Sh::Last>("layer_norm", (d, "the input"), (b.sizes()[0], "the bias"));
        self.with_data(Backend::norm(
            self.storage(),
            d,
            w.storage(),
            Some(b.storage()),
            eps,
        ))
    }

    /// RMS normalisation over the last axis `D`, as Llama's `RMSNorm`: each row divided by
    /// `sqrt(mean(x²) + eps)`, times `w`. Computed in `f64` and rounded once.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub D = 2; }
    /// let x = Tensor::<(D,), f64>::from_vec(vec![3.0, 4.0])?;
    /// let y = x.rms_norm(&Tensor::<(D,), f64>::from_vec(vec![1.0, 2.0])?, 0.0);
    /// let rms = (12.5f64).sqrt();
    /// assert_eq!(y.to_vec(), vec![3.0 / rms, 8.0 / rms]);
    /// # Ok::<(), ShapeError>(())
    /// ```
    #[track_caller]
    pub fn rms_norm<W>(&self, w: &Tensor<(W,), E, Backend>, eps: E) -> Self
    where
        W: Dim + NormWeight<Sh::Last>,
    {
        let d = self.check_width("rms_norm", w.sizes()[0]);
        self.with_data(Backend::norm(self.storage(), d, w.storage(), None, eps))
    }

    /// The last axis's size, checked against a weight's.
    #[track_caller]
    fn check_width(&self, op: &str, weight: usize) -> usize {
        let d = self.sizes()[Sh::RANK - 1];
        agree::<Sh::Last>(op, (d, "the input"), (weight, "the weight"));
        d
    }
}

impl<Sh: Shape, E: Element, Backend: crate::Backend> Tensor<Sh, E, Backend> {
    /// GELU, exact: `x · Φ(x) = x/2 · (1 + erf(x / √2))`, as `torch.nn.functional.gelu`
    /// (GPT-2 uses [`Tensor::gelu_tanh`]). `erf` is the C library's algorithm (`libm`), in
    /// `f64`.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub D = 3; }
    /// let y = Tensor::<(D,), f64>::from_vec(vec![-1.0, 0.0, 1.0])?.gelu();
    /// assert!((y.get(&[2]).unwrap() - 0.8413447460685429).abs() < 1e-15);
    /// assert_eq!(y.get(&[1]), Some(0.0));
    /// # Ok::<(), ShapeError>(())
    /// ```
    pub fn gelu(&self) -> Self {
        self.with_data(Backend::activation(self.storage(), Activation::Gelu))
    }

    /// GELU, tanh approximation (`approximate="tanh"`, GPT-2's `gelu_new`):
    /// `x/2 · (1 + tanh(√(2/π) · (x + 0.044715 x³)))`.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub D = 1; }
    /// let y = Tensor::<(D,), f64>::from_vec(vec![1.0])?.gelu_tanh();
    /// assert!((y.get(&[0]).unwrap() - 0.8411919906082768).abs() < 1e-15);
    /// # Ok::<(), ShapeError>(())
    /// ```
    pub fn gelu_tanh(&self) -> Self {
        self.with_data(Backend::activation(self.storage(), Activation::GeluTanh))
    }

    /// SiLU (swish): `x · sigmoid(x)`, the gate of Llama's MLP.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub D = 2; }
    /// let y = Tensor::<(D,), f64>::from_vec(vec![0.0, 2.0])?.silu();
    /// assert_eq!(y.get(&[0]), Some(0.0));
    /// assert!((y.get(&[1]).unwrap() - 2.0 / (1.0 + (-2.0f64).exp())).abs() < 1e-15);
    /// # Ok::<(), ShapeError>(())
    /// ```
    pub fn silu(&self) -> Self {
        self.with_data(Backend::activation(self.storage(), Activation::Silu))
    }
}

impl<Sh: Matrix, E: Element, Backend: crate::Backend> Tensor<Sh, E, Backend> {
    /// The SwiGLU product of Llama's MLP, `silu(x·Wg) * (x·Wu)`, with the gate and up
    /// weights stored `(D, F)`: `(…, D) → (…, F)`. Both products are checked as
    /// [`Tensor::matmul`] checks them.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub S = 2; pub D = 4; pub F = 8; }
    /// let x = Tensor::<(S, D)>::randn(0);
    /// let (wg, wu) = (Tensor::<(D, F)>::randn(1), Tensor::<(D, F)>::randn(2));
    /// let h: Tensor<(S, F)> = x.swiglu(&wg, &wu);
    /// assert_eq!(h, x.matmul(&wg).silu().mul(&x.matmul(&wu)));
    /// ```
    #[track_caller]
    pub fn swiglu<R: Matrix, U>(
        &self,
        wg: &Tensor<R, E, Backend>,
        wu: &Tensor<U, E, Backend>,
    ) -> Tensor<Sh::Output, E, Backend>
    where
        Sh: MatMul<R>,
        U: SwigluUp<R>,
    {
        silu_gate(&self.matmul(wg), &self.matmul(U::as_gate(wu)))
    }
}

/// `silu(gate) · up`, element by element: SwiGLU's gating, for [`Tensor::swiglu`] and
/// [`SwiGlu`](crate::layers::SwiGlu).
pub(crate) fn silu_gate<Sh: crate::Shape, E: Element, Backend: crate::Backend>(
    gate: &Tensor<Sh, E, Backend>,
    up: &Tensor<Sh, E, Backend>,
) -> Tensor<Sh, E, Backend> {
    gate.with_data(Backend::silu_mul(gate.storage(), up.storage()))
}
