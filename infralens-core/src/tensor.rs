//! [`Tensor`]: real data in a shape the compiler knows.

use crate::error::ShapeError;
use crate::rng::SplitMix64;
use crate::shape::{Extents, describe_sizes, extents};
use crate::sizes::{Bind, Bindings};
use crate::{Element, Native, Shape, Sizes, StaticShape};
use core::fmt;
use core::marker::PhantomData;

/// A tensor of shape `Sh` (a tuple of named dims such as `(B, S, D)`) with elements `E`
/// (`f32` by default, or `f64`), stored row-major and contiguous.
///
/// The shape lives in the type, so every op checks its shape rule at compile time. The
/// tensor carries the size of each axis: a constant for a compile-time dim, the bound
/// number for a run-time dim (`S = dyn`), so the data is always exactly the product of
/// [`Tensor::sizes`].
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
pub struct Tensor<Sh: Shape, E: Element = f32, Backend: crate::Backend = Native> {
    data: Backend::Storage<E>,
    extents: Extents,
    shape: PhantomData<Sh>,
}

/// The extents of a static shape, or a panic (at the caller) when no tensor of it can exist.
#[track_caller]
fn static_extents<Sh: StaticShape, E>() -> Extents {
    let extents = extents(Sh::SIZES);
    if let Err(e) = checked_numel::<Sh, E>(&extents) {
        panic!("{e}");
    }
    extents
}

/// The extents of `Sh` from `sizes`, or a panic naming the missing or wrong size, or the
/// shape when no tensor of it can exist.
#[track_caller]
fn extents_in<Sh: Shape, E>(sizes: &Sizes) -> Extents {
    match sizes
        .extents_of::<Sh>()
        .and_then(|e| checked_numel::<Sh, E>(&e).map(|_| e))
    {
        Ok(e) => e,
        Err(e) => panic!("{e}"),
    }
}

/// The extents of `Sh` with its run-time sizes from `sizes`, for `len` values of `T`: an
/// error names a missing size, a shape no tensor can have, or a length that is not the
/// shape's element count. What every `from_vec_in`-style constructor checks.
pub(crate) fn extents_for<Sh: Shape, T>(sizes: &Sizes, len: usize) -> Result<Extents, ShapeError> {
    let extents = sizes.extents_of::<Sh>()?;
    let numel = checked_numel::<Sh, T>(&extents)?;
    if len == numel {
        Ok(extents)
    } else {
        Err(ShapeError::numel(
            describe_sizes(Sh::NAMES, &extents[..Sh::RANK]),
            numel,
            len,
        ))
    }
}

/// The number of elements of `Sh` with these extents, or an error when a tensor of them
/// cannot exist: more elements than a `usize` counts, or more bytes of `E` than a program
/// may allocate (`isize::MAX`). Without it the count would wrap and a tensor could claim
/// sizes its data does not have.
pub(crate) fn checked_numel<Sh: Shape, E>(extents: &Extents) -> Result<usize, ShapeError> {
    let sizes = &extents[..Sh::RANK];
    let width = core::mem::size_of::<E>().max(1);
    let limit = isize::MAX.unsigned_abs() / width;
    match sizes.iter().try_fold(1usize, |n, &s| n.checked_mul(s)) {
        Some(n) if n <= limit => Ok(n),
        _ => {
            let count = sizes
                .iter()
                .try_fold(1u128, |n, &s| n.checked_mul(s as u128))
                .map_or_else(|| "more than 2^128".to_owned(), |n| n.to_string());
            let shape = describe_sizes(Sh::NAMES, sizes);
            Err(ShapeError::other(
                format!(
                    "shape {shape} would hold {count} elements of {width} bytes: no tensor can be \
                     that large (a program allocates at most {} bytes); check its sizes",
                    isize::MAX
                ),
                shape,
                limit,
                usize::MAX,
            ))
        }
    }
}

