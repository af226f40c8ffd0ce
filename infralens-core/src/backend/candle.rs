//! The candle backend (feature `candle`): a tensor's data is a `candle_core::Tensor` on the
//! device of the user's choice, and every kernel is candle's.

use super::{Activation, Backend, BinaryOp, KvParts, Layout, Sealed};
use crate::Element;
use crate::error::ShapeError;
use crate::kernels::attention::{AttentionSizes, MaskRows};
use candle_core::{D, Device, Tensor as CTensor};

/// Tensors whose data is a `candle_core::Tensor` on a candle `Device` (CPU here; CUDA and
/// Metal through candle's features `cuda` and `metal`, which InfraLens does not test):
/// `Tensor<(B, S, D), f32, Candle>`. Feature `candle`.
///
/// The shape rules are the same as on the native backend, checked by the same relations,
/// with the same messages; only the numbers come from candle's kernels. Move a tensor over
/// with [`Tensor::to_backend`](crate::Tensor::to_backend), or wrap a candle tensor without a
/// copy with [`Tensor::from_candle`](crate::Tensor::from_candle).
///
/// ```
/// use infralens::prelude::*;
/// use infralens::Candle;
/// use infralens::candle_core::Device;
///
/// dims! { pub B = 1; pub S = 3; pub D = 4; pub H = 2; pub Dh = D / H; }
///
/// let x = Tensor::<(B, S, D)>::randn(0).to_backend::<Candle>(&Device::Cpu)?;
/// let w = Tensor::<(D, D)>::randn(1).to_backend::<Candle>(&Device::Cpu)?;
/// let q = x.matmul(&w).split_heads::<H, Dh>();
/// let scores: Tensor<(B, H, S, S), f32, Candle> = q.attention_scale::<Dh>().matmul(&q.t());
/// assert_eq!(scores.describe(), "[B=1, H=2, S=3, S=3]");
/// assert_eq!(scores.to_candle().dims(), &[1, 2, 3, 3]);
/// let p = scores.causal_mask().softmax();
/// let out: Tensor<(B, S, D), f32, Candle> = p.matmul(&q).merge_heads::<D>();
/// assert_eq!(out.to_vec().len(), 12);
/// # Ok::<(), ShapeError>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Candle;

impl Sealed for Candle {}

/// The result of a candle call inside a kernel: the op has checked every size, so an error
/// here is candle's own (a device out of memory, a dtype the device lacks), and a panic.
#[track_caller]
fn ok<T>(r: candle_core::Result<T>) -> T {
    match r {
        Ok(t) => t,
        Err(e) => panic!("the candle backend failed: {e}"),
    }
}

/// A `(…, s, t)` boolean tensor (`u8`) of the keys each query row may not see, shaped
/// `(batch, 1, s, t)` to broadcast over the heads, or `None` when every key is seen.
fn hidden_keys(
    (batch, s, t): (usize, usize, usize),
    mask: MaskRows<'_>,
    device: &Device,
) -> Option<CTensor> {
    let mut hidden = vec![0u8; batch * s * t];
    let mut any = false;
    for b in 0..batch {
        for i in 0..s {
            let (lo, hi) = mask.range(b, i, t);
            let row = &mut hidden[(b * s + i) * t..][..t];
            row[..lo].fill(1);
            row[hi..].fill(1);
            any |= lo > 0 || hi < t;
        }
    }
    any.then(|| ok(CTensor::from_vec(hidden, (batch, 1, s, t), device)))
}

/// The stored heads a key/value view reads, `(b, heads stored, t, d)`: the first `t` rows
/// of each head of its storage (a cache holds `stride` rows a head).
fn stored_heads<E: Element>(p: &KvParts<'_, E, Candle>) -> CTensor {
    let [b, h, t, d] = p.sizes;
    let heads = h / p.group.max(1);
    let all = ok(p.data.reshape((b, heads, p.stride, d)));
    if p.stride == t {
        all
    } else {
        ok(ok(all.narrow(2, 0, t)).contiguous())
    }
}

/// `x` with the entries where `hidden` is 1 set to `-inf` (`hidden` broadcasts to `x`).
fn fill_hidden(x: &CTensor, hidden: &CTensor) -> CTensor {
    let hidden = ok(hidden.broadcast_as(x.shape()));
    let neg_inf =
        ok(ok(CTensor::full(f32::NEG_INFINITY, x.shape(), x.device())).to_dtype(x.dtype()));
    ok(hidden.where_cond(&neg_inf, x))
}

