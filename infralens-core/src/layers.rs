//! Layers that hold their weights the way checkpoints store them, so that the learner
//! never has to remember which way round a file keeps a matrix: [`Linear`] keeps `(Out, In)`
//! like `torch.nn.Linear` and transposes in [`Linear::forward`]; GPT-2's [`Conv1D`] keeps
//! `(In, Out)`; [`Embedding`], [`LayerNorm`], [`RmsNorm`].

use crate::half_tensor::Stored;
use crate::ops::matmul::MatMul;
use crate::relations::Broadcasts;
use crate::{Dim, Element, HalfTensor, Ids, LastAxis, ShapeError, Tensor};
use std::borrow::Cow;

/// A norm's `eps` must be finite and at least 0: a negative one makes `1/sqrt(var + eps)`
/// NaN for inputs of small variance, silently.
#[track_caller]
fn check_eps<E: Element>(layer: &str, eps: E) {
    let e = eps.to_f64();
    if !(e.is_finite() && e >= 0.0) {
        panic!(
            "{layer}: `eps` = {e} must be a finite number of at least 0 (checkpoints use 1e-5 or 1e-6): a negative or NaN `eps` makes the outputs NaN"
        );
    }
}

/// `y = x·Wᵀ + b` with the weight stored `(Out, In)`, as `torch.nn.Linear(In, Out)` and every
/// Hugging Face checkpoint keep it.
///
/// ```
/// use infralens::prelude::*;
/// use infralens::layers::Linear;
/// dims! { pub S = 2; pub D = 4; pub Dkv = 2; }
///
/// // as a checkpoint stores `k_proj.weight`: (Dkv, D)
/// let k_proj = Linear::new(Tensor::<(Dkv, D)>::randn(0), None);
/// let x = Tensor::<(S, D)>::randn(1);
/// let k: Tensor<(S, Dkv)> = k_proj.forward(&x);
/// assert_eq!(k, x.matmul(k_proj.weight().t()));
/// assert_eq!(k_proj.parameters(), 8);
/// ```
#[derive(Clone, Debug)]
pub struct Linear<In: Dim, Out: Dim, E: Element = f32, Backend: crate::Backend = crate::Native> {
    weight: Stored<(Out, In), E, Backend>,
    bias: Option<Tensor<(Out,), E, Backend>>,
}

impl<In: Dim, Out: Dim, E: Element, Backend: crate::Backend> Linear<In, Out, E, Backend> {
    /// A layer from its weight `(Out, In)` and optional bias `(Out,)`.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// use infralens::layers::Linear;
    /// dims! { pub D = 4; pub F = 8; }
    /// let up = Linear::new(Tensor::<(F, D)>::zeros(), Some(Tensor::<(F,)>::ones()));
    /// assert_eq!(up.parameters(), 8 * 4 + 8);
    /// ```
    // One line, so that the compiler's note quoting it shows the weight's `(Out, In)`.
    #[rustfmt::skip]
    pub fn new(weight: Tensor<(Out, In), E, Backend>, bias: Option<Tensor<(Out,), E, Backend>>) -> Self {
        Linear {
            weight: Stored::Full(weight),
            bias,
        }
    }

