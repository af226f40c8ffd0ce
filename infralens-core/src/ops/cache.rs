//! The KV cache: keys and values allocated once per layer, `(B, Hkv, C, Dh)` for a capacity
//! `C`, filled one step at a time; attention reads the filled part `(B, Hkv, T, Dh)` through
//! views, without copying the past.

use super::kv_view::KvView;
use super::positions::Positions;
use crate::error::ShapeError;
use crate::relations::{CacheHeads, DividesHeads, HeadsAxis};
use crate::shape::describe_sizes;
use crate::sizes::Sizes;
use crate::{Dim, DimInfo, Element, Shape, Tensor};

relation! {
/// `Self`, the shape of the keys or values appended to a [`KvCache`], is `Rows`, the
/// cache's layout for them: `(B, Hkv, S, Dh)`.
///
/// ```
/// use infralens::prelude::*;
/// use infralens::relations::CacheRows;
/// dims! { pub B = 1; pub Hkv = 2; pub S = dyn; pub Dh = 4; }
/// fn rows<K: CacheRows<(B, Hkv, S, Dh)>>() {}
/// rows::<(B, Hkv, S, Dh)>();
/// ```
#[rule(
    CACHE_ROWS,
    id = "cache-rows",
    lab = "05",
    summary = "A KV cache `KvCache<B, Hkv, C, Dh>` takes new keys and values `(B, Hkv, S, Dh)`: the key/value heads, before any `repeat_kv`.",
    wrong = "dims! { pub B = 1; pub H = 4; pub Hkv = 2; pub C = 16; pub S = dyn; pub T = dyn; pub Dh = 4; }\n#[shapes(k: [B, Hkv, S, Dh])]\nfn fill(k: &Tensor, cache: &mut KvCache<B, Hkv, C, Dh>) -> usize {\n    let k = k.repeat_kv::<H>();\n    let _ = cache.append::<S, T>(&k, &k);\n    cache.len()\n}",
    right = "dims! { pub B = 1; pub H = 4; pub Hkv = 2; pub C = 16; pub S = dyn; pub T = dyn; pub Dh = 4; }\n#[shapes(k: [B, Hkv, S, Dh])]\nfn fill(k: &Tensor, cache: &mut KvCache<B, Hkv, C, Dh>) -> usize {\n    let _ = cache.append::<S, T>(k, k);\n    cache.len()\n}",
)]
#[diagnostic::on_unimplemented(
    message = "shape mismatch: the KV cache takes new keys and values `{Rows}`, but these are `{Self}`",
    label = "`{Self}` here, `{Rows}` wanted",
    note = "a cache holds keys and values as the projections make them, heads-first: with GQA, the `Hkv` key/value heads, cached before `repeat_kv` (a cache of repeated heads holds `H / Hkv` copies of each)"
)]
pub trait CacheRows<Rows>: Shape {}
}
impl<Sh: Shape> CacheRows<Sh> for Sh {}

/// A KV cache for one attention layer: keys and values `(B, Hkv, C, Dh)` allocated once
/// for a capacity `C` (a compile-time or run-time dim), filled by [`KvCache::append`].
///
/// Each step appends the new positions' keys and values in place and returns views of the
/// filled part `(B, Hkv, T, Dh)`, where `T` is the run-time length you name: no
/// reallocation and no copy of the past, so a decode step costs O(T).
///
/// ```
/// use infralens::prelude::*;
///
/// dims! {
///     pub B: Batch = 1;
///     pub H: Heads = 2;
///     pub C: Sequence = 16;       // capacity
///     pub Dh: HeadWidth = 4;
///     pub S: Sequence = dyn;      // new positions this step
///     pub T: Sequence = dyn;      // positions in the cache
/// }
///
/// let mut cache = KvCache::<B, H, C, Dh>::new(&sizes![]);
/// for (step, new) in [5, 1, 1].into_iter().enumerate() {
///     let at = sizes![S = new];
///     let q = Tensor::<(B, H, S, Dh)>::randn_in(step as u64, &at);
///     let k = Tensor::<(B, H, S, Dh)>::randn_in(100 + step as u64, &at);
///     let v = Tensor::<(B, H, S, Dh)>::randn_in(200 + step as u64, &at);
///     let (keys, values) = cache.append::<S, T>(&k, &v)?;
///     let out = scaled_dot_product_attention(&q, keys, values, Mask::Causal);
///     assert_eq!(out.sizes(), &[1, 2, new, 4]);
/// }
/// assert_eq!(cache.len(), 7);
/// assert_eq!(cache.bytes(), 2 * 16 * 2 * 4 * 4); // keys and values, full capacity, f32
/// # Ok::<(), ShapeError>(())
/// ```
#[derive(Debug, Clone)]
pub struct KvCache<
    B: Dim,
    Hkv: Dim,
    C: Dim,
    Dh: Dim,
    E: Element = f32,
    Backend: crate::Backend = crate::Native,
