//! Element types: `f32` and `f64`.

use core::fmt::{Debug, Display};
use core::ops::{Add, AddAssign, Div, Mul, Sub};

mod sealed {
    /// Seals [`Element`](super::Element) and gives the kernels `ndarray`'s GEMM.
    pub trait Sealed: ndarray::LinalgScalar {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

/// A tensor element: `f32` (the default) or `f64`.
///
/// Sealed: the kernels are written for exactly these two types.
///
/// ```
/// use infralens::prelude::*;
///
/// assert_eq!(<f32 as Element>::from_f64(0.5), 0.5f32);
/// assert_eq!(<f64 as Element>::BYTES, 8);
/// ```
pub trait Element:
    sealed::Sealed
    + Copy
    + Default
    + Debug
    + Display
    + PartialOrd
    + Send
    + Sync
    + 'static
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + AddAssign
{
    /// `0`.
    const ZERO: Self;
    /// `1`.
    const ONE: Self;
    /// Negative infinity: a masked attention score.
    const NEG_INFINITY: Self;
    /// Size in bytes.
    const BYTES: usize;
    /// Converts from `f64` (rounding for `f32`).
    fn from_f64(x: f64) -> Self;
    /// Converts to `f64` (exact).
    fn to_f64(self) -> f64;
    /// Converts from `f32` (exact).
    #[doc(hidden)]
    fn from_f32(x: f32) -> Self;
    /// `e^self`.
    fn exp(self) -> Self;
    /// The larger of two values.
    fn max(self, other: Self) -> Self;
    /// `row ← exp(scale · row − max)` in place, returning the sum (vectorised for `f32`).
    #[doc(hidden)]
    fn exp_scaled(row: &mut [Self], scale: Self) -> Self;
    /// These elements as `f32`s, when they are (the kernels' vector paths).
    #[doc(hidden)]
    fn as_f32s(s: &[Self]) -> Option<&[f32]>;
    /// These elements as `f32`s, when they are (the kernels' vector paths).
    #[doc(hidden)]
    fn as_f32s_mut(s: &mut [Self]) -> Option<&mut [f32]>;
    /// A candle tensor of these elements (feature `candle`).
    #[cfg(feature = "candle")]
    #[doc(hidden)]
    fn to_candle_tensor(
        data: Vec<Self>,
        sizes: &[usize],
        device: &candle_core::Device,
    ) -> candle_core::Result<candle_core::Tensor>;
    /// The candle dtype of this element (feature `candle`).
    #[cfg(feature = "candle")]
    #[doc(hidden)]
    fn candle_dtype() -> candle_core::DType;
    /// The elements of a candle tensor of this dtype, row-major (feature `candle`).
    #[cfg(feature = "candle")]
    #[doc(hidden)]
    fn from_candle_tensor(tensor: &candle_core::Tensor) -> candle_core::Result<Vec<Self>>;
}

macro_rules! element_impl {
    ($t:ty, $softmax:path, $as_f32s:ident) => {
        impl Element for $t {
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            const NEG_INFINITY: Self = <$t>::NEG_INFINITY;
            const BYTES: usize = core::mem::size_of::<$t>();
            fn from_f64(x: f64) -> Self {
                x as $t
            }
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline]
            fn from_f32(x: f32) -> Self {
                x as $t
            }
            fn exp(self) -> Self {
                <$t>::exp(self)
            }
            fn max(self, other: Self) -> Self {
                <$t>::max(self, other)
            }
            #[cfg(feature = "candle")]
            fn to_candle_tensor(
                data: Vec<Self>,
                sizes: &[usize],
                device: &candle_core::Device,
            ) -> candle_core::Result<candle_core::Tensor> {
                candle_core::Tensor::from_vec(data, sizes, device)
            }
            #[cfg(feature = "candle")]
            fn candle_dtype() -> candle_core::DType {
                <$t as candle_core::WithDType>::DTYPE
            }
            #[cfg(feature = "candle")]
            fn from_candle_tensor(tensor: &candle_core::Tensor) -> candle_core::Result<Vec<Self>> {
                tensor.flatten_all()?.to_vec1::<$t>()
            }
            fn exp_scaled(row: &mut [Self], scale: Self) -> Self {
                $softmax(row, scale)
            }
            fn as_f32s(s: &[Self]) -> Option<&[f32]> {
                $as_f32s(s)
            }
            fn as_f32s_mut(s: &mut [Self]) -> Option<&mut [f32]> {
                $as_f32s(s)
            }
        }
    };
}
/// `f64`'s answer to [`Element::as_f32s`]: its elements are not `f32`s.
fn not_f32<T, U>(_: T) -> Option<U> {
    None
}
element_impl!(f32, crate::kernels::softmax::exp_scaled_f32, Some);
element_impl!(f64, crate::kernels::softmax::exp_scaled_scalar, not_f32);
