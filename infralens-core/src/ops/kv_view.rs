//! Views of a [`KvCache`](crate::KvCache)'s filled keys and values: read in place by
//! attention, by [`Tensor::matmul`] (as `keys.t()` or `values`), and shared out over query
//! heads by [`KvView::repeat_kv`] — never a copy of the cache.

pub use crate::backend::KvParts;
use crate::ops::matmul::{Layout, Operand};
use crate::relations::{DividesHeads, HeadsAxis};
use crate::shape::{Extents, describe_sizes, extents};
use crate::{Dim, Element, Native, Shape};
use core::marker::PhantomData;

/// Keys or values for attention: a `&Tensor` `(B, Hkv, T, Dh)`, or a [`KvView`] of a cache.
///
/// ```
/// use infralens::prelude::*;
/// use infralens::KvInput;
/// dims! { pub B = 1; pub H = 2; pub T = 3; pub Dh = 4; }
/// fn len<E: Element>(k: impl KvInput<E>) -> usize { k.sizes()[2] }
/// assert_eq!(len(&Tensor::<(B, H, T, Dh)>::zeros()), 3);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be attention keys or values",
    label = "pass a reference `&k`, or a view from `KvCache::append`"
)]
pub trait KvInput<E: Element, Backend: crate::Backend = Native> {
    /// The shape the keys or values have: `(B, Hkv, T, Dh)`.
    type Shape: Shape;
    /// The data, the four sizes, the rows between two stored heads' starts, and how many
    /// heads read each stored head (1 unless the view was [`KvView::repeat_kv`]ed).
    #[doc(hidden)]
    fn kv_parts(&self) -> KvParts<'_, E, Backend>;
    /// The size of each of the four axes.
    fn sizes(&self) -> [usize; 4] {
        self.kv_parts().sizes
    }
}

impl<A: Dim, B: Dim, C: Dim, D: Dim, E: Element, Backend: crate::Backend> KvInput<E, Backend>
    for &crate::Tensor<(A, B, C, D), E, Backend>
{
    type Shape = (A, B, C, D);
    fn kv_parts(&self) -> KvParts<'_, E, Backend> {
        let s = crate::Tensor::sizes(self);
        KvParts {
            data: Backend::slice(self.storage()),
            sizes: [s[0], s[1], s[2], s[3]],
            stride: s[2],
            group: 1,
        }
    }
}

impl<A: Dim, B: Dim, C: Dim, D: Dim, E: Element, Backend: crate::Backend> KvInput<E, Backend>
    for KvView<'_, (A, B, C, D), E, Backend>
{
    type Shape = (A, B, C, D);
    fn kv_parts(&self) -> KvParts<'_, E, Backend> {
        self.parts()
    }
}

impl<A: Dim, B: Dim, C: Dim, D: Dim, E: Element, Backend: crate::Backend> KvInput<E, Backend>
    for &KvView<'_, (A, B, C, D), E, Backend>
{
    type Shape = (A, B, C, D);
    fn kv_parts(&self) -> KvParts<'_, E, Backend> {
        self.parts()
    }
}

/// The filled part `(B, Hkv, T, Dh)` of a [`KvCache`](crate::KvCache)'s keys or values, read
/// in place: each head's `T` rows are the first rows of its block of `capacity` rows.
///
/// A view is a tensor where attention needs one, without copying the cache:
/// pass it to [`scaled_dot_product_attention`](crate::scaled_dot_product_attention) or
/// [`grouped_query_attention`](crate::grouped_query_attention), or write attention op by
/// op — [`KvView::repeat_kv`] shares its heads out over the query heads, [`KvView::t`]
/// swaps its last two axes, and [`Tensor::matmul`](crate::Tensor::matmul) reads either
/// through strides. [`KvView::to_tensor`] makes a contiguous copy.
///
/// ```
/// use infralens::prelude::*;
/// dims! { pub B = 1; pub Hkv = 1; pub C = 8; pub Dh = 2; pub S = dyn; pub T = dyn; }
/// let mut cache = KvCache::<B, Hkv, C, Dh>::new(&sizes![]);
/// let k = Tensor::<(B, Hkv, S, Dh)>::ones_in(&sizes![S = 3]);
/// let (keys, _values) = cache.append::<S, T>(&k, &k)?;
/// assert_eq!(keys.describe(), "[B=1, Hkv=1, T=3, Dh=2]");
/// assert_eq!(keys.to_tensor().to_vec(), vec![1.0; 6]);
/// # Ok::<(), ShapeError>(())
/// ```
#[derive(Debug)]
pub struct KvView<'a, Sh: Shape, E: Element = f32, Backend: crate::Backend = Native> {
    data: &'a Backend::Slice<E>,
    /// Logical sizes.
    sizes: [usize; 4],
    /// Rows between the starts of two stored heads.
    capacity: usize,
    /// Logical heads per stored head.
    group: usize,
    shape: PhantomData<Sh>,
}

