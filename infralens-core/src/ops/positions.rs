//! The positions of the new rows of a decode step, handed out by the KV cache: what RoPE
//! rotates by and which rows of a learned position table are added, so that "from 0 while
//! decoding" cannot be written on the cached path.

use crate::error::ShapeError;
use crate::{Dim, DimInfo, Element, Tensor};
use core::marker::PhantomData;

/// Positions `start .. start + len` of `len` new rows along the dim `S`: the rows a decode
/// step adds after the `start` already in a [`KvCache`](crate::KvCache). Only the cache
/// hands them out ([`KvCache::positions`](crate::KvCache::positions)), so they always start
/// where the cache ends; [`Tensor::rope_at`] and [`Tensor::at_positions`] read them.
///
/// ```
/// use infralens::prelude::*;
/// dims! { pub B = 1; pub Hkv = 1; pub C = 8; pub Dh = 2; pub S = dyn; pub T = dyn; }
/// let mut cache = KvCache::<B, Hkv, C, Dh>::new(&sizes![]);
/// let k = Tensor::<(B, Hkv, S, Dh)>::zeros_in(&sizes![S = 3]);
/// cache.append::<S, T>(&k, &k)?;
/// let next = cache.positions::<S>(1)?;
/// assert_eq!((next.start(), next.len(), next.end()), (3, 1, 4));
/// # Ok::<(), ShapeError>(())
/// ```
#[derive(Debug)]
pub struct Positions<S: Dim> {
    start: usize,
    len: usize,
    dim: PhantomData<S>,
}

impl<S: Dim> Clone for Positions<S> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<S: Dim> Copy for Positions<S> {}

impl<S: Dim> PartialEq for Positions<S> {
    fn eq(&self, other: &Self) -> bool {
        (self.start, self.len) == (other.start, other.len)
    }
}
impl<S: Dim> Eq for Positions<S> {}

impl<S: Dim> Positions<S> {
    /// `len` positions from `start` (the cache's length), checked against a compile-time
    /// `S`.
    pub(crate) fn after(start: usize, len: usize) -> Result<Self, ShapeError> {
        if let Some(fixed) = S::EXTENT.filter(|&n| n != len) {
            return Err(ShapeError::other(
                format!(
                    "{len} new positions, but `{}` is {fixed} by its declaration",
                    S::NAME
                ),
                S::NAME.to_owned(),
                fixed,
                len,
            ));
        }
        Ok(Positions {
            start,
            len,
            dim: PhantomData,
        })
    }

    /// The first position: how many rows came before.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub B = 1; pub Hkv = 1; pub C = 8; pub Dh = 2; pub S = dyn; }
    /// let cache = KvCache::<B, Hkv, C, Dh>::new(&sizes![]);
    /// assert_eq!(cache.positions::<S>(5)?.start(), 0);
    /// # Ok::<(), ShapeError>(())
    /// ```
    pub fn start(&self) -> usize {
        self.start
    }

    /// How many positions: the size of `S` this step.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub B = 1; pub Hkv = 1; pub C = 8; pub Dh = 2; pub S = dyn; }
    /// let cache = KvCache::<B, Hkv, C, Dh>::new(&sizes![]);
    /// assert_eq!(cache.positions::<S>(5)?.len(), 5);
    /// # Ok::<(), ShapeError>(())
    /// ```
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are none.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub B = 1; pub Hkv = 1; pub C = 8; pub Dh = 2; pub S = dyn; }
    /// let cache = KvCache::<B, Hkv, C, Dh>::new(&sizes![]);
    /// assert!(cache.positions::<S>(0)?.is_empty());
    /// # Ok::<(), ShapeError>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// One past the last position.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub B = 1; pub Hkv = 1; pub C = 8; pub Dh = 2; pub S = dyn; }
    /// let cache = KvCache::<B, Hkv, C, Dh>::new(&sizes![]);
    /// assert_eq!(cache.positions::<S>(5)?.end(), 5);
    /// # Ok::<(), ShapeError>(())
    /// ```
    pub fn end(&self) -> usize {
        self.start + self.len
    }

    /// Checks that `rows`, the size of `S` in the tensor at hand, is the number of positions.
    pub(crate) fn check_rows(&self, op: &str, rows: usize) -> Result<(), ShapeError> {
        if rows == self.len {
            return Ok(());
        }
        Err(ShapeError::other(
            format!(
                "{op}: the rows have `{}` = {rows} positions, but the positions handed out are {} ({}..{})",
                S::NAME,
                self.len,
                self.start,
                self.end()
            ),
            S::NAME.to_owned(),
            self.len,
            rows,
        ))
    }
}

impl<P: Dim, D: Dim, E: Element, Backend: crate::Backend> Tensor<(P, D), E, Backend> {
    /// The rows of a learned position table `(P, D)` for `positions`: `(S, D)`, the
    /// embeddings GPT-2 adds to the new tokens. An error, not a panic, past the table's end.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub B = 1; pub Hkv = 1; pub C = 8; pub Dh = 2; pub S = dyn; pub T = dyn; pub P = 8; pub D = 2; }
    /// let wpe = Tensor::<(P, D)>::from_fn(|i| i[0] as f32);
    /// let mut cache = KvCache::<B, Hkv, C, Dh>::new(&sizes![]);
    /// let k = Tensor::<(B, Hkv, S, Dh)>::zeros_in(&sizes![S = 3]);
    /// cache.append::<S, T>(&k, &k)?;
    /// let next: Tensor<(S, D)> = wpe.at_positions(&cache.positions::<S>(1)?)?;
    /// assert_eq!(next.to_vec(), vec![3.0, 3.0]); // the row of position 3, not of 0
    /// # Ok::<(), ShapeError>(())
    /// ```
    pub fn at_positions<S: Dim>(
        &self,
        positions: &Positions<S>,
    ) -> Result<Tensor<(S, D), E, Backend>, ShapeError> {
        let [rows, width] = [self.sizes()[0], self.sizes()[1]];
        if positions.end() > rows {
            return Err(ShapeError::other(
                format!(
                    "positions {}..{} are past the end of the position table: `{}` = {rows}",
                    positions.start(),
                    positions.end(),
                    P::NAME
                ),
                P::NAME.to_owned(),
                rows,
                positions.end(),
            ));
        }
        let range = (positions.start(), positions.len());
        let data = Backend::narrow(self.storage(), self.sizes(), 0, range);
        Ok(Tensor::from_parts(data, &[positions.len(), width]))
    }
}