impl<Sh: Shape, E: Element, Backend: crate::Backend> Tensor<Sh, E, Backend> {
    /// Wraps data of an op's output whose sizes are `sizes` (one per axis).
    ///
    /// A run-time dim that appears on two axes (`(…, S, S)` scores) must have one size;
    /// the op's inputs may disagree on it (queries of 3 positions, keys of 4, both `S`),
    /// and that is reported here, naming the dim.
    #[track_caller]
    pub(crate) fn from_parts(data: Backend::Storage<E>, sizes: &[usize]) -> Self {
        if !Sh::IS_STATIC {
            for i in 0..Sh::RANK {
                for j in i + 1..Sh::RANK {
                    if Sh::EXTENTS[i].is_none()
                        && sizes[i] != sizes[j]
                        && Sh::dim_id(i) == Sh::dim_id(j)
                    {
                        panic!(
                            "shape mismatch: `{name}` would be both {a} and {b} in the result {sym}: \
                             the two tensors that brought `{name}` disagree on its size",
                            name = Sh::NAMES[i],
                            a = sizes[i],
                            b = sizes[j],
                            sym = Sh::symbolic(),
                        );
                    }
                }
            }
        }
        debug_assert_eq!(sizes.len(), Sh::RANK, "op produced the wrong rank");
        debug_assert_eq!(
            Backend::len(&data),
            sizes.iter().product::<usize>(),
            "op produced the wrong element count"
        );
        debug_assert!(
            Sh::EXTENTS
                .iter()
                .zip(sizes)
                .all(|(fixed, &n)| fixed.is_none_or(|f| f == n)),
            "op gave a compile-time dim another size"
        );
        // A backend's storage carries its own sizes (candle's does): they are the tensor's,
        // whatever the kernel left (a head merge leaves `(B, S, H, Dh)` to be `(B, S, D)`).
        Tensor {
            data: Backend::reshape(data, sizes),
            extents: extents(sizes),
            shape: PhantomData,
        }
    }

    /// The tensor of `data` (row-major, of these extents) on the backend's default device.
    fn try_host(data: Vec<E>, extents: Extents) -> Result<Self, ShapeError> {
        Self::try_host_on(data, extents, &Backend::default_device())
    }

    /// The tensor of `data` (row-major, of these extents) on `device`.
    fn try_host_on(
        data: Vec<E>,
        extents: Extents,
        device: &Backend::Device,
    ) -> Result<Self, ShapeError> {
        let storage = Backend::from_vec(data, &extents[..Sh::RANK], device)?;
        Ok(Self::with_extents(storage, extents))
    }

    /// [`Self::try_host`] for the constructors that cannot fail on the native backend: a
    /// device that cannot hold the tensor is a panic naming the backend's reason.
    #[track_caller]
    fn from_host(data: Vec<E>, extents: Extents) -> Self {
        match Self::try_host(data, extents) {
            Ok(t) => t,
            Err(e) => panic!("{e}"),
        }
    }

    /// A tensor of this one's shape and sizes with other data (of the same length).
    pub(crate) fn with_data(&self, data: Backend::Storage<E>) -> Self {
        debug_assert_eq!(Backend::len(&data), Backend::len(&self.data));
        Self::with_extents(data, self.extents)
    }

    /// The same elements in another shape of the same count (for the ops).
    pub(crate) fn regroup<T: Shape>(self, sizes: &[usize]) -> Tensor<T, E, Backend> {
        Tensor::from_parts(Backend::reshape(self.data, sizes), sizes)
    }

    /// The storage, given up (for the ops and the backends).
    #[cfg_attr(not(feature = "candle"), allow(dead_code))]
    pub(crate) fn into_storage(self) -> Backend::Storage<E> {
        self.data
    }

    /// The storage, to write in place (the KV cache).
    pub(crate) fn storage_mut(&mut self) -> &mut Backend::Storage<E> {
        &mut self.data
    }

    /// The storage (for the ops and the backends).
    pub(crate) fn storage(&self) -> &Backend::Storage<E> {
        &self.data
    }

    /// Zeros of `Sh` (its run-time sizes from `sizes`) on `device`.
    pub(crate) fn zeros_on(sizes: &Sizes, device: &Backend::Device) -> Result<Self, ShapeError> {
        let extents = sizes.extents_of::<Sh>()?;
        let n = checked_numel::<Sh, E>(&extents)?;
        Self::try_host_on(vec![E::ZERO; n], extents, device)
    }

    /// Wraps data of the given extents.
    fn with_extents(data: Backend::Storage<E>, extents: Extents) -> Self {
        Tensor {
            data,
            extents,
            shape: PhantomData,
        }
    }