impl<Sh: Shape, E: Element, Backend: crate::Backend> Clone for KvView<'_, Sh, E, Backend> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<Sh: Shape, E: Element, Backend: crate::Backend> Copy for KvView<'_, Sh, E, Backend> {}

impl<'a, Sh: Shape, E: Element, Backend: crate::Backend> KvView<'a, Sh, E, Backend> {
    /// A view of `sizes[2]` rows at the start of each block of `capacity` rows.
    pub(crate) fn new(data: &'a Backend::Slice<E>, sizes: [usize; 4], capacity: usize) -> Self {
        KvView {
            data,
            sizes,
            capacity,
            group: 1,
            shape: PhantomData,
        }
    }

    fn parts(&self) -> KvParts<'a, E, Backend> {
        KvParts {
            data: self.data,
            sizes: self.sizes,
            stride: self.capacity,
            group: self.group,
        }
    }

    /// The whole buffer the view reads (for tests that check no copy was made).
    #[cfg(test)]
    pub(crate) fn storage(&self) -> &'a Backend::Slice<E> {
        self.data
    }

    /// The storage offset of element `[b, h, t, d]` (in bounds).
    fn offset(&self, index: [usize; 4]) -> usize {
        let [_, h, _, d] = self.sizes;
        let head = (index[0] * h + index[1]) / self.group;
        (head * self.capacity + index[2]) * d + index[3]
    }
}

impl<'a, A: Dim, B: Dim, T: Dim, D: Dim, E: Element, Backend: crate::Backend>
    KvView<'a, (A, B, T, D), E, Backend>
{
    /// The size of each axis.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub B = 1; pub Hkv = 2; pub C = 8; pub Dh = 4; pub T = dyn; }
    /// let cache = KvCache::<B, Hkv, C, Dh>::new(&sizes![]);
    /// assert_eq!(cache.keys::<T>()?.sizes(), &[1, 2, 0, 4]);
    /// # Ok::<(), ShapeError>(())
    /// ```
    pub fn sizes(&self) -> &[usize] {
        &self.sizes
    }

    /// The view's shape with its sizes: `[B=1, Hkv=2, T=5, Dh=4]`.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub B = 1; pub Hkv = 2; pub C = 8; pub Dh = 4; pub T = dyn; }
    /// let cache = KvCache::<B, Hkv, C, Dh>::new(&sizes![]);
    /// assert_eq!(cache.values::<T>()?.describe(), "[B=1, Hkv=2, T=0, Dh=4]");
    /// # Ok::<(), ShapeError>(())
    /// ```
    pub fn describe(&self) -> String {
        describe_sizes(<(A, B, T, D)>::NAMES, &self.sizes)
    }

    /// A contiguous copy of the filled part.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub B = 1; pub Hkv = 1; pub C = 4; pub Dh = 1; pub S = dyn; pub T = dyn; }
    /// let mut cache = KvCache::<B, Hkv, C, Dh>::new(&sizes![]);
    /// let k = Tensor::<(B, Hkv, S, Dh)>::from_vec_in(vec![7.0, 8.0], &sizes![S = 2])?;
    /// let (keys, _) = cache.append::<S, T>(&k, &k)?;
    /// let keys: Tensor<(B, Hkv, T, Dh)> = keys.to_tensor();
    /// assert_eq!(keys.to_vec(), vec![7.0, 8.0]);
    /// # Ok::<(), ShapeError>(())
    /// ```
    pub fn to_tensor(&self) -> crate::Tensor<(A, B, T, D), E, Backend> {
        crate::Tensor::from_parts(Backend::gather_view(self.parts()), &self.sizes)
    }

    /// Shares each key/value head out over `H / Hkv` query heads, as
    /// [`Tensor::repeat_kv`](crate::Tensor::repeat_kv) does, but without copying: query head
    /// `h` reads stored head `h / (H / Hkv)`. `Hkv` must divide `H` (checked by the type,
    /// or when it runs for run-time dims).
    ///
    /// # Panics
    ///
    /// When `H` is a run-time dim: give its size with [`KvView::repeat_kv_in`].
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub B = 1; pub H = 4; pub Hkv = 2; pub C = 8; pub Dh = 2; pub S = dyn; pub T = dyn; }
    /// let mut cache = KvCache::<B, Hkv, C, Dh>::new(&sizes![]);
    /// let k = Tensor::<(B, Hkv, S, Dh)>::randn_in(0, &sizes![S = 3]);
    /// let (keys, _) = cache.append::<S, T>(&k, &k)?;
    /// let shared = keys.repeat_kv::<H>();
    /// assert_eq!(shared.to_tensor().to_vec(), k.repeat_kv::<H>().to_vec());
    /// # Ok::<(), ShapeError>(())
    /// ```
    #[track_caller]
    pub fn repeat_kv<H: Dim>(&self) -> KvView<'a, (A, H, T, D), E, Backend>
    where
        B: HeadsAxis<B::Kind> + DividesHeads<H>,
    {
        self.repeat_kv_at::<H>(None)
    }

    /// [`KvView::repeat_kv`] where `H` is a run-time dim, its size from `sizes`.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub B = 1; pub H = dyn; pub Hkv = dyn; pub C = 8; pub Dh = 2; pub S = dyn; pub T = dyn; }
    /// let config = sizes![H = 6, Hkv = 2];
    /// let mut cache = KvCache::<B, Hkv, C, Dh>::new(&config);
    /// let k = Tensor::<(B, Hkv, S, Dh)>::randn_in(0, &config.with::<S>(2));
    /// let (keys, _) = cache.append::<S, T>(&k, &k)?;
    /// assert_eq!(keys.repeat_kv_in::<H>(&config).describe(), "[B=1, H=6, T=2, Dh=2]");
    /// # Ok::<(), ShapeError>(())
    /// ```
    #[track_caller]
    pub fn repeat_kv_in<H: Dim>(&self, sizes: &crate::Sizes) -> KvView<'a, (A, H, T, D), E, Backend>
    where
        B: HeadsAxis<B::Kind> + DividesHeads<H>,
    {
        self.repeat_kv_at::<H>(Some(sizes))
    }

    #[track_caller]
    fn repeat_kv_at<H: Dim>(
        &self,
        sizes: Option<&crate::Sizes>,
    ) -> KvView<'a, (A, H, T, D), E, Backend> {
        let h = super::repeat_kv::query_heads::<H>(sizes);
        let hkv = self.sizes[1];
        super::repeat_kv::check_groups::<H, B>("repeat_kv", h, hkv);
        let [b, _, t, d] = self.sizes;
        KvView {
            data: self.data,
            sizes: [b, h, t, d],
            capacity: self.capacity,
            group: self.group * (h / hkv),
            shape: PhantomData,
        }
    }

    /// Swaps the last two axes, without copying: keys `(B, H, T, Dh)` seen as
    /// `(B, H, Dh, T)`, so that `q.matmul(keys.t())` reads the cache through strides.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub B = 1; pub H = 2; pub C = 8; pub Dh = 4; pub S = dyn; pub T = dyn; }
    /// let mut cache = KvCache::<B, H, C, Dh>::new(&sizes![]);
    /// let k = Tensor::<(B, H, S, Dh)>::randn_in(1, &sizes![S = 3]);
    /// let q = Tensor::<(B, H, S, Dh)>::randn_in(2, &sizes![S = 3]);
    /// let (keys, _) = cache.append::<S, T>(&k, &k)?;
    /// let scores: Tensor<(B, H, S, T)> = q.matmul(keys.t());
    /// assert_eq!(scores.to_vec(), q.matmul(&k.t()).to_vec());
    /// # Ok::<(), ShapeError>(())
    /// ```
    pub fn t(&self) -> TransposedKv<'a, (A, B, D, T), E, Backend> {
        TransposedKv {
            view: KvView {
                data: self.data,
                sizes: self.sizes,
                capacity: self.capacity,
                group: self.group,
                shape: PhantomData,
            },
        }
    }
}