    /// The weight, `(Out, In)`: borrowed, or widened to `E` when it is kept in half
    /// precision ([`Linear::new_half`]).
    ///
    /// ```
    /// use infralens::prelude::*;
    /// use infralens::layers::Linear;
    /// dims! { pub D = 4; pub F = 8; }
    /// assert_eq!(Linear::new(Tensor::<(F, D)>::zeros(), None).weight().describe(), "[F=8, D=4]");
    /// ```
    pub fn weight(&self) -> Cow<'_, Tensor<(Out, In), E, Backend>> {
        self.weight.tensor()
    }

    /// The weight as it is kept, when it is kept in half precision.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// use infralens::layers::Linear;
    /// use infralens::{Half, HalfTensor};
    /// dims! { pub D = 4; pub F = 8; }
    /// let w = HalfTensor::from_tensor(&Tensor::<(F, D)>::zeros(), Half::F16);
    /// assert_eq!(Linear::<D, F>::new_half(w, None).half_weight().map(HalfTensor::half), Some(Half::F16));
    /// assert!(Linear::new(Tensor::<(F, D)>::zeros(), None).half_weight().is_none());
    /// ```
    pub fn half_weight(&self) -> Option<&HalfTensor<(Out, In)>> {
        self.weight.half()
    }

    /// The bytes the weight takes in memory (the bias left out): what one pass through
    /// the layer reads of it.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// use infralens::layers::Linear;
    /// dims! { pub D = 4; pub F = 8; }
    /// assert_eq!(Linear::new(Tensor::<(F, D)>::zeros(), None).weight_bytes(), 4 * 32);
    /// ```
    pub fn weight_bytes(&self) -> usize {
        self.weight.bytes()
    }

    /// The layer on another backend (or device): one explicit copy of its weights. A half
    /// weight stays half on the native backend and is widened to `E` on candle.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// use infralens::{Native, layers::Linear};
    /// dims! { pub D = 4; pub F = 8; }
    /// let layer = Linear::<D, F>::new(Tensor::randn(1), None);
    /// let moved: Linear<D, F, f32, Native> = layer.to_backend::<Native>(&())?;
    /// assert_eq!(moved.parameters(), layer.parameters());
    /// # Ok::<(), ShapeError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// When the device cannot hold a weight (the backend's reason).
    pub fn to_backend<To: crate::Backend>(
        &self,
        device: &To::Device,
    ) -> Result<Linear<In, Out, E, To>, ShapeError> {
        Ok(Linear {
            weight: self.weight.to_backend::<To>(device)?,
            bias: self
                .bias
                .as_ref()
                .map(|b| b.to_backend::<To>(device))
                .transpose()?,
        })
    }

    /// The number of parameters: `In · Out` (`+ Out` with a bias).
    ///
    /// ```
    /// use infralens::prelude::*;
    /// use infralens::layers::Linear;
    /// dims! { pub D = 4; }
    /// assert_eq!(Linear::new(Tensor::<(D, D)>::zeros(), None).parameters(), 16);
    /// ```
    pub fn parameters(&self) -> usize {
        self.weight.numel() + self.bias.as_ref().map_or(0, Tensor::numel)
    }

    /// `x·Wᵀ (+ b)`: `(…, In) → (…, Out)`. The contraction is checked as
    /// [`Tensor::matmul`] checks it.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// use infralens::layers::Linear;
    /// dims! { pub S = 1; pub D = 2; pub F = 3; }
    /// let w = Tensor::<(F, D)>::from_vec(vec![1.0, 0.0, 0.0, 1.0, 1.0, 1.0])?;
    /// let layer = Linear::new(w, Some(Tensor::<(F,)>::from_vec(vec![0.0, 0.0, 10.0])?));
    /// let y = layer.forward(&Tensor::<(S, D)>::from_vec(vec![2.0, 3.0])?);
    /// assert_eq!(y.to_vec(), vec![2.0, 3.0, 15.0]);
    /// # Ok::<(), ShapeError>(())
    /// ```
    #[track_caller]
    pub fn forward<Sh>(
        &self,
        x: &Tensor<Sh, E, Backend>,
    ) -> Tensor<<Sh as MatMul<(In, Out)>>::Output, E, Backend>
    where
        Sh: MatMul<(In, Out)>,
        <Sh as MatMul<(In, Out)>>::Output: Broadcasts<(Out,)>,
    {
        let y = match &self.weight {
            Stored::Full(w) => x.matmul(w.t()),
            Stored::Half(w) => x.matmul_half_t(w),
        };
        match &self.bias {
            Some(b) => y.add(b),
            None => y,
        }
    }
}

impl<In: Dim, Out: Dim> Linear<In, Out> {
    /// A layer whose weight `(Out, In)` stays in half precision (`bf16` or `f16`, as a
    /// checkpoint stores it): half the memory, and half the bytes a decode step reads.
    /// [`forward`](Linear::forward) widens the weight as it reads it; the inputs, the sums
    /// and the outputs are `f32`.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// use infralens::layers::Linear;
    /// use infralens::{Half, HalfTensor};
    /// dims! { pub S = 3; pub D = 16; pub F = 32; }
    /// let w = Tensor::<(F, D)>::randn(0);
    /// let half = Linear::new_half(HalfTensor::from_tensor(&w, Half::Bf16), None);
    /// assert_eq!(half.weight_bytes(), 2 * 32 * 16);
    /// // The same numbers as the full-precision layer holding the rounded weight.
    /// let x = Tensor::<(S, D)>::randn(1);
    /// let full = Linear::new(half.weight().into_owned(), None);
    /// let (a, b) = (half.forward(&x), full.forward(&x));
    /// assert!(a.as_slice().iter().zip(b.as_slice()).all(|(a, b)| (a - b).abs() < 1e-5));
    /// ```
    pub fn new_half(weight: HalfTensor<(Out, In)>, bias: Option<Tensor<(Out,)>>) -> Self {
        Linear {
            weight: Stored::Half(weight),
            bias,
        }
    }
}