/// Softmax over the last axis, with the native backend's convention: a row that is all
/// `-inf` (every key masked) is all zeros, not NaN.
fn softmax_last(x: &CTensor) -> CTensor {
    let max = ok(x.max_keepdim(D::Minus1));
    let masked = ok(max.eq(f64::NEG_INFINITY));
    let zeros = ok(max.zeros_like());
    let max = ok(masked.where_cond(&zeros, &max));
    let e = ok(ok(x.broadcast_sub(&max)).exp());
    let sum = ok(e.sum_keepdim(D::Minus1));
    let sum = ok(masked.where_cond(&ok(sum.ones_like()), &sum));
    ok(e.broadcast_div(&sum))
}

impl Backend for Candle {
    const NAME: &'static str = "candle";
    // candle's CPU backend has no half-precision matmul (huggingface/candle#3503).
    const KEEPS_HALF: bool = false;
    type Device = Device;
    type Storage<E: Element> = CTensor;
    type Slice<E: Element> = CTensor;

    fn from_vec<E: Element>(
        data: Vec<E>,
        sizes: &[usize],
        device: &Device,
    ) -> Result<CTensor, ShapeError> {
        E::to_candle_tensor(data, sizes, device).map_err(|e| {
            ShapeError::from_message(format!("cannot put the tensor on the candle device: {e}"))
        })
    }
    fn default_device() -> Device {
        Device::Cpu
    }
    fn len<E: Element>(data: &CTensor) -> usize {
        data.elem_count()
    }
    fn to_vec<E: Element>(data: &CTensor) -> Vec<E> {
        ok(E::from_candle_tensor(data))
    }
    fn into_vec<E: Element>(data: CTensor) -> Vec<E> {
        Self::to_vec(&data)
    }
    fn host<E: Element, R>(data: &CTensor, f: impl FnOnce(&[E]) -> R) -> R {
        f(&Self::to_vec::<E>(data))
    }
    fn get<E: Element>(data: &CTensor, flat: usize) -> E {
        let one = ok(ok(data.flatten_all()).narrow(0, flat, 1));
        ok(E::from_candle_tensor(&one))[0]
    }
    fn map<E: Element>(data: &CTensor, f: impl FnMut(E) -> E) -> CTensor {
        let values: Vec<E> = Self::to_vec(data).into_iter().map(f).collect();
        ok(E::to_candle_tensor(values, data.dims(), data.device()))
    }
    fn equal<E: Element>(a: &CTensor, b: &CTensor) -> bool {
        Self::to_vec::<E>(a) == Self::to_vec::<E>(b)
    }
    fn device<E: Element>(data: &CTensor) -> Device {
        data.device().clone()
    }
    fn slice<E: Element>(data: &CTensor) -> &CTensor {
        data
    }
    fn reshape<E: Element>(data: CTensor, sizes: &[usize]) -> CTensor {
        if data.dims() == sizes {
            data
        } else {
            ok(data.reshape(sizes))
        }
    }