/// A [`KvView`] with its last two axes swapped: keys `(B, H, Dh, T)`, what
/// [`KvView::t`] returns. [`Tensor::matmul`](crate::Tensor::matmul) reads it through
/// strides; [`TransposedKv::t`] gives the view back.
///
/// ```
/// use infralens::prelude::*;
/// dims! { pub B = 1; pub H = 1; pub C = 4; pub Dh = 2; pub S = dyn; pub T = dyn; }
/// let mut cache = KvCache::<B, H, C, Dh>::new(&sizes![]);
/// let k = Tensor::<(B, H, S, Dh)>::randn_in(0, &sizes![S = 3]);
/// let (keys, _) = cache.append::<S, T>(&k, &k)?;
/// assert_eq!(keys.t().describe(), "[B=1, H=1, Dh=2, T=3]");
/// assert_eq!(keys.t().t().describe(), keys.describe());
/// # Ok::<(), ShapeError>(())
/// ```
#[derive(Debug)]
pub struct TransposedKv<'a, Sh: Shape, E: Element = f32, Backend: crate::Backend = Native> {
    /// The untransposed view (its `Sh` is not the view's: only data and sizes are read).
    view: KvView<'a, Sh, E, Backend>,
}

impl<Sh: Shape, E: Element, Backend: crate::Backend> Clone for TransposedKv<'_, Sh, E, Backend> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<Sh: Shape, E: Element, Backend: crate::Backend> Copy for TransposedKv<'_, Sh, E, Backend> {}