> {
    keys: Tensor<(B, Hkv, C, Dh), E, Backend>,
    values: Tensor<(B, Hkv, C, Dh), E, Backend>,
    len: usize,
}

impl<B: Dim, Hkv: Dim, C: Dim, Dh: Dim, E: Element, Backend: crate::Backend>
    KvCache<B, Hkv, C, Dh, E, Backend>
{
    /// An empty cache; run-time dims among `B`, `Hkv`, `C` and `Dh` take their sizes from
    /// `sizes` (the capacity `C` included).
    ///
    /// # Panics
    ///
    /// As [`Tensor::zeros_in`], when a run-time dim has no size in `sizes`.
    ///
    /// The cache is heads-first, as the keys attention reads: `Hkv` is a heads dim (or has
    /// no declared kind), checked here — a cache declared positions-first,
    /// `KvCache<B, C, Hkv, Dh>`, is refused where it is built.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub B = dyn; pub Hkv = 8; pub C = dyn; pub Dh = 128; }
    /// let cache = KvCache::<B, Hkv, C, Dh>::new(&sizes![B = 1, C = 4096]);
    /// assert_eq!((cache.len(), cache.capacity()), (0, 4096));
    /// assert_eq!(cache.bytes(), 2 * 8 * 4096 * 128 * 4);
    /// ```
    #[track_caller]
    pub fn new(sizes: &Sizes) -> Self
    where
        Hkv: CacheHeads<Hkv::Kind>,
    {
        KvCache {
            keys: Tensor::zeros_in(sizes),
            values: Tensor::zeros_in(sizes),
            len: 0,
        }
    }

    /// [`KvCache::new`] on a device of the backend's choosing (a GPU with candle's features).
    ///
    /// ```
    /// use infralens::prelude::*;
    /// use infralens::Native;
    /// dims! { pub B = 1; pub Hkv = 2; pub C = dyn; pub Dh = 4; }
    /// let cache = KvCache::<B, Hkv, C, Dh, f32, Native>::new_on(&sizes![C = 16], &())?;
    /// assert_eq!(cache.capacity(), 16);
    /// # Ok::<(), ShapeError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// When the device cannot hold the cache (the backend's reason).
    pub fn new_on(sizes: &Sizes, device: &Backend::Device) -> Result<Self, ShapeError>
    where
        Hkv: CacheHeads<Hkv::Kind>,
    {
        Ok(KvCache {
            keys: Tensor::zeros_on(sizes, device)?,
            values: Tensor::zeros_on(sizes, device)?,
            len: 0,
        })
    }

    /// The number of filled positions.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub B = 1; pub Hkv = 1; pub C = 4; pub Dh = 2; }
    /// assert_eq!(KvCache::<B, Hkv, C, Dh>::new(&sizes![]).len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no position is filled.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub B = 1; pub Hkv = 1; pub C = 4; pub Dh = 2; }
    /// assert!(KvCache::<B, Hkv, C, Dh>::new(&sizes![]).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The number of positions it can hold: the size of `C`.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub B = 1; pub Hkv = 1; pub C = 4; pub Dh = 2; }
    /// assert_eq!(KvCache::<B, Hkv, C, Dh>::new(&sizes![]).capacity(), 4);
    /// ```
    pub fn capacity(&self) -> usize {
        self.keys.sizes()[2]
    }

    /// The memory of keys and values together, at full capacity: `2 · B · Hkv · C · Dh`
    /// elements, what dominates inference memory.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub B = 1; pub Hkv = 1; pub C = 4; pub Dh = 2; }
    /// assert_eq!(KvCache::<B, Hkv, C, Dh, f64>::new(&sizes![]).bytes(), 2 * 8 * 8);
    /// ```
    pub fn bytes(&self) -> usize {
        self.keys.bytes() + self.values.bytes()
    }

    /// The shape of its keys (and of its values), at full capacity: `[B=1, Hkv=8, C=4096, Dh=128]`.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub B = 1; pub Hkv = 2; pub C = dyn; pub Dh = 4; }
    /// let cache = KvCache::<B, Hkv, C, Dh>::new(&sizes![C = 16]);
    /// assert_eq!(cache.describe(), "[B=1, Hkv=2, C=16, Dh=4]");
    /// ```
    pub fn describe(&self) -> String {
        self.keys.describe()
    }

    /// Keeps the first `len` positions and forgets the rest (the memory stays allocated):
    /// to roll back rejected tokens of speculative decoding, or a beam. Does nothing when
    /// `len` is not less than [`KvCache::len`].
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub B = 1; pub Hkv = 1; pub C = 4; pub Dh = 2; pub S = dyn; pub T = dyn; }
    /// let mut cache = KvCache::<B, Hkv, C, Dh>::new(&sizes![]);
    /// let k = Tensor::<(B, Hkv, S, Dh)>::zeros_in(&sizes![S = 3]);
    /// cache.append::<S, T>(&k, &k)?;
    /// cache.truncate(1);
    /// assert_eq!(cache.len(), 1);
    /// # Ok::<(), ShapeError>(())
    /// ```
    pub fn truncate(&mut self, len: usize) {
        self.len = self.len.min(len);
    }

    /// Forgets every position (the memory stays allocated).
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub B = 1; pub Hkv = 1; pub C = 4; pub Dh = 2; pub S = dyn; pub T = dyn; }
    /// let mut cache = KvCache::<B, Hkv, C, Dh>::new(&sizes![]);
    /// let k = Tensor::<(B, Hkv, S, Dh)>::zeros_in(&sizes![S = 3]);
    /// cache.append::<S, T>(&k, &k)?;
    /// cache.clear();
    /// assert!(cache.is_empty());
    /// # Ok::<(), ShapeError>(())
    /// ```
    pub fn clear(&mut self) {
        self.len = 0;
    }

    /// Writes the keys and values of `S` new positions after the filled ones, and returns
    /// views of all filled positions `(B, Hkv, T, Dh)`; `T` names the new length.
    ///
    /// Fails, changing nothing, when the new positions do not fit in the capacity, when
    /// `k_new` and `v_new` disagree on `S`, when a run-time `B`, `Hkv` or `Dh` differs from
    /// the cache's, or when `T` is a compile-time dim other than the new length; each
    /// error names the dims and sizes.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub B = 1; pub Hkv = 1; pub C = 4; pub Dh = 2; pub S = dyn; pub T = dyn; }
    /// let mut cache = KvCache::<B, Hkv, C, Dh>::new(&sizes![]);
    /// let k = Tensor::<(B, Hkv, S, Dh)>::zeros_in(&sizes![S = 3]);
    /// cache.append::<S, T>(&k, &k)?;
    /// let err = cache.append::<S, T>(&k, &k).unwrap_err();
    /// assert_eq!(
    ///     err.to_string(),
    ///     "cannot append 3 positions (`S`) to a KV cache holding 3 of its `C` = 4: 6 > 4"
    /// );
    /// # Ok::<(), ShapeError>(())
    /// ```
    #[allow(clippy::type_complexity)]
    pub fn append<S: Dim, T: Dim>(
        &mut self,
        k_new: &Tensor<impl CacheRows<(B, Hkv, S, Dh)>, E, Backend>,
        v_new: &Tensor<impl CacheRows<(B, Hkv, S, Dh)>, E, Backend>,
    ) -> Result<
        (
            KvView<'_, (B, Hkv, T, Dh), E, Backend>,
            KvView<'_, (B, Hkv, T, Dh), E, Backend>,
        ),
        ShapeError,
    > {
        let cache = self.keys.sizes().to_vec();
        let (ks, vs) = (k_new.sizes(), v_new.sizes());
        let names = <(B, Hkv, S, Dh)>::NAMES;
        for axis in 0..4 {
            let (what, found) = if ks[axis] != vs[axis] {
                ("the new values", vs[axis])
            } else {
                ("the new keys", ks[axis])
            };
            if axis == 2 {
                if ks[2] != vs[2] {
                    return Err(ShapeError::other(
                        format!(
                            "the new keys have {} positions (`{}`) but the new values {}",
                            ks[2], names[2], vs[2]
                        ),
                        describe_sizes(names, ks),
                        ks[2],
                        vs[2],
                    ));
                }
                continue;
            }
            if found != cache[axis] || ks[axis] != vs[axis] {
                return Err(ShapeError::other(
                    format!(
                        "`{}` is {} in the KV cache but {found} in {what}",
                        names[axis], cache[axis]
                    ),
                    describe_sizes(names, ks),
                    cache[axis],
                    found,
                ));
            }
        }
        let new = ks[2];
        let capacity = cache[2];
        let total = self.fits::<S>(new)?;
        check_length::<T>(total)?;
        let rows = [cache[0], cache[1], new, cache[3]];
        Backend::write_rows(
            self.keys.storage_mut(),
            capacity,
            self.len,
            k_new.storage(),
            rows,
        );
        Backend::write_rows(
            self.values.storage_mut(),
            capacity,
            self.len,
            v_new.storage(),
            rows,
        );
        self.len = total;
        Ok((self.view(&self.keys), self.view(&self.values)))
    }

    /// The positions the next `new` rows take, `len() .. len() + new`, named by their dim
    /// `S`: what [`Tensor::rope_at`] rotates by and [`Tensor::at_positions`] reads, so that
    /// the offset of a decode step is the cache's, never written by hand. Call it before
    /// appending those rows. An error when they would not fit in the capacity, or when `S` is
    /// a compile-time dim other than `new`.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// use infralens::{Rope, RopeStyle};
    /// dims! { pub B = 1; pub H = 1; pub C = 8; pub Dh = 4; pub S = dyn; pub T = dyn; }
    /// let rope = Rope::<C, Dh>::new(10_000.0, RopeStyle::Halves, &sizes![]);
    /// let mut cache = KvCache::<B, H, C, Dh>::new(&sizes![]);
    /// let prompt = Tensor::<(B, H, S, Dh)>::randn_in(0, &sizes![S = 5]);
    /// let at = cache.positions::<S>(5)?;
    /// let k = prompt.rope_at(&rope, &at)?;
    /// cache.append::<S, T>(&k, &k)?;
    /// // the next token is rotated as position 5
    /// let token = Tensor::<(B, H, S, Dh)>::randn_in(1, &sizes![S = 1]);
    /// let at = cache.positions::<S>(1)?;
    /// assert_eq!(at.start(), 5);
    /// assert_eq!(token.rope_at(&rope, &at)?, token.rope(&rope, 5));
    /// // past the capacity: an error naming it
    /// let err = cache.positions::<S>(4).unwrap_err();
    /// assert_eq!(err.to_string(), "cannot append 4 positions (`S`) to a KV cache holding 5 of its `C` = 8: 9 > 8");
    /// # Ok::<(), ShapeError>(())
    /// ```
    pub fn positions<S: Dim>(&self, new: usize) -> Result<Positions<S>, ShapeError> {
        self.fits::<S>(new)?;
        Positions::after(self.len, new)
    }

    /// Appends the new keys and values and attends to everything the cache holds, in one
    /// step: grouped-query attention of `q` `(B, H, S, Dh)` over the cache's views, so the
    /// keys attention reads are always the cache's, never only the new ones. As
    /// [`KvCache::append`] then [`grouped_query_attention`](crate::grouped_query_attention);
    /// the cached length is named `T` in its messages.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub B = 1; pub H = 4; pub Hkv = 2; pub C = 8; pub Dh = 4; pub S = dyn; pub T = dyn; }
    /// let mut cache = KvCache::<B, Hkv, C, Dh>::new(&sizes![]);
    /// let mut twin = cache.clone();
    /// for (seed, new) in [(0, 3), (10, 1)] {
    ///     let at = sizes![S = new];
    ///     let q = Tensor::<(B, H, S, Dh)>::randn_in(seed, &at);
    ///     let k = Tensor::<(B, Hkv, S, Dh)>::randn_in(seed + 1, &at);
    ///     let v = Tensor::<(B, Hkv, S, Dh)>::randn_in(seed + 2, &at);
    ///     let out = cache.attend(&q, &k, &v, Mask::Causal)?;
    ///     let (keys, values) = twin.append::<S, T>(&k, &v)?;
    ///     assert_eq!(out, grouped_query_attention(&q, keys, values, Mask::Causal));
    /// }
    /// # Ok::<(), ShapeError>(())
    /// ```
    #[track_caller]
    #[allow(clippy::type_complexity, clippy::multiple_bound_locations)]
    pub fn attend<'m, H: Dim, S: Dim>(
        &mut self,
        q: &Tensor<(B, H, S, Dh), E, Backend>,
        k_new: &Tensor<(B, Hkv, S, Dh), E, Backend>,
        v_new: &Tensor<(B, Hkv, S, Dh), E, Backend>,
        mask: crate::Mask<'m>,
    ) -> Result<Tensor<(B, H, S, Dh), E, Backend>, ShapeError>
    where
        H: HeadsAxis<H::Kind>,
        Hkv: DividesHeads<H>,
    {
        let (keys, values) = self.append::<S, Cached>(k_new, v_new)?;
        Ok(crate::grouped_query_attention(q, keys, values, mask))
    }

    /// The new length after appending `new` rows, or the error that they do not fit.
    fn fits<S: Dim>(&self, new: usize) -> Result<usize, ShapeError> {
        let capacity = self.capacity();
        let total = self.len.saturating_add(new);
        if total > capacity {
            return Err(ShapeError::other(
                format!(
                    "cannot append {new} positions (`{}`) to a KV cache holding {} of its `{}` = {capacity}: {total} > {capacity}",
                    S::NAME,
                    self.len,
                    C::NAME
                ),
                describe_sizes(<(B, Hkv, C, Dh)>::NAMES, self.keys.sizes()),
                capacity,
                total,
            ));
        }
        Ok(total)
    }

    /// The filled keys `(B, Hkv, T, Dh)`; an error when `T` is a compile-time dim other
    /// than the length.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub B = 1; pub Hkv = 1; pub C = 4; pub Dh = 2; pub T = dyn; }
    /// let cache = KvCache::<B, Hkv, C, Dh>::new(&sizes![]);
    /// assert_eq!(cache.keys::<T>()?.sizes()[2], 0);
    /// # Ok::<(), ShapeError>(())
    /// ```
    #[allow(clippy::type_complexity)]
    pub fn keys<T: Dim>(&self) -> Result<KvView<'_, (B, Hkv, T, Dh), E, Backend>, ShapeError> {
        check_length::<T>(self.len)?;
        Ok(self.view(&self.keys))
    }

    /// The filled values `(B, Hkv, T, Dh)`; an error as [`KvCache::keys`].
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub B = 1; pub Hkv = 1; pub C = 4; pub Dh = 2; pub T = dyn; }
    /// let cache = KvCache::<B, Hkv, C, Dh>::new(&sizes![]);
    /// assert_eq!(cache.values::<T>()?.sizes()[2], 0);
    /// # Ok::<(), ShapeError>(())
    /// ```
    #[allow(clippy::type_complexity)]
    pub fn values<T: Dim>(&self) -> Result<KvView<'_, (B, Hkv, T, Dh), E, Backend>, ShapeError> {
        check_length::<T>(self.len)?;
        Ok(self.view(&self.values))
    }

    fn view<'a, T: Dim>(
        &self,
        storage: &'a Tensor<(B, Hkv, C, Dh), E, Backend>,
    ) -> KvView<'a, (B, Hkv, T, Dh), E, Backend> {
        let s = storage.sizes();
        let data = Backend::slice(storage.storage());
        KvView::new(data, [s[0], s[1], self.len, s[3]], s[2])
    }
}

