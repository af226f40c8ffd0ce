//! Backends: where a tensor's data lives and which kernels compute on it.
//!
//! A [`Tensor`](crate::Tensor) is `Tensor<Shape, Element, Backend>`. The backend defaults to
//! [`Native`] (InfraLens's own CPU kernels), so `Tensor<(B, S, D)>` means what it always
//! has, and the default never shows in a compiler message. With the cargo feature `candle`,
//! `Candle` keeps the data in a `candle_core::Tensor` on candle's device of choice (CPU
//! here; CUDA and Metal through candle's own features).
//!
//! The shape rules, `#[shapes]`, the lint and every message stay backend-agnostic: an op
//! checks its relation on the shape types and its run-time sizes first, then asks the
//! backend for the numbers. A backend only supplies storage and kernels over untyped sizes.
//!
//! ```
//! use infralens::prelude::*;
//! use infralens::{Backend, Native};
//!
//! dims! { pub S = 2; pub D = 3; }
//!
//! fn name<B: Backend>(_: &Tensor<(S, D), f32, B>) -> &'static str { B::NAME }
//! assert_eq!(name(&Tensor::<(S, D)>::zeros()), "native");
//! assert_eq!(Native::NAME, "native");
//! ```
//!
//! # How a backend is built
//!
//! [`Backend`] is sealed while its kernel set grows with the ops: a third backend is an
//! implementation inside this crate behind a feature, as `Candle` is — a storage type (its
//! tensor), a `Slice` type that matmul and attention read operands through (the same
//! tensor), a `Device`, and one method per kernel below, each given untyped sizes. No op,
//! relation or message changes. For burn, whose `Tensor<B, N>` carries its rank as a const
//! parameter, the storage would be the flat `burn::Tensor<B, 1>` (the op hands every
//! kernel its sizes, so each kernel reshapes to the rank it needs, as the candle kernels
//! do), `Device` burn's `B::Device`, and the backend type generic over burn's backend
//! (`Burn<B>`), so that one InfraLens backend covers burn's ndarray, wgpu and CUDA
//! backends.

use crate::Element;
use crate::error::ShapeError;
use crate::kernels::attention::{AttentionSizes, MaskRows};
use core::fmt::Debug;

mod sealed {
    pub trait Sealed {}
}
pub(crate) use sealed::Sealed;

#[cfg(feature = "candle")]
mod candle;
#[cfg(feature = "candle")]
pub use candle::Candle;

/// The arithmetic of [`Tensor::add`](crate::Tensor::add), [`Tensor::sub`](crate::Tensor::sub)
/// and [`Tensor::mul`](crate::Tensor::mul), for a backend's broadcast kernel.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    /// `a + b`
    Add,
    /// `a - b`
    Sub,
    /// `a * b`
    Mul,
}

impl BinaryOp {
    /// The operation on two elements.
    #[inline(always)]
    pub(crate) fn apply<E: Element>(self, a: E, b: E) -> E {
        match self {
            BinaryOp::Add => a + b,
            BinaryOp::Sub => a - b,
            BinaryOp::Mul => a * b,
        }
    }
}

/// An activation, for a backend's elementwise kernel.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activation {
    /// The exact GELU, `x · Φ(x)` with `erf`.
    Gelu,
    /// GELU's `tanh` approximation (GPT-2's `gelu_new`).
    GeluTanh,
    /// `x · σ(x)`.
    Silu,
}

impl Activation {
    /// The activation of one value, computed in `f64`.
    pub(crate) fn apply(self, x: f64) -> f64 {
        const C: f64 = 0.797_884_560_802_865_4; // √(2/π)
        match self {
            Activation::Gelu => 0.5 * x * (1.0 + libm::erf(x / core::f64::consts::SQRT_2)),
            Activation::GeluTanh => 0.5 * x * (1.0 + (C * (x + 0.044_715 * x * x * x)).tanh()),
            Activation::Silu => x / (1.0 + (-x).exp()),
        }
    }
}

/// A matmul's right operand as a backend reads it (internal): `data` holds the stored
/// matrices, batch index `i` reading stored matrix `i / group`; `transposed` when they are
/// stored with their last two axes swapped; `row_stride` and `matrix_stride` (in elements)
/// where the native kernels find rows and matrices.
#[doc(hidden)]
#[derive(Debug)]
pub struct Layout<'a, E: Element, B: Backend = Native> {
    /// The storage.
    pub data: &'a B::Slice<E>,
    /// Stored with the last two axes swapped.
    pub transposed: bool,
    /// Elements between two stored rows.
    pub row_stride: usize,
    /// Elements between two stored matrices.
    pub matrix_stride: usize,
    /// Batch indices that read each stored matrix.
    pub group: usize,
}