    /// A tensor of zeros whose run-time dims take their sizes from `sizes`.
    ///
    /// # Panics
    ///
    /// When a run-time dim of `Sh` has no size in `sizes`, or a compile-time dim is given
    /// another size; the message names the dim.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub B = dyn; pub S = dyn; pub D = 4; }
    /// let x = Tensor::<(B, S, D)>::zeros_in(&sizes![B = 1, S = 3]);
    /// assert_eq!(x.describe(), "[B=1, S=3, D=4]");
    /// assert_eq!(x.numel(), 12);
    /// ```
    ///
    /// ```should_panic
    /// use infralens::prelude::*;
    /// dims! { pub S = dyn; pub D = 4; }
    /// // panics: "`S` of (S, D) is a run-time dim, and no size was given for it: add `S = …` to `sizes![…]`"
    /// let _ = Tensor::<(S, D)>::zeros_in(&sizes![]);
    /// ```
    #[track_caller]
    pub fn zeros_in(sizes: &Sizes) -> Self {
        Self::filled(extents_in::<Sh, E>(sizes), E::ZERO)
    }

    /// A tensor of ones whose run-time dims take their sizes from `sizes`; panics as
    /// [`Tensor::zeros_in`].
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub S = dyn; }
    /// assert_eq!(Tensor::<(S,)>::ones_in(&sizes![S = 2]).to_vec(), vec![1.0, 1.0]);
    /// ```
    #[track_caller]
    pub fn ones_in(sizes: &Sizes) -> Self {
        Self::filled(extents_in::<Sh, E>(sizes), E::ONE)
    }

    fn filled(extents: Extents, value: E) -> Self {
        let n = extents[..Sh::RANK].iter().product();
        Self::from_host(vec![value; n], extents)
    }

    /// [`Tensor::from_fn`] with run-time sizes; panics as [`Tensor::zeros_in`].
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub S = dyn; pub D = 2; }
    /// let x = Tensor::<(S, D)>::from_fn_in(&sizes![S = 2], |i| (10 * i[0] + i[1]) as f32);
    /// assert_eq!(x.to_vec(), vec![0.0, 1.0, 10.0, 11.0]);
    /// ```
    #[track_caller]
    pub fn from_fn_in(sizes: &Sizes, f: impl FnMut(&[usize]) -> E) -> Self {
        Self::generate(extents_in::<Sh, E>(sizes), f)
    }

    fn generate(extents: Extents, mut f: impl FnMut(&[usize]) -> E) -> Self {
        let sizes = &extents[..Sh::RANK];
        let numel: usize = sizes.iter().product();
        let mut index = vec![0usize; Sh::RANK];
        let mut data = Vec::with_capacity(numel);
        for _ in 0..numel {
            data.push(f(&index));
            for axis in (0..Sh::RANK).rev() {
                index[axis] += 1;
                if index[axis] < sizes[axis] {
                    break;
                }
                index[axis] = 0;
            }
        }
        Self::from_host(data, extents)
    }

    /// [`Tensor::randn`] with run-time sizes; panics as [`Tensor::zeros_in`]. The values
    /// are the first elements of the same stream as `randn(seed)`.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub S = dyn; pub D = 8; }
    /// let a = Tensor::<(S, D)>::randn_in(7, &sizes![S = 3]);
    /// assert_eq!(a, Tensor::<(S, D)>::randn_in(7, &sizes![S = 3]));
    /// ```
    #[track_caller]
    pub fn randn_in(seed: u64, sizes: &Sizes) -> Self {
        Self::random(seed, extents_in::<Sh, E>(sizes))
    }

    fn random(seed: u64, extents: Extents) -> Self {
        let numel: usize = extents[..Sh::RANK].iter().product();
        let mut rng = SplitMix64::new(seed);
        let mut data = Vec::with_capacity(numel + 1);
        while data.len() < numel {
            let (a, b) = rng.normal_pair();
            data.push(E::from_f64(a));
            data.push(E::from_f64(b));
        }
        data.truncate(numel);
        Self::from_host(data, extents)
    }

    /// Takes ownership of row-major data whose run-time dims have the sizes in `sizes`;
    /// fails when a run-time dim has no size, or when `data.len()` is not the element
    /// count, with an error that names the shape and both numbers.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub S = dyn; pub D = 2; }
    /// let x = Tensor::<(S, D)>::from_vec_in(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &sizes![S = 3])?;
    /// assert_eq!(x.describe(), "[S=3, D=2]");
    ///
    /// let err = Tensor::<(S, D)>::from_vec_in(vec![1.0; 5], &sizes![S = 3]).unwrap_err();
    /// assert_eq!(err.to_string(), "shape [S=3, D=2] holds 6 elements, but 5 values were given");
    /// let err = Tensor::<(S, D)>::from_vec_in(vec![1.0; 6], &sizes![]).unwrap_err();
    /// assert!(err.to_string().starts_with("`S` of (S, D) is a run-time dim, and no size was given"));
    /// # Ok::<(), ShapeError>(())
    /// ```
    pub fn from_vec_in(data: Vec<E>, sizes: &Sizes) -> Result<Self, ShapeError> {
        let extents = extents_for::<Sh, E>(sizes, data.len())?;
        Self::try_host(data, extents)
    }

    /// The sizes of this tensor's run-time dims, to build other tensors alike.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub B = dyn; pub S = dyn; pub D = 4; }
    /// let x = Tensor::<(B, S, D)>::zeros_in(&sizes![B = 2, S = 5]);
    /// let mask = Tensor::<(B, S)>::ones_in(&x.bound());
    /// assert_eq!(mask.sizes(), &[2, 5]);
    /// ```
    pub fn bound(&self) -> Sizes {
        let mut out = Sizes::new();
        for axis in 0..Sh::RANK {
            if Sh::EXTENTS[axis].is_none()
                && let Some(id) = Sh::dim_id(axis)
            {
                out = out.with_id(id, Sh::NAMES[axis], self.extents[axis]);
            }
        }
        out
    }
}