/// GPT-2's `Conv1D`: `y = x·W + b` with the weight stored `(In, Out)` (the other way round
/// from [`Linear`]).
///
/// ```
/// use infralens::prelude::*;
/// use infralens::layers::Conv1D;
/// dims! { pub S = 2; pub D = 4; pub F = 16; }
/// let c_fc = Conv1D::new(Tensor::<(D, F)>::randn(0), Tensor::<(F,)>::zeros());
/// let h: Tensor<(S, F)> = c_fc.forward(&Tensor::<(S, D)>::randn(1));
/// assert_eq!(h.describe(), "[S=2, F=16]");
/// ```
#[derive(Clone, Debug)]
pub struct Conv1D<In: Dim, Out: Dim, E: Element = f32, Backend: crate::Backend = crate::Native> {
    weight: Tensor<(In, Out), E, Backend>,
    bias: Tensor<(Out,), E, Backend>,
}

impl<In: Dim, Out: Dim, E: Element, Backend: crate::Backend> Conv1D<In, Out, E, Backend> {
    /// A layer from its weight `(In, Out)` and bias `(Out,)`.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// use infralens::layers::Conv1D;
    /// dims! { pub D = 4; pub D3 = 12; }
    /// let c_attn = Conv1D::new(Tensor::<(D, D3)>::zeros(), Tensor::<(D3,)>::zeros());
    /// assert_eq!(c_attn.parameters(), 4 * 12 + 12);
    /// ```
    pub fn new(weight: Tensor<(In, Out), E, Backend>, bias: Tensor<(Out,), E, Backend>) -> Self {
        Conv1D { weight, bias }
    }

    /// The layer on another backend (or device): one explicit copy of its weights.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// use infralens::{Native, layers::Conv1D};
    /// dims! { pub D = 4; pub F = 8; }
    /// let layer = Conv1D::<D, F>::new(Tensor::randn(1), Tensor::zeros());
    /// assert_eq!(layer.to_backend::<Native>(&())?.parameters(), 40);
    /// # Ok::<(), ShapeError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// When the device cannot hold a weight (the backend's reason).
    pub fn to_backend<To: crate::Backend>(
        &self,
        device: &To::Device,
    ) -> Result<Conv1D<In, Out, E, To>, ShapeError> {
        Ok(Conv1D {
            weight: self.weight.to_backend::<To>(device)?,
            bias: self.bias.to_backend::<To>(device)?,
        })
    }

    /// The number of parameters: `In · Out + Out`.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// use infralens::layers::Conv1D;
    /// dims! { pub D = 2; }
    /// assert_eq!(Conv1D::new(Tensor::<(D, D)>::zeros(), Tensor::<(D,)>::zeros()).parameters(), 6);
    /// ```
    pub fn parameters(&self) -> usize {
        self.weight.numel() + self.bias.numel()
    }

    /// `x·W + b`: `(…, In) → (…, Out)`.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// use infralens::layers::Conv1D;
    /// dims! { pub S = 1; pub D = 2; }
    /// let layer = Conv1D::new(Tensor::<(D, D)>::ones(), Tensor::<(D,)>::ones());
    /// assert_eq!(layer.forward(&Tensor::<(S, D)>::ones()).to_vec(), vec![3.0, 3.0]);
    /// ```
    #[track_caller]
    pub fn forward<Sh>(
        &self,
        x: &Tensor<Sh, E, Backend>,
    ) -> Tensor<<Sh as MatMul<(In, Out)>>::Output, E, Backend>
    where
        Sh: MatMul<(In, Out)>,
        <Sh as MatMul<(In, Out)>>::Output: Broadcasts<(Out,)>,
    {
        x.matmul(&self.weight).add(&self.bias)
    }
}

