//! Scaled dot-product attention, multi-head and grouped-query, built on the fused kernel.

use super::kv_view::KvInput;
use crate::kernels::attention::AttentionSizes;
use crate::ops::mask_type::MaskFor;
use crate::relations::{
    AttentionPair, DividesHeads, HeadsAxis, SameHeads, SameKeyLen, ValuesMatchKeys,
};
use crate::sizes::agree;
use crate::{Dim, Element, Mask, Tensor};

/// `softmax(Q·K^T / sqrt(Dh) + mask) · V` for queries `(B, H, S, Dh)`, keys `(B, H, T, Dh)`
/// and values `(B, H, T, Dv)`, giving `(B, H, S, Dv)`.
///
/// The scale `1 / sqrt(Dh)` comes from the type. Batch, heads and `Dh` must be the same
/// dims in all three, and keys and values the same length `T`. Keys and values are
/// `&Tensor`s or the views a [`KvCache`](crate::KvCache) gives. The scores are computed,
/// masked and normalised one (batch, head) pair at a time, so no `(B, H, S, T)` tensor is
/// ever held.
///
/// With axis kinds declared (`H: Heads`, `S: Sequence`), queries whose axis 1 is not the
/// heads — the head split without its transpose — do not compile (in a function generic
/// over `H`, add the bound `H: HeadsAxis<H::Kind>`).
/// Run-time dims (`S`, `T` = `dyn`) are checked when the call runs, naming the dim.
///
/// ```
/// use infralens::prelude::*;
/// dims! { pub B = 2; pub H = 4; pub S = 4; pub Dh = 4; }
///
/// let q = Tensor::<(B, H, S, Dh)>::randn(1);
/// let k = Tensor::<(B, H, S, Dh)>::randn(2);
/// let v = Tensor::<(B, H, S, Dh)>::randn(3);
/// let out = scaled_dot_product_attention(&q, &k, &v, Mask::Causal);
///
/// // the same, op by op
/// let p = q.matmul(&k.t()).scale(0.5).causal_mask().softmax();
/// let by_hand = p.matmul(&v);
/// for (a, b) in out.as_slice().iter().zip(by_hand.as_slice()) {
///     assert!((a - b).abs() < 1e-5);
/// }
/// ```
///
/// The head split without its transpose, with kinds declared, is a compile error:
///
/// ```compile_fail
/// use infralens::prelude::*;
/// dims! { pub B = 1; pub S: Sequence = dyn; pub H: Heads = 2; pub Dh: HeadWidth = 4; }
/// let at = sizes![S = 3];
/// let q = Tensor::<(B, S, H, Dh)>::zeros_in(&at); // reshaped, never transposed
/// let _ = scaled_dot_product_attention(&q, &q, &q, Mask::Causal); // axis kind mismatch
/// ```
// Every parameter is a `Dim` where it is introduced; the `where` clause holds the shape rules.
#[allow(clippy::multiple_bound_locations)]
#[track_caller]
pub fn scaled_dot_product_attention<
    'm,
    Bq: Dim,
    H: Dim,
    S: Dim,
    Dh: Dim,
    Bk: Dim,
    Hk: Dim,
    T: Dim,
    Dk: Dim,
    Bv: Dim,
    Hv: Dim,
    Tv: Dim,
    Dv: Dim,
    E: Element,
    Backend: crate::Backend,
>(
    q: &Tensor<(Bq, H, S, Dh), E, Backend>,
    k: impl KvInput<E, Backend, Shape = (Bk, Hk, T, Dk)>,
    v: impl KvInput<E, Backend, Shape = (Bv, Hv, Tv, Dv)>,
    mask: impl MaskFor<'m, S, T>,
) -> Tensor<(Bq, H, S, Dv), E, Backend>
where
    H: HeadsAxis<H::Kind>,
    Bk: AttentionPair<Bq>,
    Hk: SameHeads<H>,
    Dk: AttentionPair<Dh>,
    Bv: ValuesMatchKeys<Bk>,
    Hv: ValuesMatchKeys<Hk>,
    Tv: SameKeyLen<T>,
{
    run::<Bq, H, S, Dh, Hk, T, Dv, E, Backend>(q, &k, &v, (mask.into_mask(), None), false)
}

