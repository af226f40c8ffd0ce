//! Conversions at the boundary with other array libraries: [`ndarray`] both ways, and
//! `candle_core::Tensor` both ways behind the cargo feature `candle`. Going in, the rank and
//! sizes are checked against the typed shape (run-time dims bound from the array), with the
//! same named errors as every constructor.

use crate::error::ShapeError;
use crate::shape::{MAX_RANK, describe_sizes};
use crate::sizes::Sizes;
use crate::{Element, Shape, Tensor};

/// Binds each axis of `Sh` to `dims`: the rank must match, a compile-time dim must have
/// its size, and one run-time dim on two axes one size.
fn bind_dims<Sh: Shape>(dims: &[usize]) -> Result<Sizes, ShapeError> {
    if dims.len() != Sh::RANK {
        return Err(ShapeError::other(
            format!(
                "an array of rank {} cannot be a tensor {}, of rank {}",
                dims.len(),
                Sh::symbolic(),
                Sh::RANK
            ),
            Sh::symbolic(),
            Sh::RANK,
            dims.len(),
        ));
    }
    let mut sizes = Sizes::new();
    for (axis, &n) in dims.iter().enumerate().take(MAX_RANK) {
        let Some(id) = Sh::dim_id(axis) else { continue };
        match Sh::EXTENTS[axis] {
            Some(fixed) if fixed != n => {
                return Err(ShapeError::other(
                    format!(
                        "axis {axis} of the array has {n} elements, but `{}` is {fixed}: the array is {dims:?}, the tensor {}",
                        Sh::NAMES[axis],
                        Sh::symbolic()
                    ),
                    Sh::symbolic(),
                    fixed,
                    n,
                ));
            }
            Some(_) => {}
            None => {
                if let Some(bound) = sizes.get_id(id)
                    && bound != n
                {
                    return Err(ShapeError::other(
                        format!(
                            "`{}` is {bound} on one axis of the array and {n} on axis {axis}: the array is {dims:?}, the tensor {}",
                            Sh::NAMES[axis],
                            Sh::symbolic()
                        ),
                        describe_sizes(Sh::NAMES, dims),
                        bound,
                        n,
                    ));
                }
                sizes = sizes.with_id(id, Sh::NAMES[axis], n);
            }
        }
    }
    Ok(sizes)
}

impl<Sh: Shape, E: Element> Tensor<Sh, E> {
    /// A copy as an [`ndarray::ArrayD`] of the same sizes.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub S = 2; pub D = 3; }
    /// let x = Tensor::<(S, D)>::from_fn(|i| (10 * i[0] + i[1]) as f32);
    /// let a = x.to_ndarray();
    /// assert_eq!(a.shape(), &[2, 3]);
    /// assert_eq!(a[[1, 2]], 12.0);
    /// ```
    pub fn to_ndarray(&self) -> ndarray::ArrayD<E> {
        ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(self.sizes()), self.to_vec())
            .unwrap_or_else(|_| ndarray::ArrayD::from_elem(ndarray::IxDyn(&[0]), E::ZERO))
    }

    /// A tensor from any [`ndarray`] array of the same rank (any memory layout): a
    /// compile-time dim must have its size, and run-time dims take theirs from the array.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub S = dyn; pub D = 3; }
    /// let a = ndarray::Array2::<f32>::zeros((5, 3));
    /// let x = Tensor::<(S, D)>::from_ndarray(&a)?;
    /// assert_eq!(x.describe(), "[S=5, D=3]");
    ///
    /// let wrong = ndarray::Array2::<f32>::zeros((5, 4));
    /// assert_eq!(
    ///     Tensor::<(S, D)>::from_ndarray(&wrong).unwrap_err().to_string(),
    ///     "axis 1 of the array has 4 elements, but `D` is 3: the array is [5, 4], the tensor (S, D)"
    /// );
    /// # Ok::<(), ShapeError>(())
    /// ```
    pub fn from_ndarray<S, D>(array: &ndarray::ArrayBase<S, D>) -> Result<Self, ShapeError>
    where
        S: ndarray::Data<Elem = E>,
        D: ndarray::Dimension,
    {
        let sizes = bind_dims::<Sh>(array.shape())?;
        let data: Vec<E> = array.iter().copied().collect();
        Self::from_vec_in(data, &sizes)
    }
}

#[cfg(feature = "candle")]
mod candle {
    use super::bind_dims;
    use crate::error::ShapeError;
    use crate::{Candle, Element, Shape, Tensor};

    /// A candle error while reading a tensor in, as a [`ShapeError`] naming what failed.
    fn read_error(e: candle_core::Error) -> ShapeError {
        ShapeError::from_message(format!("cannot read the candle tensor: {e}"))
    }