/// A token embedding table `(V, D)`: ids `(B, S)` → vectors `(B, S, D)`.
///
/// ```
/// use infralens::prelude::*;
/// use infralens::{Ids, layers::Embedding};
/// dims! { pub V = 10; pub D = 4; pub S = 3; }
/// let wte = Embedding::new(Tensor::<(V, D)>::randn(0));
/// let x = wte.forward(&Ids::<(S,)>::from_vec(vec![1, 2, 9])?)?;
/// assert_eq!(x.describe(), "[S=3, D=4]");
/// assert!(wte.forward(&Ids::<(S,)>::from_vec(vec![1, 2, 10])?).is_err());
/// # Ok::<(), ShapeError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Embedding<V: Dim, D: Dim, E: Element = f32, Backend: crate::Backend = crate::Native> {
    table: Stored<(V, D), E, Backend>,
}

impl<V: Dim, D: Dim, E: Element, Backend: crate::Backend> Embedding<V, D, E, Backend> {
    /// A layer from its table `(V, D)`.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// use infralens::layers::Embedding;
    /// dims! { pub V = 10; pub D = 4; }
    /// assert_eq!(Embedding::new(Tensor::<(V, D)>::zeros()).table().numel(), 40);
    /// ```
    pub fn new(table: Tensor<(V, D), E, Backend>) -> Self {
        Embedding {
            table: Stored::Full(table),
        }
    }

    /// The layer on another backend (or device): one explicit copy of its table (a half
    /// table stays half on the native backend and is widened to `E` on candle).
    ///
    /// ```
    /// use infralens::prelude::*;
    /// use infralens::{Native, layers::Embedding};
    /// dims! { pub V = 10; pub D = 4; }
    /// let table = Embedding::<V, D>::new(Tensor::randn(1));
    /// assert_eq!(table.to_backend::<Native>(&())?.table_bytes(), 160);
    /// # Ok::<(), ShapeError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// When the device cannot hold the table (the backend's reason).
    pub fn to_backend<To: crate::Backend>(
        &self,
        device: &To::Device,
    ) -> Result<Embedding<V, D, E, To>, ShapeError> {
        Ok(Embedding {
            table: self.table.to_backend::<To>(device)?,
        })
    }

    /// The table `(V, D)` (also the output projection of a model with tied embeddings):
    /// borrowed, or widened to `E` when it is kept in half precision.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// use infralens::layers::Embedding;
    /// dims! { pub V = 10; pub D = 4; }
    /// assert_eq!(Embedding::new(Tensor::<(V, D)>::zeros()).table().describe(), "[V=10, D=4]");
    /// ```
    pub fn table(&self) -> Cow<'_, Tensor<(V, D), E, Backend>> {
        self.table.tensor()
    }

    /// The device the table lives on (`()` on the native backend).
    ///
    /// ```
    /// use infralens::prelude::*;
    /// use infralens::layers::Embedding;
    /// dims! { pub V = 10; pub D = 4; }
    /// let () = Embedding::<V, D>::new(Tensor::randn(1)).device();
    /// ```
    pub fn device(&self) -> Backend::Device {
        self.table.device()
    }

    /// The table as it is kept, when it is kept in half precision.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// use infralens::layers::Embedding;
    /// dims! { pub V = 10; pub D = 4; }
    /// assert!(Embedding::new(Tensor::<(V, D)>::zeros()).half_table().is_none());
    /// ```
    pub fn half_table(&self) -> Option<&HalfTensor<(V, D)>> {
        self.table.half()
    }

    /// The bytes the table takes in memory.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// use infralens::layers::Embedding;
    /// dims! { pub V = 10; pub D = 4; }
    /// assert_eq!(Embedding::new(Tensor::<(V, D)>::zeros()).table_bytes(), 160);
    /// ```
    pub fn table_bytes(&self) -> usize {
        self.table.bytes()
    }

    /// The rows of `ids`; an id past `V` is an error naming it.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// use infralens::{Ids, layers::Embedding};
    /// dims! { pub V = 2; pub D = 1; pub S = 1; }
    /// let e = Embedding::new(Tensor::<(V, D)>::from_vec(vec![5.0, 7.0])?);
    /// assert_eq!(e.forward(&Ids::<(S,)>::from_vec(vec![1])?)?.to_vec(), vec![7.0]);
    /// # Ok::<(), ShapeError>(())
    /// ```
    pub fn forward<Sh: crate::relations::Append<D>>(
        &self,
        ids: &Ids<Sh>,
    ) -> Result<Tensor<Sh::Output, E, Backend>, ShapeError> {
        match &self.table {
            Stored::Full(table) => table.embedding(ids),
            Stored::Half(table) => {
                let (v, d) = (table.sizes()[0], table.sizes()[1]);
                crate::ops::embedding::gather::<V, D, Sh, E, Backend>(
                    ids,
                    (v, d),
                    || table.describe(),
                    |row, out| table.half().widen_into(&table.bits()[row * d..][..d], out),
                )
            }
        }
    }

    /// `x · tableᵀ`: `(…, D) → (…, V)`, each output the dot product of `x` with one row of
    /// the table — the logits of a model with tied embeddings (its output projection is
    /// its embedding table), read from the one table, as it is kept.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// use infralens::layers::Embedding;
    /// dims! { pub V = 3; pub D = 2; pub S = 1; }
    /// let e = Embedding::new(Tensor::<(V, D)>::from_vec(vec![1.0, 0.0, 0.0, 1.0, 1.0, 1.0])?);
    /// let logits = e.unembed(&Tensor::<(S, D)>::from_vec(vec![2.0, 3.0])?);
    /// assert_eq!(logits.to_vec(), vec![2.0, 3.0, 5.0]);
    /// # Ok::<(), ShapeError>(())
    /// ```
    #[track_caller]
    pub fn unembed<Sh>(
        &self,
        x: &Tensor<Sh, E, Backend>,
    ) -> Tensor<<Sh as MatMul<(D, V)>>::Output, E, Backend>
    where
        Sh: MatMul<(D, V)>,
    {
        match &self.table {
            Stored::Full(table) => x.matmul(table.t()),
            Stored::Half(table) => x.matmul_half_t(table),
        }
    }
}