/// The cached length in [`KvCache::attend`]: the keys' dim, named `T` in its messages.
#[derive(Clone, Copy, Debug)]
enum Cached {}
impl Dim for Cached {
    type Size = crate::Dyn;
    type Kind = crate::kind::Sequence;
    const NAME: &'static str = "T";
}

/// A compile-time `T` must be the cache's length.
fn check_length<T: Dim>(len: usize) -> Result<(), ShapeError> {
    match T::EXTENT {
        Some(fixed) if fixed != len => Err(ShapeError::other(
            format!(
                "the KV cache holds {len} positions, but `{}` is {fixed} by its declaration; name the length with a run-time dim (`{} = dyn`)",
                T::NAME,
                T::NAME
            ),
            T::NAME.to_string(),
            fixed,
            len,
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    crate::test_dims!(
        B = typenum::U1,
        H = typenum::U2,
        C = typenum::U8,
        Dh = typenum::U4,
        S = crate::Dyn,
        T = crate::Dyn
    );

    /// Appending writes the new positions in place: the views read the one buffer the
    /// cache allocated, whose address never changes, and the past is not rewritten.
    #[test]
    fn append_never_moves_or_copies_the_past() {
        let mut cache = KvCache::<B, H, C, Dh>::new(&Sizes::new());
        let at = cache.keys.as_slice().as_ptr();
        let values_at = cache.values.as_slice().as_ptr();
        let one = Sizes::new().with::<S>(1);
        let mut first_key = None;
        for step in 0..8u64 {
            let k = Tensor::<(B, H, S, Dh)>::randn_in(step, &one);
            let v = Tensor::<(B, H, S, Dh)>::randn_in(100 + step, &one);
            let (keys, values) = cache.append::<S, T>(&k, &v).expect("fits");
            assert!(core::ptr::eq(keys.storage().as_ptr(), at));
            assert!(core::ptr::eq(values.storage().as_ptr(), values_at));
            assert_eq!(keys.get(&[0, 1, step as usize, 3]), k.get(&[0, 1, 0, 3]));
            let first = keys.get(&[0, 0, 0, 0]);
            assert_eq!(*first_key.get_or_insert(first), first);
        }
        assert_eq!(cache.len(), 8);
    }
}
