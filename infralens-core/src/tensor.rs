//! [`Tensor`]: real data in a shape the compiler knows.

use crate::error::ShapeError;
use crate::rng::SplitMix64;
use crate::{Element, Shape};
use core::fmt;
use core::marker::PhantomData;

/// A tensor of shape `Sh` (a tuple of named dims such as `(B, S, D)`) with elements `E`
/// (`f32` by default, or `f64`), stored row-major and contiguous.
///
/// The shape lives in the type, so every op checks its shape rule at compile time and the
/// data is always exactly `Sh::NUMEL` elements.
///
/// ```
/// use infralens::prelude::*;
///
/// dims! { pub B = 2; pub S = 4; pub D = 16; }
///
/// let x = Tensor::<(B, S, D)>::randn(0);
/// assert_eq!(x.as_slice().len(), 2 * 4 * 16);
/// assert_eq!(x.describe(), "[B=2, S=4, D=16]");
/// assert_eq!(x.bytes(), 128 * 4);
/// ```
pub struct Tensor<Sh: Shape, E: Element = f32> {
    data: Vec<E>,
    shape: PhantomData<Sh>,
}

impl<Sh: Shape, E: Element> Tensor<Sh, E> {
    /// Wraps data whose length is known to be `Sh::NUMEL` (every op's output).
    pub(crate) fn from_raw(data: Vec<E>) -> Self {
        debug_assert_eq!(data.len(), Sh::NUMEL, "op produced the wrong element count");
        Tensor {
            data,
            shape: PhantomData,
        }
    }

    /// A tensor of zeros.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub S = 4; }
    /// assert_eq!(Tensor::<(S,)>::zeros().to_vec(), vec![0.0; 4]);
    /// ```
    pub fn zeros() -> Self {
        Self::from_raw(vec![E::ZERO; Sh::NUMEL])
    }

    /// A tensor of ones.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub S = 4; }
    /// assert_eq!(Tensor::<(S,), f64>::ones().to_vec(), vec![1.0; 4]);
    /// ```
    pub fn ones() -> Self {
        Self::from_raw(vec![E::ONE; Sh::NUMEL])
    }

    /// A tensor whose element at multi-index `[i0, i1, …]` is `f(&[i0, i1, …])`.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub S = 2; pub D = 3; }
    /// let x = Tensor::<(S, D)>::from_fn(|i| (10 * i[0] + i[1]) as f32);
    /// assert_eq!(x.to_vec(), vec![0.0, 1.0, 2.0, 10.0, 11.0, 12.0]);
    /// ```
    pub fn from_fn(mut f: impl FnMut(&[usize]) -> E) -> Self {
        let mut index = vec![0usize; Sh::RANK];
        let mut data = Vec::with_capacity(Sh::NUMEL);
        for _ in 0..Sh::NUMEL {
            data.push(f(&index));
            for axis in (0..Sh::RANK).rev() {
                index[axis] += 1;
                if index[axis] < Sh::SIZES[axis] {
                    break;
                }
                index[axis] = 0;
            }
        }
        Self::from_raw(data)
    }

    /// A tensor of standard normal samples, the same for the same `seed` on every machine
    /// and every release.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub S = 4; pub D = 16; }
    /// let a = Tensor::<(S, D)>::randn(42);
    /// assert_eq!(a, Tensor::<(S, D)>::randn(42));
    /// assert_ne!(a, Tensor::<(S, D)>::randn(43));
    /// ```
    pub fn randn(seed: u64) -> Self {
        let mut rng = SplitMix64::new(seed);
        let mut data = Vec::with_capacity(Sh::NUMEL + 1);
        while data.len() < Sh::NUMEL {
            let (a, b) = rng.normal_pair();
            data.push(E::from_f64(a));
            data.push(E::from_f64(b));
        }
        data.truncate(Sh::NUMEL);
        Self::from_raw(data)
    }

    /// Takes ownership of row-major data; fails when `data.len()` is not the element count
    /// of `Sh`, with an error that names the shape and both lengths.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub S = 2; pub D = 3; }
    /// let x = Tensor::<(S, D)>::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0])?;
    /// assert_eq!(x.get(&[1, 0]), Some(4.0));
    ///
    /// let err = Tensor::<(S, D)>::from_vec(vec![1.0; 5]).unwrap_err();
    /// assert_eq!(err.to_string(), "shape [S=2, D=3] holds 6 elements, but 5 values were given");
    /// # Ok::<(), ShapeError>(())
    /// ```
    pub fn from_vec(data: Vec<E>) -> Result<Self, ShapeError> {
        if data.len() == Sh::NUMEL {
            Ok(Self::from_raw(data))
        } else {
            Err(ShapeError::new(Sh::describe(), Sh::NUMEL, data.len()))
        }
    }