impl<V: Dim, D: Dim> Embedding<V, D> {
    /// A layer whose table `(V, D)` stays in half precision (`bf16` or `f16`): each row
    /// is widened to `f32` as it is looked up, and [`unembed`](Embedding::unembed) reads the
    /// table as it is kept.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// use infralens::{Half, HalfTensor, Ids, layers::Embedding};
    /// dims! { pub V = 3; pub D = 2; pub S = 2; }
    /// let table = Tensor::<(V, D)>::from_vec(vec![0.5, 1.0, 2.0, 4.0, -1.0, 0.25])?;
    /// let e = Embedding::new_half(HalfTensor::from_tensor(&table, Half::Bf16));
    /// let x = e.forward(&Ids::<(S,)>::from_vec(vec![2, 0])?)?;
    /// assert_eq!(x.to_vec(), vec![-1.0, 0.25, 0.5, 1.0]); // exact in bf16
    /// assert_eq!(e.table_bytes(), 12);
    /// # Ok::<(), ShapeError>(())
    /// ```
    pub fn new_half(table: HalfTensor<(V, D)>) -> Self {
        Embedding {
            table: Stored::Half(table),
        }
    }
}

/// Layer normalisation over `D` with weight and bias `(D,)`, as `torch.nn.LayerNorm(D)`.
///
/// ```
/// use infralens::prelude::*;
/// use infralens::layers::LayerNorm;
/// dims! { pub S = 2; pub D = 4; }
/// let ln = LayerNorm::new(Tensor::<(D,)>::ones(), Tensor::<(D,)>::zeros(), 1e-5);
/// let y = ln.forward(&Tensor::<(S, D)>::randn(0));
/// assert!(y.as_slice()[..4].iter().sum::<f32>().abs() < 1e-5);
/// ```
#[derive(Clone, Debug)]
pub struct LayerNorm<D: Dim, E: Element = f32, Backend: crate::Backend = crate::Native> {
    weight: Tensor<(D,), E, Backend>,
    bias: Tensor<(D,), E, Backend>,
    eps: E,
}

impl<D: Dim, E: Element, Backend: crate::Backend> LayerNorm<D, E, Backend> {
    /// A layer from its weight and bias `(D,)` and `eps`.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// use infralens::layers::LayerNorm;
    /// dims! { pub D = 4; }
    /// let _ = LayerNorm::new(Tensor::<(D,)>::ones(), Tensor::<(D,)>::zeros(), 1e-5);
    /// ```
    ///
    /// # Panics
    ///
    /// When `eps` is negative or not finite: every output would be NaN.
    ///
    /// ```should_panic
    /// use infralens::prelude::*;
    /// use infralens::layers::LayerNorm;
    /// dims! { pub D = 4; }
    /// // panics: "LayerNorm: `eps` = -1 must be a finite number of at least 0 …"
    /// let _ = LayerNorm::new(Tensor::<(D,)>::ones(), Tensor::<(D,)>::zeros(), -1.0);
    /// ```
    #[track_caller]
    pub fn new(weight: Tensor<(D,), E, Backend>, bias: Tensor<(D,), E, Backend>, eps: E) -> Self {
        check_eps("LayerNorm", eps);
        LayerNorm { weight, bias, eps }
    }