/// [`scaled_dot_product_attention`] with an additive bias on the scaled scores:
/// `softmax(Q·K^T / sqrt(Dh) + bias + mask) · V`, the bias `(S, T)` shared by every batch
/// entry and head (ALiBi-style position biases, or an additive mask of `0` and `-inf`, the
/// form Hugging Face passes as `attention_mask`). `mask` applies as well; use
/// [`Mask::None`] for the bias alone.
///
/// ```
/// use infralens::prelude::*;
/// use infralens::attention_with_bias;
/// dims! { pub B = 1; pub H = 2; pub S = 3; pub T = 3; pub Dh = 4; }
///
/// let q = Tensor::<(B, H, S, Dh)>::randn(1);
/// let k = Tensor::<(B, H, T, Dh)>::randn(2);
/// // an additive causal mask, as a tensor
/// let bias = Tensor::<(S, T)>::from_fn(|i| if i[1] > i[0] { f32::NEG_INFINITY } else { 0.0 });
/// let a = attention_with_bias(&q, &k, &k, &bias, Mask::None);
/// let b = scaled_dot_product_attention(&q, &k, &k, Mask::Causal);
/// for (x, y) in a.as_slice().iter().zip(b.as_slice()) {
///     assert!((x - y).abs() < 1e-6);
/// }
/// ```
#[allow(clippy::multiple_bound_locations)]
#[track_caller]
pub fn attention_with_bias<
    'm,
    Bq: Dim,
    H: Dim,
    S: Dim,
    Dh: Dim,
    Bk: Dim,
    Hk: Dim,
    T: Dim,
    Dk: Dim,
    Bv: Dim,
    Hv: Dim,
    Tv: Dim,
    Dv: Dim,
    E: Element,
    Backend: crate::Backend,
>(
    q: &Tensor<(Bq, H, S, Dh), E, Backend>,
    k: impl KvInput<E, Backend, Shape = (Bk, Hk, T, Dk)>,
    v: impl KvInput<E, Backend, Shape = (Bv, Hv, Tv, Dv)>,
    bias: &Tensor<(S, T), E, Backend>,
    mask: impl MaskFor<'m, S, T>,
) -> Tensor<(Bq, H, S, Dv), E, Backend>
where
    H: HeadsAxis<H::Kind>,
    Bk: AttentionPair<Bq>,
    Hk: SameHeads<H>,
    Dk: AttentionPair<Dh>,
    Bv: ValuesMatchKeys<Bk>,
    Hv: ValuesMatchKeys<Hk>,
    Tv: SameKeyLen<T>,
{
    let (qs, ks, b) = (q.sizes(), k.sizes(), bias.sizes());
    agree::<S>("attention", (qs[2], "the queries"), (b[0], "the bias"));
    agree::<T>("attention", (ks[2], "the keys"), (b[1], "the bias"));
    run::<Bq, H, S, Dh, Hk, T, Dv, E, Backend>(
        q,
        &k,
        &v,
        (mask.into_mask(), Some(bias.storage())),
        false,
    )
}

/// Grouped-query attention: like [`scaled_dot_product_attention`], with `Hkv` key/value
/// heads shared by `H` query heads (`Hkv` divides `H`; `Hkv = 1` is multi-query
/// attention). Query head `h` reads key/value head `h / (H / Hkv)`, as after
/// [`Tensor::repeat_kv`], but without copying the keys and values.
///
/// ```
/// use infralens::prelude::*;
/// dims! { pub B = 1; pub H = 8; pub Hkv = 2; pub S = 4; pub Dh = 4; }
///
/// let q = Tensor::<(B, H, S, Dh)>::randn(1);
/// let k = Tensor::<(B, Hkv, S, Dh)>::randn(2);
/// let v = Tensor::<(B, Hkv, S, Dh)>::randn(3);
/// let gqa = grouped_query_attention(&q, &k, &v, Mask::None);
/// let mha = scaled_dot_product_attention(&q, &k.repeat_kv::<H>(), &v.repeat_kv::<H>(), Mask::None);
/// for (a, b) in gqa.as_slice().iter().zip(mha.as_slice()) {
///     assert!((a - b).abs() < 1e-6);
/// }
/// ```
#[allow(clippy::multiple_bound_locations)]
#[track_caller]
pub fn grouped_query_attention<
    'm,
    Bq: Dim,
    H: Dim,
    S: Dim,
    Dh: Dim,
    Bk: Dim,
    Hkv: Dim,
    T: Dim,
    Dk: Dim,
    Bv: Dim,
    Hv: Dim,
    Tv: Dim,
    Dv: Dim,
    E: Element,
    Backend: crate::Backend,