    /// The candle backend's side: a tensor *is* a candle tensor, so both ways are free.
    impl<Sh: Shape, E: Element> Tensor<Sh, E, Candle> {
        /// The `candle_core::Tensor` holding the data, on its device: no copy (candle
        /// tensors share their storage). Feature `candle`.
        ///
        /// ```
        /// use infralens::prelude::*;
        /// use infralens::Candle;
        /// use infralens::candle_core::Device;
        /// dims! { pub S = 2; pub D = 3; }
        /// let x = Tensor::<(S, D), f32, Candle>::ones();
        /// assert_eq!(x.to_candle().dims(), &[2, 3]);
        /// assert_eq!(x.device().same_device(&Device::Cpu), true);
        /// ```
        pub fn to_candle(&self) -> candle_core::Tensor {
            self.storage().clone()
        }

        /// [`Tensor::to_candle`], giving the tensor up. Feature `candle`.
        ///
        /// ```
        /// use infralens::prelude::*;
        /// use infralens::Candle;
        /// dims! { pub S = 2; }
        /// let c = Tensor::<(S,), f64, Candle>::zeros().into_candle();
        /// assert_eq!(c.dtype(), infralens::candle_core::DType::F64);
        /// ```
        pub fn into_candle(self) -> candle_core::Tensor {
            self.into_storage()
        }

        /// A typed view of a `candle_core::Tensor`, on its device, without a copy: the rank
        /// and every compile-time size must match, run-time dims take their sizes from it.
        /// A tensor of another dtype is converted to `E` (a copy). Feature `candle`.
        ///
        /// ```
        /// use infralens::prelude::*;
        /// use infralens::Candle;
        /// use infralens::candle_core::{DType, Device, Tensor as CTensor};
        /// dims! { pub S = dyn; pub D = 3; }
        /// let c = CTensor::zeros((4, 3), DType::F32, &Device::Cpu).expect("zeros");
        /// let x = Tensor::<(S, D), f32, Candle>::from_candle(&c)?;
        /// assert_eq!(x.describe(), "[S=4, D=3]");
        /// let wrong = CTensor::zeros((4, 5), DType::F32, &Device::Cpu).expect("zeros");
        /// assert!(Tensor::<(S, D), f32, Candle>::from_candle(&wrong).is_err());
        /// # Ok::<(), ShapeError>(())
        /// ```
        ///
        /// # Errors
        ///
        /// A rank or size that does not fit the shape, named; a dtype candle cannot convert.
        pub fn from_candle(tensor: &candle_core::Tensor) -> Result<Self, ShapeError> {
            let sizes = bind_dims::<Sh>(tensor.dims())?;
            let extents = sizes.extents_of::<Sh>()?;
            crate::tensor::checked_numel::<Sh, E>(&extents)?;
            let data = if tensor.dtype() == E::candle_dtype() {
                tensor.clone()
            } else {
                tensor.to_dtype(E::candle_dtype()).map_err(read_error)?
            };
            Ok(Tensor::from_parts(data, &extents[..Sh::RANK]))
        }
    }

    impl<Sh: Shape> Tensor<Sh, f32> {
        /// A copy as a `candle_core::Tensor` (CPU, `f32`) of the same sizes. Feature `candle`.
        ///
        /// ```
        /// use infralens::prelude::*;
        /// dims! { pub S = 2; pub D = 3; }
        /// let x = Tensor::<(S, D)>::ones();
        /// let c = x.to_candle().expect("converts");
        /// assert_eq!(c.dims(), &[2, 3]);
        /// ```
        pub fn to_candle(&self) -> candle_core::Result<candle_core::Tensor> {
            candle_core::Tensor::from_vec(self.to_vec(), self.sizes(), &candle_core::Device::Cpu)
        }

        /// A tensor from a `candle_core::Tensor` of the same rank (converted to `f32`,
        /// copied to the CPU): a compile-time dim must have its size, run-time dims take
        /// theirs from it. Feature `candle`.
        ///
        /// ```
        /// use infralens::prelude::*;
        /// dims! { pub S = dyn; pub D = 3; }
        /// use infralens::candle_core::{DType, Device, Tensor as CTensor};
        /// let c = CTensor::zeros((4, 3), DType::F32, &Device::Cpu).expect("zeros");
        /// assert_eq!(Tensor::<(S, D)>::from_candle(&c)?.describe(), "[S=4, D=3]");
        /// # Ok::<(), ShapeError>(())
        /// ```
        pub fn from_candle(tensor: &candle_core::Tensor) -> Result<Self, ShapeError> {
            let sizes = bind_dims::<Sh>(tensor.dims())?;
            let data = tensor
                .to_dtype(candle_core::DType::F32)
                .and_then(|t| t.flatten_all())
                .and_then(|t| t.to_vec1::<f32>())
                .map_err(read_error)?;
            Self::from_vec_in(data, &sizes)
        }
    }
}