impl<'a, A: Dim, B: Dim, D: Dim, T: Dim, E: Element, Backend: crate::Backend>
    TransposedKv<'a, (A, B, D, T), E, Backend>
{
    /// The view's shape with its sizes: `[B=1, H=2, Dh=4, T=5]`.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub B = 1; pub H = 2; pub C = 8; pub Dh = 4; pub T = dyn; }
    /// let cache = KvCache::<B, H, C, Dh>::new(&sizes![]);
    /// assert_eq!(cache.keys::<T>()?.t().describe(), "[B=1, H=2, Dh=4, T=0]");
    /// # Ok::<(), ShapeError>(())
    /// ```
    pub fn describe(&self) -> String {
        describe_sizes(<(A, B, D, T)>::NAMES, &self.swapped())
    }

    /// The untransposed view: transposing back is free.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub B = 1; pub H = 2; pub C = 8; pub Dh = 4; pub T = dyn; }
    /// let cache = KvCache::<B, H, C, Dh>::new(&sizes![]);
    /// let keys = cache.keys::<T>()?;
    /// assert_eq!(keys.t().t().sizes(), keys.sizes());
    /// # Ok::<(), ShapeError>(())
    /// ```
    pub fn t(&self) -> KvView<'a, (A, B, T, D), E, Backend> {
        let v = self.view;
        KvView {
            data: v.data,
            sizes: v.sizes,
            capacity: v.capacity,
            group: v.group,
            shape: PhantomData,
        }
    }

    fn swapped(&self) -> [usize; 4] {
        let [b, h, t, d] = self.view.sizes;
        [b, h, d, t]
    }
}

macro_rules! view_operand {
    ($ty:ident, $swap:expr, $self_:ident => $sizes:expr) => {
        impl<A: Dim, B: Dim, C: Dim, D: Dim, E: Element, Backend: crate::Backend>
            Operand<E, Backend> for $ty<'_, (A, B, C, D), E, Backend>
        {
            type Shape = (A, B, C, D);
            fn layout(&self) -> Layout<'_, E, Backend> {
                let $self_ = self;
                $swap
            }
            fn sizes(&self) -> Vec<usize> {
                let $self_ = self;
                $sizes.to_vec()
            }
            fn extents(&self) -> Extents {
                let $self_ = self;
                extents(&$sizes)
            }
        }
        impl<A: Dim, B: Dim, C: Dim, D: Dim, E: Element, Backend: crate::Backend>
            Operand<E, Backend> for &$ty<'_, (A, B, C, D), E, Backend>
        {
            type Shape = (A, B, C, D);
            fn layout(&self) -> Layout<'_, E, Backend> {
                let $self_ = *self;
                $swap
            }
            fn sizes(&self) -> Vec<usize> {
                let $self_ = *self;
                $sizes.to_vec()
            }
            fn extents(&self) -> Extents {
                let $self_ = *self;
                extents(&$sizes)
            }
        }
    };
}

view_operand!(KvView, s.layout(false), s => s.sizes);
view_operand!(TransposedKv, s.view.layout(true), s => s.swapped());

impl<'a, Sh: Shape, E: Element, Backend: crate::Backend> KvView<'a, Sh, E, Backend> {
    /// How matmul reads it: stored row-major `(T, D)` blocks, `capacity` rows apart, each
    /// read by `group` logical heads.
    fn layout(&self, transposed: bool) -> Layout<'a, E, Backend> {
        let d = self.sizes[3];
        Layout {
            data: self.data,
            transposed,
            row_stride: d,
            matrix_stride: self.capacity * d,
            group: self.group,
        }
    }
}

/// Reading a view element by element, on the native backend.
impl<A: Dim, B: Dim, T: Dim, D: Dim, E: Element> KvView<'_, (A, B, T, D), E> {
    /// The element at `[b, h, t, d]`, or `None` out of bounds.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub B = 1; pub Hkv = 1; pub C = 4; pub Dh = 1; pub S = dyn; pub T = dyn; }
    /// let mut cache = KvCache::<B, Hkv, C, Dh>::new(&sizes![]);
    /// let k = Tensor::<(B, Hkv, S, Dh)>::from_vec_in(vec![7.0, 8.0], &sizes![S = 2])?;
    /// let (keys, _) = cache.append::<S, T>(&k, &k)?;
    /// assert_eq!((keys.get(&[0, 0, 1, 0]), keys.get(&[0, 0, 2, 0])), (Some(8.0), None));
    /// # Ok::<(), ShapeError>(())
    /// ```
    pub fn get(&self, index: &[usize]) -> Option<E> {
        if index.len() != 4 || index.iter().zip(&self.sizes).any(|(i, n)| i >= n) {
            return None;
        }
        let at = self.offset([index[0], index[1], index[2], index[3]]);
        self.data.get(at).copied()
    }
}