/// Constructors of shapes whose sizes are all known at compile time.
impl<Sh: Shape, E: Element, Backend: crate::Backend> Tensor<Sh, E, Backend> {
    /// A tensor of zeros.
    ///
    /// # Panics
    ///
    /// When no tensor of the shape can exist (more bytes than a program may allocate, as
    /// two dims of 2^32), naming the shape; so do [`ones`](Tensor::ones),
    /// [`from_fn`](Tensor::from_fn) and [`randn`](Tensor::randn), and
    /// [`from_vec`](Tensor::from_vec) returns it as an error.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub S = 4; }
    /// assert_eq!(Tensor::<(S,)>::zeros().to_vec(), vec![0.0; 4]);
    /// ```
    #[track_caller]
    pub fn zeros() -> Self
    where
        Sh: StaticShape,
    {
        Self::filled(static_extents::<Sh, E>(), E::ZERO)
    }

    /// A tensor of ones.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub S = 4; }
    /// assert_eq!(Tensor::<(S,), f64>::ones().to_vec(), vec![1.0; 4]);
    /// ```
    #[track_caller]
    pub fn ones() -> Self
    where
        Sh: StaticShape,
    {
        Self::filled(static_extents::<Sh, E>(), E::ONE)
    }

    /// A tensor whose element at multi-index `[i0, i1, …]` is `f(&[i0, i1, …])`.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub S = 2; pub D = 3; }
    /// let x = Tensor::<(S, D)>::from_fn(|i| (10 * i[0] + i[1]) as f32);
    /// assert_eq!(x.to_vec(), vec![0.0, 1.0, 2.0, 10.0, 11.0, 12.0]);
    /// ```
    #[track_caller]
    pub fn from_fn(f: impl FnMut(&[usize]) -> E) -> Self
    where
        Sh: StaticShape,
    {
        Self::generate(static_extents::<Sh, E>(), f)
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
    #[track_caller]
    pub fn randn(seed: u64) -> Self
    where
        Sh: StaticShape,
    {
        Self::random(seed, static_extents::<Sh, E>())
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
    pub fn from_vec(data: Vec<E>) -> Result<Self, ShapeError>
    where
        Sh: StaticShape,
    {
        let extents = extents(Sh::SIZES);
        let numel = checked_numel::<Sh, E>(&extents)?;
        if data.len() == numel {
            Self::try_host(data, extents)
        } else {
            Err(ShapeError::numel(Sh::describe(), numel, data.len()))
        }
    }
}

/// Sizes, names and the elements of a tensor on any backend.
impl<Sh: Shape, E: Element, Backend: crate::Backend> Tensor<Sh, E, Backend> {
    /// A copy of the elements, row-major.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub S = 2; }
    /// assert_eq!(Tensor::<(S,)>::ones().to_vec(), vec![1.0, 1.0]);
    /// ```
    pub fn to_vec(&self) -> Vec<E> {
        Backend::to_vec(&self.data)
    }

    /// The concrete size of each axis: the declared size of a compile-time dim, the bound
    /// size of a run-time dim.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub B = 2; pub S = dyn; }
    /// assert_eq!(Tensor::<(B, S)>::zeros_in(&sizes![S = 7]).sizes(), &[2, 7]);
    /// ```
    pub fn sizes(&self) -> &[usize] {
        &self.extents[..Sh::RANK]
    }

    /// The extents, padded with 1 past the rank (for the ops).
    pub(crate) fn extents(&self) -> Extents {
        self.extents
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

    /// The shape with its sizes: `[B=2, H=4, S=4, Dh=4]`, run-time dims with the sizes
    /// this tensor has.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub B = 2; pub S = dyn; }
    /// assert_eq!(Tensor::<(B, S)>::zeros_in(&sizes![S = 7]).describe(), "[B=2, S=7]");
    /// ```
    pub fn describe(&self) -> String {
        describe_sizes(Sh::NAMES, self.sizes())
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
        self.sizes().iter().product()
    }

    /// The size of the data in bytes.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub D = 16; }
    /// assert_eq!(Tensor::<(D, D), f64>::zeros().bytes(), 256 * 8);
    /// ```
    pub fn bytes(&self) -> usize {
        self.numel() * E::BYTES
    }

    /// The elements, row-major: without a copy on the native backend, copied from the
    /// device on candle.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub S = 2; }
    /// assert_eq!(Tensor::<(S,)>::ones().into_vec(), vec![1.0, 1.0]);
    /// ```
    pub fn into_vec(self) -> Vec<E> {
        Backend::into_vec(self.data)
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
        for (&i, &n) in index.iter().zip(self.sizes()) {
            if i >= n {
                return None;
            }
            flat = flat * n + i;
        }
        Some(Backend::get(&self.data, flat))
    }

    /// Applies `f` to every element (on the host: a candle tensor is copied out and back).
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub S = 2; }
    /// assert_eq!(Tensor::<(S,)>::ones().map(|x| x * 3.0).to_vec(), vec![3.0, 3.0]);
    /// ```
    pub fn map(&self, f: impl FnMut(E) -> E) -> Self {
        Self::with_extents(Backend::map(&self.data, f), self.extents)
    }
}

/// Moving a tensor between backends and devices.
impl<Sh: Shape, E: Element, Backend: crate::Backend> Tensor<Sh, E, Backend> {
    /// The same tensor on another backend (or another device of this one): one explicit
    /// copy, the shape and its run-time sizes coming along.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// use infralens::Native;
    /// dims! { pub S = dyn; pub D = 3; }
    /// let x = Tensor::<(S, D)>::ones_in(&sizes![S = 2]);
    /// let y = x.to_backend::<Native>(&())?;
    /// assert_eq!(y.describe(), "[S=2, D=3]");
    /// # Ok::<(), ShapeError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// When the target device cannot hold the tensor (the backend's reason, in words).
    pub fn to_backend<To: crate::Backend>(
        &self,
        device: &To::Device,
    ) -> Result<Tensor<Sh, E, To>, ShapeError> {
        let data = To::from_vec(self.to_vec(), self.sizes(), device)?;
        Ok(Tensor::with_extents(data, self.extents))
    }

    /// The device the data lives on: `()` on the native backend, a `candle_core::Device` on
    /// the candle backend.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub S = 2; }
    /// let () = Tensor::<(S,)>::zeros().device();
    /// ```
    pub fn device(&self) -> Backend::Device {
        Backend::device(&self.data)
    }
}

/// The elements in place, on the native backend.
impl<Sh: Shape, E: Element> Tensor<Sh, E> {
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
}

impl<Sh: Shape, E: Element, Backend: crate::Backend> Bind for Tensor<Sh, E, Backend> {
    #[inline(always)]
    fn bind_into(&self, b: &mut Bindings, from: &'static str) {
        b.bind_shape::<Sh>(from, self.sizes());
    }
}

impl<Sh: Shape, E: Element, Backend: crate::Backend> Clone for Tensor<Sh, E, Backend> {
    fn clone(&self) -> Self {
        Self::with_extents(self.data.clone(), self.extents)
    }
}

impl<Sh: Shape, E: Element, Backend: crate::Backend> PartialEq for Tensor<Sh, E, Backend> {
    fn eq(&self, other: &Self) -> bool {
        self.sizes() == other.sizes() && Backend::equal(&self.data, &other.data)
    }
}

impl<Sh: StaticShape, E: Element, Backend: crate::Backend> Default for Tensor<Sh, E, Backend> {
    fn default() -> Self {
        Self::zeros()
    }
}

impl<Sh: Shape, E: Element, Backend: crate::Backend> fmt::Debug for Tensor<Sh, E, Backend> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tensor")
            .field("shape", &self.describe())
            .field("data", &self.data)
            .finish()
    }
}