    /// The layer on another backend (or device): one explicit copy of its weights.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// use infralens::{Native, layers::LayerNorm};
    /// dims! { pub D = 4; }
    /// let norm = LayerNorm::<D>::new(Tensor::ones(), Tensor::zeros(), 1e-5);
    /// let x = Tensor::<(D,)>::randn(0);
    /// assert_eq!(norm.to_backend::<Native>(&())?.forward(&x), norm.forward(&x));
    /// # Ok::<(), ShapeError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// When the device cannot hold a weight (the backend's reason).
    pub fn to_backend<To: crate::Backend>(
        &self,
        device: &To::Device,
    ) -> Result<LayerNorm<D, E, To>, ShapeError> {
        Ok(LayerNorm {
            weight: self.weight.to_backend::<To>(device)?,
            bias: self.bias.to_backend::<To>(device)?,
            eps: self.eps,
        })
    }

    /// Normalises the last axis, `D`.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// use infralens::layers::LayerNorm;
    /// dims! { pub D = 2; }
    /// let ln = LayerNorm::new(Tensor::<(D,)>::ones(), Tensor::<(D,)>::zeros(), 0.0);
    /// assert_eq!(ln.forward(&Tensor::<(D,)>::from_vec(vec![1.0, 3.0])?).to_vec(), vec![-1.0, 1.0]);
    /// # Ok::<(), ShapeError>(())
    /// ```
    #[track_caller]
    pub fn forward<Sh: LastAxis<Last = D>>(
        &self,
        x: &Tensor<Sh, E, Backend>,
    ) -> Tensor<Sh, E, Backend> {
        x.layer_norm(&self.weight, &self.bias, self.eps)
    }
}

/// RMS normalisation over `D` with weight `(D,)`, as Llama's `RMSNorm` (also Qwen3's per-head
/// q/k norm, over `Dh`).
///
/// ```
/// use infralens::prelude::*;
/// use infralens::layers::RmsNorm;
/// dims! { pub D = 2; }
/// let norm = RmsNorm::new(Tensor::<(D,), f64>::ones(), 0.0);
/// let y = norm.forward(&Tensor::<(D,), f64>::from_vec(vec![3.0, 4.0])?);
/// assert!((y.get(&[1]).unwrap() - 4.0 / 12.5f64.sqrt()).abs() < 1e-15);
/// # Ok::<(), ShapeError>(())
/// ```
#[derive(Clone, Debug)]
pub struct RmsNorm<D: Dim, E: Element = f32, Backend: crate::Backend = crate::Native> {
    weight: Tensor<(D,), E, Backend>,
    eps: E,
}

impl<D: Dim, E: Element, Backend: crate::Backend> RmsNorm<D, E, Backend> {
    /// A layer from its weight `(D,)` and `eps`.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// use infralens::layers::RmsNorm;
    /// dims! { pub D = 4; }
    /// let _ = RmsNorm::new(Tensor::<(D,)>::ones(), 1e-6);
    /// ```
    ///
    /// # Panics
    ///
    /// When `eps` is negative or not finite: every output would be NaN.
    ///
    /// ```should_panic
    /// use infralens::prelude::*;
    /// use infralens::layers::RmsNorm;
    /// dims! { pub D = 4; }
    /// let _ = RmsNorm::new(Tensor::<(D,)>::ones(), f32::NAN);
    /// ```
    #[track_caller]
    pub fn new(weight: Tensor<(D,), E, Backend>, eps: E) -> Self {
        check_eps("RmsNorm", eps);
        RmsNorm { weight, eps }
    }

    /// The layer on another backend (or device): one explicit copy of its weight.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// use infralens::{Native, layers::RmsNorm};
    /// dims! { pub D = 4; }
    /// let norm = RmsNorm::<D>::new(Tensor::ones(), 1e-5);
    /// let x = Tensor::<(D,)>::randn(0);
    /// assert_eq!(norm.to_backend::<Native>(&())?.forward(&x), norm.forward(&x));
    /// # Ok::<(), ShapeError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// When the device cannot hold the weight (the backend's reason).
    pub fn to_backend<To: crate::Backend>(
        &self,
        device: &To::Device,
    ) -> Result<RmsNorm<D, E, To>, ShapeError> {
        Ok(RmsNorm {
            weight: self.weight.to_backend::<To>(device)?,
            eps: self.eps,
        })
    }

