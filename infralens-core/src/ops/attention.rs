//! Scaled dot-product attention, multi-head and grouped-query, built on the fused kernel.

use crate::kernels::attention::{AttentionSizes, attention};
use crate::relations::{AttentionPair, DividesHeads, SameKeyLen, ValuesMatchKeys};
use crate::{Dim, Element, Tensor};

/// Which keys each query may see.
///
/// ```
/// use infralens::prelude::*;
/// assert_eq!(Mask::default(), Mask::None);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Mask {
    /// Every query sees every key (encoders, cross-attention).
    #[default]
    None,
    /// Query `i` sees keys `0..=i` (decoders). With `S ≠ T` the mask is aligned top-left,
    /// as PyTorch's `is_causal`.
    Causal,
}

/// `softmax(Q·K^T / sqrt(Dh) + mask) · V` for queries `(B, H, S, Dh)`, keys `(B, H, T, Dh)`
/// and values `(B, H, T, Dv)`, giving `(B, H, S, Dv)`.
///
/// The scale `1 / sqrt(Dh)` comes from the type. Batch, heads and `Dh` must be the same
/// dims in all three, and keys and values the same length `T`. The scores are computed,
/// masked and normalised one (batch, head) pair at a time, so no `(B, H, S, T)` tensor is
/// ever held.
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
// Every parameter is a `Dim` where it is introduced; the `where` clause holds the shape rules.
#[allow(clippy::multiple_bound_locations)]
pub fn scaled_dot_product_attention<
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
>(
    q: &Tensor<(Bq, H, S, Dh), E>,
    k: &Tensor<(Bk, Hk, T, Dk), E>,
    v: &Tensor<(Bv, Hv, Tv, Dv), E>,
    mask: Mask,
) -> Tensor<(Bq, H, S, Dv), E>
where
    Bk: AttentionPair<Bq>,
    Hk: AttentionPair<H>,
    Dk: AttentionPair<Dh>,
    Bv: ValuesMatchKeys<Bk>,
    Hv: ValuesMatchKeys<Hk>,
    Tv: SameKeyLen<T>,
{
    run::<Bq, H, Hk, S, T, Dh, Dv, E>(q.as_slice(), k.as_slice(), v.as_slice(), mask)
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
/// assert_eq!(gqa, mha);
/// ```
#[allow(clippy::multiple_bound_locations)]
pub fn grouped_query_attention<
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
>(
    q: &Tensor<(Bq, H, S, Dh), E>,
    k: &Tensor<(Bk, Hkv, T, Dk), E>,
    v: &Tensor<(Bv, Hv, Tv, Dv), E>,
    mask: Mask,
) -> Tensor<(Bq, H, S, Dv), E>
where
    Bk: AttentionPair<Bq>,
    Hkv: DividesHeads<H>,
    Dk: AttentionPair<Dh>,
    Bv: ValuesMatchKeys<Bk>,
    Hv: ValuesMatchKeys<Hkv>,
    Tv: SameKeyLen<T>,
{
    run::<Bq, H, Hkv, S, T, Dh, Dv, E>(q.as_slice(), k.as_slice(), v.as_slice(), mask)
}

fn run<B: Dim, H: Dim, Hkv: Dim, S: Dim, T: Dim, Dh: Dim, Dv: Dim, E: Element>(
    q: &[E],
    k: &[E],
    v: &[E],
    mask: Mask,
) -> Tensor<(B, H, S, Dv), E> {
    let sizes = AttentionSizes {
        b: B::SIZE,
        h: H::SIZE,
        hkv: Hkv::SIZE,
        s: S::SIZE,
        t: T::SIZE,
        dh: Dh::SIZE,
        dv: Dv::SIZE,
    };
    let scale = E::from_f64(1.0 / (Dh::SIZE as f64).sqrt());
    let mut out = vec![E::ZERO; B::SIZE * H::SIZE * S::SIZE * Dv::SIZE];
    attention(sizes, q, k, v, mask == Mask::Causal, scale, &mut out);
    Tensor::from_raw(out)
}