>(
    q: &Tensor<(Bq, H, S, Dh), E, Backend>,
    k: impl KvInput<E, Backend, Shape = (Bk, Hkv, T, Dk)>,
    v: impl KvInput<E, Backend, Shape = (Bv, Hv, Tv, Dv)>,
    mask: impl MaskFor<'m, S, T>,
) -> Tensor<(Bq, H, S, Dv), E, Backend>
where
    H: HeadsAxis<H::Kind>,
    Bk: AttentionPair<Bq>,
    Hkv: DividesHeads<H>,
    Dk: AttentionPair<Dh>,
    Bv: ValuesMatchKeys<Bk>,
    Hv: ValuesMatchKeys<Hkv>,
    Tv: SameKeyLen<T>,
{
    run::<Bq, H, S, Dh, Hkv, T, Dv, E, Backend>(q, &k, &v, (mask.into_mask(), None), true)
}

/// The run-time checks and the kernel call shared by both functions. The type-level rules
/// already hold; only run-time sizes are compared here, each naming its dim.
#[track_caller]
fn run<
    B: Dim,
    H: Dim,
    S: Dim,
    Dh: Dim,
    Hk: Dim,
    T: Dim,
    Dv: Dim,
    E: Element,
    Backend: crate::Backend,
>(
    q: &Tensor<(B, H, S, Dh), E, Backend>,
    k: &impl KvInput<E, Backend>,
    v: &impl KvInput<E, Backend>,
    (mask, bias): (Mask<'_>, Option<&Backend::Storage<E>>),
    grouped: bool,
) -> Tensor<(B, H, S, Dv), E, Backend> {
    let qs = q.sizes();
    let (kp, vp) = (k.kv_parts(), v.kv_parts());
    let (ks, vs) = (kp.sizes, vp.sizes);
    let op = "attention";
    agree::<B>(op, (qs[0], "the queries"), (ks[0], "the keys"));
    agree::<B>(op, (ks[0], "the keys"), (vs[0], "the values"));
    if grouped {
        super::repeat_kv::check_groups::<H, Hk>(op, qs[1], ks[1]);
    } else {
        agree::<H>(op, (qs[1], "the queries"), (ks[1], "the keys"));
    }
    agree::<Hk>(op, (ks[1], "the keys"), (vs[1], "the values"));
    agree::<Dh>(op, (qs[3], "the queries"), (ks[3], "the keys"));
    agree::<T>(op, (ks[2], "the keys"), (vs[2], "the values"));
    // A view shared out over the query heads (`KvView::repeat_kv`) reads fewer stored heads.
    let stored = ks[1] / kp.group.max(1);
    if kp.group != vp.group {
        panic!(
            "shape mismatch in attention: the keys are shared out over {} heads each, the values over {}: repeat both with the same `repeat_kv`",
            kp.group, vp.group
        );
    }
    mask.check((qs[0], B::NAME), (qs[2], S::NAME), (ks[2], T::NAME));
    let sizes = AttentionSizes {
        b: qs[0],
        h: qs[1],
        hkv: stored,
        s: qs[2],
        t: ks[2],
        dh: qs[3],
        dv: vs[3],
        k_stride: kp.stride,
        v_stride: vp.stride,
    };
    // `QKᵀ` and `P·V`, as two batched products.
    let width = qs[3].saturating_add(vs[3]);
    crate::cost::record(
        crate::cost::product(&[2, qs[0], qs[1], qs[2], ks[2], width]),
        0,
    );
    let scale = E::from_f64(1.0 / (qs[3].max(1) as f64).sqrt());
    let out_sizes = [qs[0], qs[1], qs[2], vs[3]];
    let out = Backend::attention(
        sizes,
        q.storage(),
        kp,
        vp,
        (mask.rows(qs[2], ks[2]), bias),
        scale,
    );
    Tensor::from_parts(out, &out_sizes)
}