    /// Normalises the last axis, `D`.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// use infralens::layers::RmsNorm;
    /// dims! { pub S = 3; pub D = 4; }
    /// let y = RmsNorm::new(Tensor::<(D,)>::ones(), 1e-6).forward(&Tensor::<(S, D)>::ones());
    /// assert!((y.get(&[2, 3]).unwrap() - 1.0).abs() < 1e-5);
    /// ```
    #[track_caller]
    pub fn forward<Sh: LastAxis<Last = D>>(
        &self,
        x: &Tensor<Sh, E, Backend>,
    ) -> Tensor<Sh, E, Backend> {
        x.rms_norm(&self.weight, self.eps)
    }
}

/// The gated MLP of Llama-family models (`LlamaMLP`): `down(silu(gate(x)) · up(x))`,
/// `(…, D) → (…, D)` through a hidden width `F`, from the three [`Linear`] layers a
/// checkpoint holds (`gate_proj`, `up_proj`, `down_proj`, each stored `(out, in)`).
///
/// ```
/// use infralens::prelude::*;
/// use infralens::layers::{Linear, SwiGlu};
/// dims! { pub S = 2; pub D = 4; pub F = 8; }
/// let (wg, wu, wd) = (Tensor::<(F, D)>::randn(1), Tensor::<(F, D)>::randn(2), Tensor::<(D, F)>::randn(3));
/// let mlp = SwiGlu::new(Linear::new(wg.clone(), None), Linear::new(wu.clone(), None), Linear::new(wd.clone(), None));
/// let x = Tensor::<(S, D)>::randn(0);
/// let y: Tensor<(S, D)> = mlp.forward(&x);
/// assert_eq!(y, x.swiglu(&wg.t().to_tensor(), &wu.t().to_tensor()).matmul(&wd.t()));
/// assert_eq!(mlp.parameters(), 3 * 4 * 8);
/// ```
#[derive(Clone, Debug)]
pub struct SwiGlu<D: Dim, F: Dim, E: Element = f32, Backend: crate::Backend = crate::Native> {
    gate: Linear<D, F, E, Backend>,
    up: Linear<D, F, E, Backend>,
    down: Linear<F, D, E, Backend>,
}

impl<D: Dim, F: Dim, E: Element, Backend: crate::Backend> SwiGlu<D, F, E, Backend> {
    /// The MLP from its gate, up and down projections.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// use infralens::layers::{Linear, SwiGlu};
    /// dims! { pub D = 4; pub F = 8; }
    /// let _ = SwiGlu::new(
    ///     Linear::new(Tensor::<(F, D)>::zeros(), None),
    ///     Linear::new(Tensor::<(F, D)>::zeros(), None),
    ///     Linear::new(Tensor::<(D, F)>::zeros(), None),
    /// );
    /// ```
    pub fn new(
        gate: Linear<D, F, E, Backend>,
        up: Linear<D, F, E, Backend>,
        down: Linear<F, D, E, Backend>,
    ) -> Self {
        SwiGlu { gate, up, down }
    }

    /// The MLP on another backend (or device): one explicit copy of its three weights.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// use infralens::{Native, layers::{Linear, SwiGlu}};
    /// dims! { pub D = 4; pub F = 8; }
    /// let mlp = SwiGlu::<D, F>::new(
    ///     Linear::new(Tensor::randn(1), None),
    ///     Linear::new(Tensor::randn(2), None),
    ///     Linear::new(Tensor::randn(3), None),
    /// );
    /// assert_eq!(mlp.to_backend::<Native>(&())?.parameters(), 96);
    /// # Ok::<(), ShapeError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// When the device cannot hold a weight (the backend's reason).
    pub fn to_backend<To: crate::Backend>(
        &self,
        device: &To::Device,
    ) -> Result<SwiGlu<D, F, E, To>, ShapeError> {
        Ok(SwiGlu {
            gate: self.gate.to_backend::<To>(device)?,
            up: self.up.to_backend::<To>(device)?,
            down: self.down.to_backend::<To>(device)?,
        })
    }