impl<E: Element, B: Backend> Clone for Layout<'_, E, B> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<E: Element, B: Backend> Copy for Layout<'_, E, B> {}

/// Attention's keys or values as a backend reads them (internal): `sizes` `(b, hkv, t, d)`,
/// `stride` rows between two heads' starts (`t` when contiguous, a cache's capacity), and
/// `group` query heads sharing each stored head (a view from `repeat_kv`).
#[doc(hidden)]
#[derive(Debug)]
pub struct KvParts<'a, E: Element, B: Backend = Native> {
    /// The storage.
    pub data: &'a B::Slice<E>,
    /// `(b, heads, t, d)` as seen.
    pub sizes: [usize; 4],
    /// Rows between the starts of two consecutive stored heads.
    pub stride: usize,
    /// Query heads sharing each stored head.
    pub group: usize,
}

impl<E: Element, B: Backend> Clone for KvParts<'_, E, B> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<E: Element, B: Backend> Copy for KvParts<'_, E, B> {}

/// Where a tensor's data lives and which kernels compute on it: [`Native`] (the default) or
/// `Candle` (feature `candle`). See the [module](self) for how one is built.
///
/// The kernels take untyped sizes: every shape rule and run-time size has been checked by
/// the op before it calls one, so a kernel never reports a shape error. A kernel that
/// fails for another reason (a GPU out of memory) panics with the backend's message.
///
/// ```
/// use infralens::prelude::*;
/// use infralens::{Backend, Native};
///
/// dims! { pub S = 2; pub D = 3; }
/// let x = Tensor::<(S, D)>::from_fn(|i| i[1] as f32);
/// // Move to a backend (here the same one) with one call; the shape comes along.
/// let y: Tensor<(S, D), f32, Native> = x.to_backend::<Native>(&()).expect("native never fails");
/// assert_eq!(y.to_vec(), x.to_vec());
/// ```
pub trait Backend: Sealed + Sized + Copy + Debug + Send + Sync + 'static {
    /// The backend's name in messages and reports: `"native"`, `"candle"`.
    const NAME: &'static str;
    /// Whether layers keep half-precision weights half on this backend (its kernels read
    /// them); otherwise they are widened when a layer moves here.
    #[doc(hidden)]
    const KEEPS_HALF: bool;
    /// Where tensors live: `()` for [`Native`], a `candle_core::Device` for `Candle`.
    type Device: Clone + Debug;
    /// The data of a tensor of `E` elements: `Vec<E>`, or a `candle_core::Tensor`.
    type Storage<E: Element>: Clone + Debug + Send + Sync;
    /// What a matmul or attention reads an operand through: `[E]` (a slice of a tensor or
    /// of a KV cache), or a `candle_core::Tensor`.
    #[doc(hidden)]
    type Slice<E: Element>: ?Sized + Debug + Sync;

    /// The storage of `data`, a row-major tensor of `sizes`, on `device`.
    #[doc(hidden)]
    fn from_vec<E: Element>(
        data: Vec<E>,
        sizes: &[usize],
        device: &Self::Device,
    ) -> Result<Self::Storage<E>, ShapeError>;
    /// The device the constructors (`zeros`, `randn`, `from_vec`, …) put a tensor on: `()`,
    /// or candle's `Device::Cpu`. Move a tensor elsewhere with
    /// [`Tensor::to_backend`](crate::Tensor::to_backend).
    ///
    /// ```
    /// use infralens::{Backend, Native};
    /// let () = Native::default_device();
    /// ```
    fn default_device() -> Self::Device;
    /// The number of elements.
    #[doc(hidden)]
    fn len<E: Element>(data: &Self::Storage<E>) -> usize;
    /// The elements, row-major.
    #[doc(hidden)]
    fn to_vec<E: Element>(data: &Self::Storage<E>) -> Vec<E>;
    /// The elements, row-major, the storage given up.
    #[doc(hidden)]
    fn into_vec<E: Element>(data: Self::Storage<E>) -> Vec<E>;
    /// `f` of the elements, row-major, in host memory: borrowed in place on the native
    /// backend, copied from the device on candle.
    #[doc(hidden)]
    fn host<E: Element, R>(data: &Self::Storage<E>, f: impl FnOnce(&[E]) -> R) -> R;
    /// Element `flat` (below the length), row-major.
    #[doc(hidden)]
    fn get<E: Element>(data: &Self::Storage<E>, flat: usize) -> E;
    /// `f` of every element, on the same device.
    #[doc(hidden)]
    fn map<E: Element>(data: &Self::Storage<E>, f: impl FnMut(E) -> E) -> Self::Storage<E>;
    /// Whether two storages of the same sizes hold the same elements.
    #[doc(hidden)]
    fn equal<E: Element>(a: &Self::Storage<E>, b: &Self::Storage<E>) -> bool;
    /// The device `data` lives on.
    #[doc(hidden)]
    fn device<E: Element>(data: &Self::Storage<E>) -> Self::Device;
    /// The storage as an operand.
    #[doc(hidden)]
    fn slice<E: Element>(data: &Self::Storage<E>) -> &Self::Slice<E>;
    /// The same elements seen with other sizes (of the same count).
    #[doc(hidden)]
    fn reshape<E: Element>(data: Self::Storage<E>, sizes: &[usize]) -> Self::Storage<E>;

    /// `a · b` for `a` of `batch` row-major `(m, k)` matrices and `b` read through its
    /// layout: `shared` when one `(k, n)` matrix serves every batch index.
    #[doc(hidden)]
    fn matmul<E: Element>(
        a: &Self::Storage<E>,
        b: Layout<'_, E, Self>,
        dims: (usize, usize, usize, usize),
        shared: bool,
    ) -> Self::Storage<E>;
    /// `x · Wᵀ` for `rows` rows of `k` and a weight `(n, k)` kept in half precision (its
    /// bits), accumulated in `f32` or wider.
    #[doc(hidden)]
    fn matmul_half_t<E: Element>(
        x: &Self::Storage<E>,
        weight: (&[u16], crate::Half),
        dims: (usize, usize, usize),
    ) -> Self::Storage<E>;
    /// `data` of `sizes` with axes `i` and `j` swapped, contiguous.
    #[doc(hidden)]
    fn swap_axes<E: Element>(
        data: &Self::Storage<E>,
        sizes: &[usize],
        i: usize,
        j: usize,
    ) -> Self::Storage<E>;
    /// A key/value view as a contiguous `(b, h, t, d)` tensor (the filled rows of a cache,
    /// its stored heads repeated over `group` query heads each).
    #[doc(hidden)]
    fn gather_view<E: Element>(view: KvParts<'_, E, Self>) -> Self::Storage<E>;
    /// `src`, `(b, hkv, new, d)`, written into rows `at..at + new` of `dst`, a cache
    /// `(b, hkv, capacity, d)`, in place.
    #[doc(hidden)]
    fn write_rows<E: Element>(
        dst: &mut Self::Storage<E>,
        capacity: usize,
        at: usize,
        src: &Self::Storage<E>,
        src_sizes: [usize; 4],
    );
    /// `(batch, hkv, rows)` heads repeated to `(batch, h, rows)`: query head `q` reads
    /// head `q / (h / hkv)`.
    #[doc(hidden)]
    fn repeat_heads<E: Element>(
        data: &Self::Storage<E>,
        sizes: [usize; 4],
        h: usize,
    ) -> Self::Storage<E>;
    /// Every element times `factor`.
    #[doc(hidden)]
    fn scale<E: Element>(data: &Self::Storage<E>, factor: E) -> Self::Storage<E>;
    /// Positions `start..start + len` of axis `axis` of `data` (of `sizes`).
    #[doc(hidden)]
    fn narrow<E: Element>(
        data: &Self::Storage<E>,
        sizes: &[usize],
        axis: usize,
        range: (usize, usize),
    ) -> Self::Storage<E>;
    /// `a` then `b` along axis `axis` (their other sizes equal).
    #[doc(hidden)]
    fn cat<E: Element>(
        a: (&Self::Storage<E>, &[usize]),
        b: (&Self::Storage<E>, &[usize]),
        axis: usize,
    ) -> Self::Storage<E>;
    /// Rows `ids` (each below the row count) of a table of rows of `d`, one after another.
    #[doc(hidden)]
    fn gather_rows<E: Element>(table: &Self::Storage<E>, d: usize, ids: &[u32])
    -> Self::Storage<E>;
    /// Rotary embeddings of the rows of `(…, s, dh)` matrices: row `i` rotated by the angles
    /// whose `cos` and `sin` are row `i` of the `(s, dh / 2)` tables.
    #[doc(hidden)]
    fn rope<E: Element>(
        data: &Self::Storage<E>,
        rows: (usize, usize),
        tables: (&[E], &[E]),
        style: crate::RopeStyle,
    ) -> Self::Storage<E>;
    /// An activation of every element.
    #[doc(hidden)]
    fn activation<E: Element>(data: &Self::Storage<E>, f: Activation) -> Self::Storage<E>;
    /// `silu(gate) ⊙ up`, two tensors of one shape.
    #[doc(hidden)]
    fn silu_mul<E: Element>(gate: &Self::Storage<E>, up: &Self::Storage<E>) -> Self::Storage<E>;
    /// Each run of `d` elements normalised: `(x - mean) / sqrt(var + eps) · w + b` (layer
    /// norm, with `b`), or `x / sqrt(mean(x²) + eps) · w` (RMS norm, `b` absent).
    #[doc(hidden)]
    fn norm<E: Element>(
        data: &Self::Storage<E>,
        d: usize,
        w: &Self::Storage<E>,
        b: Option<&Self::Storage<E>>,
        eps: E,
    ) -> Self::Storage<E>;
    /// A softmax over each run of `row` elements.
    #[doc(hidden)]
    fn softmax_last<E: Element>(data: &Self::Storage<E>, row: usize) -> Self::Storage<E>;
    /// `big op small`, `small` repeated over every run of its length in `big`.
    #[doc(hidden)]
    fn broadcast<E: Element>(
        op: BinaryOp,
        big: &Self::Storage<E>,
        small: &Self::Storage<E>,
    ) -> Self::Storage<E>;
    /// Scores of `batch · heads` matrices `(s, t)` with the keys outside each row's
    /// `mask.range(b, i, t)` set to `-inf`.
    #[doc(hidden)]
    fn mask<E: Element>(
        data: &Self::Storage<E>,
        sizes: (usize, usize, usize, usize),
        mask: MaskRows<'_>,
    ) -> Self::Storage<E>;
    /// `softmax(scale · Q·Kᵀ + bias + mask)·V` (see `kernels::attention`); a query that sees
    /// no key gets a zero row.
    #[doc(hidden)]
    fn attention<E: Element>(
        sizes: AttentionSizes,
        q: &Self::Storage<E>,
        k: KvParts<'_, E, Self>,
        v: KvParts<'_, E, Self>,
        mask: (MaskRows<'_>, Option<&Self::Storage<E>>),
        scale: E,
    ) -> Self::Storage<E>;
}

/// InfraLens's own CPU kernels, the default backend: data in a `Vec`, GEMM through
/// `matrixmultiply`, fused attention, threads from [`threads`](crate::threads).
///
/// ```
/// use infralens::prelude::*;
/// use infralens::Native;
/// dims! { pub S = 2; pub D = 3; }
/// // `Tensor<(S, D)>` is `Tensor<(S, D), f32, Native>`.
/// let x: Tensor<(S, D), f32, Native> = Tensor::<(S, D)>::zeros();
/// assert_eq!(x.as_slice(), &[0.0; 6]);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Native;

impl Sealed for Native {}

impl Backend for Native {
    const NAME: &'static str = "native";
    const KEEPS_HALF: bool = true;
    type Device = ();
    type Storage<E: Element> = Vec<E>;
    type Slice<E: Element> = [E];

    fn from_vec<E: Element>(data: Vec<E>, _: &[usize], (): &()) -> Result<Vec<E>, ShapeError> {
        Ok(data)
    }
    fn default_device() {}
    fn len<E: Element>(data: &Vec<E>) -> usize {
        data.len()
    }
    fn to_vec<E: Element>(data: &Vec<E>) -> Vec<E> {
        data.clone()
    }
    fn into_vec<E: Element>(data: Vec<E>) -> Vec<E> {
        data
    }
    fn host<E: Element, R>(data: &Vec<E>, f: impl FnOnce(&[E]) -> R) -> R {
        f(data)
    }
    fn get<E: Element>(data: &Vec<E>, flat: usize) -> E {
        data[flat]
    }
    fn map<E: Element>(data: &Vec<E>, f: impl FnMut(E) -> E) -> Vec<E> {
        data.iter().copied().map(f).collect()
    }
    fn equal<E: Element>(a: &Vec<E>, b: &Vec<E>) -> bool {
        a == b
    }
    fn device<E: Element>(_: &Vec<E>) {}
    fn slice<E: Element>(data: &Vec<E>) -> &[E] {
        data
    }
    fn reshape<E: Element>(data: Vec<E>, _: &[usize]) -> Vec<E> {
        data
    }
    fn matmul<E: Element>(
        a: &Vec<E>,
        b: Layout<'_, E, Self>,
        dims: (usize, usize, usize, usize),
        shared: bool,
    ) -> Vec<E> {
        crate::ops::matmul::matmul_kernel(dims, a, b, shared)
    }
    fn matmul_half_t<E: Element>(
        x: &Vec<E>,
        (bits, half): (&[u16], crate::Half),
        dims: (usize, usize, usize),
    ) -> Vec<E> {
        crate::kernels::half::matmul_t(x, bits, half, dims)
    }
    fn swap_axes<E: Element>(data: &Vec<E>, sizes: &[usize], i: usize, j: usize) -> Vec<E> {
        crate::kernels::permute::swap_axes(data, sizes, i, j)
    }
    fn gather_view<E: Element>(view: KvParts<'_, E, Self>) -> Vec<E> {
        let [b, h, t, d] = view.sizes;
        let mut out = Vec::with_capacity(b * h * t * d);
        for bi in 0..b {
            for hi in 0..h {
                let head = (bi * h + hi) / view.group.max(1);
                out.extend_from_slice(&view.data[head * view.stride * d..][..t * d]);
            }
        }
        out
    }
    fn write_rows<E: Element>(
        dst: &mut Vec<E>,
        capacity: usize,
        at: usize,
        src: &Vec<E>,
        [b, hkv, new, d]: [usize; 4],
    ) {
        for head in 0..b * hkv {
            let to = (head * capacity + at) * d;
            dst[to..to + new * d].copy_from_slice(&src[head * new * d..][..new * d]);
        }
    }
    fn repeat_heads<E: Element>(data: &Vec<E>, [b, hkv, t, d]: [usize; 4], h: usize) -> Vec<E> {
        crate::kernels::permute::repeat_heads(data, b, hkv, h, t * d)
    }
    fn scale<E: Element>(data: &Vec<E>, factor: E) -> Vec<E> {
        data.iter().map(|&x| x * factor).collect()
    }
    fn narrow<E: Element>(
        data: &Vec<E>,
        sizes: &[usize],
        axis: usize,
        (start, len): (usize, usize),
    ) -> Vec<E> {
        let n = sizes[axis];
        let outer: usize = sizes[..axis].iter().product();
        let inner: usize = sizes[axis + 1..].iter().product();
        let mut out = Vec::with_capacity(outer * len * inner);
        for o in 0..outer {
            out.extend_from_slice(&data[(o * n + start) * inner..][..len * inner]);
        }
        out
    }
    fn cat<E: Element>(
        (a, a_sizes): (&Vec<E>, &[usize]),
        (b, b_sizes): (&Vec<E>, &[usize]),
        axis: usize,
    ) -> Vec<E> {
        let outer: usize = a_sizes[..axis].iter().product();
        let inner: usize = a_sizes[axis + 1..].iter().product();
        let (ca, cb) = (a_sizes[axis] * inner, b_sizes[axis] * inner);
        let mut out = Vec::with_capacity(outer * (ca + cb));
        for o in 0..outer {
            out.extend_from_slice(&a[o * ca..][..ca]);
            out.extend_from_slice(&b[o * cb..][..cb]);
        }
        out
    }
    fn gather_rows<E: Element>(table: &Vec<E>, d: usize, ids: &[u32]) -> Vec<E> {
        let mut out = Vec::with_capacity(ids.len() * d);
        for &id in ids {
            out.extend_from_slice(&table[id as usize * d..][..d]);
        }
        out
    }
    fn rope<E: Element>(
        data: &Vec<E>,
        (s, dh): (usize, usize),
        (cos, sin): (&[E], &[E]),
        style: crate::RopeStyle,
    ) -> Vec<E> {
        let mut out = data.clone();
        let half = dh / 2;
        if s * dh > 0 {
            for matrix in out.chunks_exact_mut(s * dh) {
                for (i, row) in matrix.chunks_exact_mut(dh).enumerate() {
                    let (c, sn) = (&cos[i * half..][..half], &sin[i * half..][..half]);
                    crate::ops::rope::rotate(row, c, sn, style);
                }
            }
        }
        out
    }
    fn activation<E: Element>(data: &Vec<E>, f: Activation) -> Vec<E> {
        data.iter()
            .map(|&x| E::from_f64(f.apply(x.to_f64())))
            .collect()
    }
    fn silu_mul<E: Element>(gate: &Vec<E>, up: &Vec<E>) -> Vec<E> {
        #[cfg(all(feature = "simd", target_arch = "x86_64"))]
        if let (Some(g), Some(u)) = (E::as_f32s(gate), E::as_f32s(up))
            && g.len() == u.len()
        {
            let mut out = vec![E::ZERO; g.len()];
            if let Some(o) = E::as_f32s_mut(&mut out)
                && crate::kernels::avx2::silu_mul(g, u, o)
            {
                return out;
            }
        }
        gate.iter()
            .zip(up)
            .map(|(&g, &u)| E::from_f64(Activation::Silu.apply(g.to_f64())) * u)
            .collect()
    }
    fn norm<E: Element>(data: &Vec<E>, d: usize, w: &Vec<E>, b: Option<&Vec<E>>, eps: E) -> Vec<E> {
        let mut out = data.clone();
        if d == 0 {
            return out;
        }
        let eps = eps.to_f64();
        for row in out.chunks_exact_mut(d) {
            let n = row.len() as f64;
            match b {
                Some(b) => {
                    let mean = row.iter().map(|x| x.to_f64()).sum::<f64>() / n;
                    let var = row.iter().map(|x| (x.to_f64() - mean).powi(2)).sum::<f64>() / n;
                    let inv = 1.0 / (var + eps).sqrt();
                    for ((x, &wi), &bi) in row.iter_mut().zip(w).zip(b) {
                        *x = E::from_f64((x.to_f64() - mean) * inv * wi.to_f64() + bi.to_f64());
                    }
                }
                None => {
                    let ms = row.iter().map(|x| x.to_f64().powi(2)).sum::<f64>() / n;
                    let inv = 1.0 / (ms + eps).sqrt();
                    for (x, &wi) in row.iter_mut().zip(w) {
                        *x = E::from_f64(x.to_f64() * inv * wi.to_f64());
                    }
                }
            }
        }
        out
    }
    fn softmax_last<E: Element>(data: &Vec<E>, row: usize) -> Vec<E> {
        let mut out = data.clone();
        if row > 0 {
            out.chunks_exact_mut(row)
                .for_each(crate::kernels::softmax::softmax_row);
        }
        out
    }
    fn broadcast<E: Element>(op: BinaryOp, big: &Vec<E>, small: &Vec<E>) -> Vec<E> {
        let mut out = big.clone();
        if !small.is_empty() {
            for chunk in out.chunks_exact_mut(small.len()) {
                for (x, &y) in chunk.iter_mut().zip(small) {
                    *x = op.apply(*x, y);
                }
            }
        }
        out
    }
    fn mask<E: Element>(
        data: &Vec<E>,
        (_, heads, s, t): (usize, usize, usize, usize),
        mask: MaskRows<'_>,
    ) -> Vec<E> {
        let mut out = data.clone();
        if t > 0 && s > 0 {
            for (m, matrix) in out.chunks_exact_mut(s * t).enumerate() {
                let b = m.checked_div(heads).unwrap_or(0);
                for (i, row) in matrix.chunks_exact_mut(t).enumerate() {
                    let (lo, hi) = mask.range(b, i, t);
                    row[..lo].fill(E::NEG_INFINITY);
                    row[hi..].fill(E::NEG_INFINITY);
                }
            }
        }
        out
    }
    fn attention<E: Element>(
        sizes: AttentionSizes,
        q: &Vec<E>,
        k: KvParts<'_, E, Self>,
        v: KvParts<'_, E, Self>,
        (mask, bias): (MaskRows<'_>, Option<&Vec<E>>),
        scale: E,
    ) -> Vec<E> {
        let mut out = vec![E::ZERO; sizes.b * sizes.h * sizes.s * sizes.dv];
        crate::kernels::attention::attention(
            sizes,
            q,
            k.data,
            v.data,
            (mask, bias.map(Vec::as_slice)),
            scale,
            &mut out,
        );
        out
    }
}