    /// The elements, row-major.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub S = 2; }
    /// assert_eq!(Tensor::<(S,)>::ones().as_slice(), &[1.0, 1.0]);
    /// ```
    pub fn as_slice(&self) -> &[E] {
        &self.data
    }

    /// The elements, row-major, mutably (the shape cannot change).
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub S = 2; }
    /// let mut x = Tensor::<(S,)>::zeros();
    /// x.as_mut_slice()[1] = 5.0;
    /// assert_eq!(x.to_vec(), vec![0.0, 5.0]);
    /// ```
    pub fn as_mut_slice(&mut self) -> &mut [E] {
        &mut self.data
    }

    /// A copy of the elements, row-major.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub S = 2; }
    /// assert_eq!(Tensor::<(S,)>::ones().to_vec(), vec![1.0, 1.0]);
    /// ```
    pub fn to_vec(&self) -> Vec<E> {
        self.data.clone()
    }

    /// The elements, row-major, without a copy.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub S = 2; }
    /// assert_eq!(Tensor::<(S,)>::ones().into_vec(), vec![1.0, 1.0]);
    /// ```
    pub fn into_vec(self) -> Vec<E> {
        self.data
    }

    /// The element at a multi-index, or `None` when the index has the wrong rank or is
    /// out of bounds.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub S = 2; pub D = 3; }
    /// let x = Tensor::<(S, D)>::from_fn(|i| (i[0] * 3 + i[1]) as f32);
    /// assert_eq!(x.get(&[1, 2]), Some(5.0));
    /// assert_eq!(x.get(&[2, 0]), None);
    /// assert_eq!(x.get(&[1]), None);
    /// ```
    pub fn get(&self, index: &[usize]) -> Option<E> {
        if index.len() != Sh::RANK {
            return None;
        }
        let mut flat = 0;
        for (&i, &n) in index.iter().zip(Sh::SIZES) {
            if i >= n {
                return None;
            }
            flat = flat * n + i;
        }
        self.data.get(flat).copied()
    }

    /// The concrete size of each axis.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub B = 2; pub S = 4; }
    /// assert_eq!(Tensor::<(B, S)>::zeros().sizes(), &[2, 4]);
    /// ```
    pub fn sizes(&self) -> &'static [usize] {
        Sh::SIZES
    }

    /// The declared name of each axis.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub B = 2; pub S = 4; }
    /// assert_eq!(Tensor::<(B, S)>::zeros().names(), &["B", "S"]);
    /// ```
    pub fn names(&self) -> &'static [&'static str] {
        Sh::NAMES
    }

    /// The shape with its sizes: `[B=2, H=4, S=4, Dh=4]`.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub B = 2; pub S = 4; }
    /// assert_eq!(Tensor::<(B, S)>::zeros().describe(), "[B=2, S=4]");
    /// ```
    pub fn describe(&self) -> String {
        Sh::describe()
    }

    /// The number of elements. For a weight, this is its parameter count: `Wq: (D, D)`
    /// has `D²` parameters whatever the number of heads.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub D = 16; }
    /// assert_eq!(Tensor::<(D, D)>::zeros().numel(), 256);
    /// ```
    pub fn numel(&self) -> usize {
        Sh::NUMEL
    }

    /// The size of the data in bytes.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub D = 16; }
    /// assert_eq!(Tensor::<(D, D), f64>::zeros().bytes(), 256 * 8);
    /// ```
    pub fn bytes(&self) -> usize {
        Sh::NUMEL * E::BYTES
    }

    /// Applies `f` to every element.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub S = 2; }
    /// assert_eq!(Tensor::<(S,)>::ones().map(|x| x * 3.0).to_vec(), vec![3.0, 3.0]);
    /// ```
    pub fn map(&self, f: impl FnMut(E) -> E) -> Self {
        Self::from_raw(self.data.iter().copied().map(f).collect())
    }
}

impl<Sh: Shape, E: Element> Clone for Tensor<Sh, E> {
    fn clone(&self) -> Self {
        Self::from_raw(self.data.clone())
    }
}

impl<Sh: Shape, E: Element> PartialEq for Tensor<Sh, E> {
    fn eq(&self, other: &Self) -> bool {
        self.data == other.data
    }
}

impl<Sh: Shape, E: Element> Default for Tensor<Sh, E> {
    fn default() -> Self {
        Self::zeros()
    }
}

impl<Sh: Shape, E: Element> fmt::Debug for Tensor<Sh, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tensor")
            .field("shape", &Sh::describe())
            .field("data", &self.data)
            .finish()
    }
}