    fn matmul<E: Element>(
        a: &CTensor,
        b: Layout<'_, E, Self>,
        (batch, m, k, n): (usize, usize, usize, usize),
        shared: bool,
    ) -> CTensor {
        let mut sizes = a.dims().to_vec();
        if let Some(last) = sizes.last_mut() {
            *last = n;
        }
        if batch * m * n == 0 || k == 0 {
            // Nothing to multiply (an empty axis): zeros, as on the native backend.
            return ok(CTensor::zeros(sizes, a.dtype(), a.device()));
        }
        let (rows, cols) = if b.transposed { (n, k) } else { (k, n) };
        let right = |lead: usize| {
            // The stored matrices may be the first rows of longer ones (a cache's keys).
            let per = b.matrix_stride / b.row_stride.max(1);
            let mut stored = ok(b.data.reshape((lead, per, b.row_stride)));
            if per != rows || b.row_stride != cols {
                stored = ok(ok(ok(stored.narrow(1, 0, rows)).narrow(2, 0, cols)).contiguous());
            }
            if b.transposed {
                ok(stored.transpose(1, 2))
            } else {
                stored
            }
        };
        let out = if shared {
            let right = ok(right(1).squeeze(0));
            ok(ok(a.reshape((batch * m, k))).matmul(&right))
        } else {
            // Batch index `i` reads stored matrix `i / group`: `group` consecutive batch
            // entries are `group · m` rows against one matrix.
            let group = b.group.max(1);
            let lead = batch / group;
            ok(ok(a.reshape((lead, group * m, k))).matmul(&right(lead)))
        };
        ok(out.reshape(sizes))
    }
    fn matmul_half_t<E: Element>(
        x: &CTensor,
        (bits, half): (&[u16], crate::Half),
        (rows, k, n): (usize, usize, usize),
    ) -> CTensor {
        // candle's CPU backend has no half-precision matmul: the weight is widened on the
        // host and the product taken in `E` (correct, not fast; the loader keeps candle
        // weights in f32).
        let mut wide = vec![E::ZERO; bits.len()];
        half.widen_into(bits, &mut wide);
        let w = ok(E::to_candle_tensor(wide, &[n, k], x.device()));
        let y = ok(ok(x.reshape((rows, k))).matmul(&ok(w.t())));
        let mut sizes = x.dims().to_vec();
        if let Some(last) = sizes.last_mut() {
            *last = n;
        }
        ok(y.reshape(sizes))
    }
    fn swap_axes<E: Element>(data: &CTensor, sizes: &[usize], i: usize, j: usize) -> CTensor {
        // `sizes` may split an axis of the stored tensor (`split_heads` sees `(B, S, D)` as
        // `(B, S, H, Dh)`): a free reshape first.
        ok(ok(ok(data.reshape(sizes)).transpose(i, j)).contiguous())
    }
    fn gather_view<E: Element>(view: KvParts<'_, E, Self>) -> CTensor {
        let [b, h, t, d] = view.sizes;
        let stored = stored_heads(&view);
        if view.group > 1 {
            Self::repeat_heads::<E>(&stored, [b, h / view.group, t, d], h)
        } else {
            stored
        }
    }
    fn write_rows<E: Element>(
        dst: &mut CTensor,
        _: usize,
        at: usize,
        src: &CTensor,
        sizes: [usize; 4],
    ) {
        ok(dst.slice_set(&ok(src.reshape(sizes.to_vec())), 2, at));
    }
    fn repeat_heads<E: Element>(data: &CTensor, [b, hkv, t, d]: [usize; 4], h: usize) -> CTensor {
        let group = h / hkv.max(1);
        let spread = ok(ok(data.reshape((b, hkv, 1, t, d))).broadcast_as((b, hkv, group, t, d)));
        ok(ok(spread.contiguous()).reshape((b, h, t, d)))
    }
    fn scale<E: Element>(data: &CTensor, factor: E) -> CTensor {
        ok(data.affine(factor.to_f64(), 0.0))
    }
    fn narrow<E: Element>(
        data: &CTensor,
        sizes: &[usize],
        axis: usize,
        (start, len): (usize, usize),
    ) -> CTensor {
        ok(ok(ok(data.reshape(sizes)).narrow(axis, start, len)).contiguous())
    }
    fn cat<E: Element>(
        (a, a_sizes): (&CTensor, &[usize]),
        (b, b_sizes): (&CTensor, &[usize]),
        axis: usize,
    ) -> CTensor {
        let (a, b) = (ok(a.reshape(a_sizes)), ok(b.reshape(b_sizes)));
        ok(CTensor::cat(&[&a, &b], axis))
    }
    fn gather_rows<E: Element>(table: &CTensor, d: usize, ids: &[u32]) -> CTensor {
        let rows = table.elem_count() / d.max(1);
        let table = ok(table.reshape((rows, d)));
        let ids = ok(CTensor::from_slice(ids, ids.len(), table.device()));
        ok(table.index_select(&ids, 0))
    }
    fn rope<E: Element>(
        data: &CTensor,
        (s, dh): (usize, usize),
        (cos, sin): (&[E], &[E]),
        style: crate::RopeStyle,
    ) -> CTensor {
        let half = dh / 2;
        let table = |t: &[E]| ok(E::to_candle_tensor(t.to_vec(), &[s, half], data.device()));
        let (cos, sin) = (table(cos), table(sin));
        let lead = data.elem_count() / (s * dh).max(1);
        // candle-nn's fused kernels: `rope` rotates the pairs `(i, i + half)`, `rope_i`
        // the pairs `(2i, 2i + 1)`.
        let x = ok(ok(data.reshape((1, lead, s, dh))).contiguous());
        let y = ok(match style {
            crate::RopeStyle::Halves => candle_nn::rotary_emb::rope(&x, &cos, &sin),
            crate::RopeStyle::Interleaved => candle_nn::rotary_emb::rope_i(&x, &cos, &sin),
        });
        ok(y.reshape(data.dims()))
    }
    fn activation<E: Element>(data: &CTensor, f: Activation) -> CTensor {
        ok(match f {
            Activation::Gelu => data.gelu_erf(),
            Activation::GeluTanh => data.gelu(),
            Activation::Silu => data.silu(),
        })
    }
    fn silu_mul<E: Element>(gate: &CTensor, up: &CTensor) -> CTensor {
        ok(ok(gate.silu()).mul(up))
    }
    fn norm<E: Element>(
        data: &CTensor,
        _: usize,
        w: &CTensor,
        b: Option<&CTensor>,
        eps: E,
    ) -> CTensor {
        if data.dtype() == candle_core::DType::F32 {
            // candle-nn's fused kernels (one pass over each row), on a contiguous input.
            let x = ok(data.contiguous());
            let eps = eps.to_f64() as f32;
            return ok(match b {
                Some(b) => candle_nn::ops::layer_norm(&x, w, b, eps),
                None => candle_nn::ops::rms_norm(&x, w, eps),
            });
        }
        // Composed, in the tensor's own precision (the fused kernels have no f64).
        let eps = eps.to_f64();
        let x = match b {
            Some(_) => ok(data.broadcast_sub(&ok(data.mean_keepdim(D::Minus1)))),
            None => data.clone(),
        };
        let var = ok(ok(x.sqr()).mean_keepdim(D::Minus1));
        let inv = ok(ok(ok(var.affine(1.0, eps)).sqrt()).recip());
        let y = ok(ok(x.broadcast_mul(&inv)).broadcast_mul(w));
        match b {
            Some(b) => ok(y.broadcast_add(b)),
            None => y,
        }
    }
    fn softmax_last<E: Element>(data: &CTensor, _: usize) -> CTensor {
        if data.elem_count() == 0 {
            return data.clone();
        }
        softmax_last(data)
    }
    fn broadcast<E: Element>(op: BinaryOp, big: &CTensor, small: &CTensor) -> CTensor {
        ok(match op {
            BinaryOp::Add => big.broadcast_add(small),
            BinaryOp::Sub => big.broadcast_sub(small),
            BinaryOp::Mul => big.broadcast_mul(small),
        })
    }
    fn mask<E: Element>(
        data: &CTensor,
        (batch, heads, s, t): (usize, usize, usize, usize),
        mask: MaskRows<'_>,
    ) -> CTensor {
        match hidden_keys((batch, s, t), mask, data.device()) {
            None => data.clone(),
            Some(hidden) => {
                let x = ok(data.reshape((batch, heads, s, t)));
                ok(fill_hidden(&x, &hidden).reshape(data.dims()))
            }
        }
    }
    fn attention<E: Element>(
        sz: AttentionSizes,
        q: &CTensor,
        k: KvParts<'_, E, Self>,
        v: KvParts<'_, E, Self>,
        (mask, bias): (MaskRows<'_>, Option<&CTensor>),
        scale: E,
    ) -> CTensor {
        let AttentionSizes {
            b,
            h,
            hkv,
            s,
            t,
            dh,
            dv,
            ..
        } = sz;
        if b * h * s * dv == 0 || t == 0 || hkv == 0 {
            // No keys (or nothing asked): zero rows, as on the native backend.
            return ok(CTensor::zeros((b, h, s, dv), q.dtype(), q.device()));
        }
        // Query head `qh` reads key/value head `qh / group`: the `group` query heads of one
        // key/value head are `group · s` rows of one product.
        let group = h / hkv.max(1);
        let (keys, values) = (stored_heads(&k), stored_heads(&v));
        let q = ok(q.reshape((b, hkv, group * s, dh)));
        let scores = ok(ok(q.matmul(&ok(keys.t()))).affine(scale.to_f64(), 0.0));
        let mut scores = ok(scores.reshape((b, hkv, group, s, t)));
        if let Some(bias) = bias {
            scores = ok(scores.broadcast_add(bias));
        }
        let mut every_row_sees_a_key = true;
        if let Some(hidden) = hidden_keys((b, s, t), mask, q.device()) {
            scores = fill_hidden(&scores, &ok(hidden.unsqueeze(1)));
            every_row_sees_a_key = (0..b).all(|bi| {
                (0..s).all(|i| {
                    let (lo, hi) = mask.range(bi, i, t);
                    lo < hi
                })
            });
        }
        // candle-nn's fused softmax where every row has a key to see; where one sees none,
        // the composed softmax that makes its row zeros (the native convention) instead of NaN.
        let p = if every_row_sees_a_key && bias.is_none() {
            ok(candle_nn::ops::softmax_last_dim(&ok(scores.contiguous())))
        } else {
            softmax_last(&scores)
        };
        let p = ok(p.reshape((b, hkv, group * s, t)));
        let out = ok(p.matmul(&values));
        ok(out.reshape((b, h, s, dv)))
    }
}