    /// The number of parameters of the three projections.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// use infralens::layers::{Linear, SwiGlu};
    /// dims! { pub D = 4; pub F = 8; }
    /// let mlp = SwiGlu::new(
    ///     Linear::new(Tensor::<(F, D)>::zeros(), None),
    ///     Linear::new(Tensor::<(F, D)>::zeros(), Some(Tensor::<(F,)>::zeros())),
    ///     Linear::new(Tensor::<(D, F)>::zeros(), None),
    /// );
    /// assert_eq!(mlp.parameters(), 3 * 32 + 8);
    /// ```
    pub fn parameters(&self) -> usize {
        self.gate.parameters() + self.up.parameters() + self.down.parameters()
    }

    /// The bytes its three weights take in memory (biases left out): what one position's
    /// pass reads of them.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// use infralens::layers::{Linear, SwiGlu};
    /// dims! { pub D = 4; pub F = 8; }
    /// let mlp = SwiGlu::new(
    ///     Linear::new(Tensor::<(F, D)>::zeros(), None),
    ///     Linear::new(Tensor::<(F, D)>::zeros(), None),
    ///     Linear::new(Tensor::<(D, F)>::zeros(), None),
    /// );
    /// assert_eq!(mlp.weight_bytes(), 3 * 4 * 32);
    /// ```
    pub fn weight_bytes(&self) -> usize {
        self.gate.weight_bytes() + self.up.weight_bytes() + self.down.weight_bytes()
    }

    /// `down(silu(gate(x)) · up(x))`: `(…, D) → (…, D)`.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// use infralens::layers::{Linear, SwiGlu};
    /// dims! { pub B = 1; pub S = 3; pub D = 4; pub F = 8; }
    /// let mlp = SwiGlu::new(
    ///     Linear::new(Tensor::<(F, D)>::randn(1), None),
    ///     Linear::new(Tensor::<(F, D)>::randn(2), None),
    ///     Linear::new(Tensor::<(D, F)>::randn(3), None),
    /// );
    /// let y: Tensor<(B, S, D)> = mlp.forward(&Tensor::<(B, S, D)>::randn(0));
    /// # let _ = y;
    /// ```
    #[allow(clippy::type_complexity)]
    pub fn forward<Sh>(
        &self,
        x: &Tensor<Sh, E, Backend>,
    ) -> Tensor<<<Sh as MatMul<(D, F)>>::Output as MatMul<(F, D)>>::Output, E, Backend>
    where
        Sh: MatMul<(D, F)>,
        <Sh as MatMul<(D, F)>>::Output: Broadcasts<(F,)> + MatMul<(F, D)>,
        <<Sh as MatMul<(D, F)>>::Output as MatMul<(F, D)>>::Output: Broadcasts<(D,)>,
    {
        let act = crate::ops::norm::silu_gate(&self.gate.forward(x), &self.up.forward(x));
        self.down.forward(&act)
    }
}

/// The layers on the candle backend (feature `candle`), by the same names: a program that
/// names its layers changes `use infralens::layers::…` to `use infralens::layers::candle::…`
/// along with its prelude.
///
/// ```
/// use infralens::prelude::*;
/// use infralens::Candle;
/// use infralens::layers::candle::Linear;
/// dims! { pub S = 2; pub D = 4; pub F = 8; }
/// let up: Linear<D, F> = Linear::new(Tensor::<(F, D), f32, Candle>::randn(1), None);
/// let x = Tensor::<(S, D), f32, Candle>::randn(2);
/// assert_eq!(up.forward(&x).describe(), "[S=2, F=8]");
/// ```
#[cfg(feature = "candle")]
pub mod candle {
    use crate::Candle;
    /// [`Linear`](super::Linear) on the candle backend.
    pub type Linear<In, Out, E = f32> = super::Linear<In, Out, E, Candle>;
    /// [`Conv1D`](super::Conv1D) on the candle backend.
    pub type Conv1D<In, Out, E = f32> = super::Conv1D<In, Out, E, Candle>;
    /// [`Embedding`](super::Embedding) on the candle backend.
    pub type Embedding<V, D, E = f32> = super::Embedding<V, D, E, Candle>;
    /// [`LayerNorm`](super::LayerNorm) on the candle backend.
    pub type LayerNorm<D, E = f32> = super::LayerNorm<D, E, Candle>;
    /// [`RmsNorm`](super::RmsNorm) on the candle backend.
    pub type RmsNorm<D, E = f32> = super::RmsNorm<D, E, Candle>;
    /// [`SwiGlu`](super::SwiGlu) on the candle backend.
    pub type SwiGlu<D, F, E = f32> = super::SwiGlu<D, F, E, Candle>;
}
