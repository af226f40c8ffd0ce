//! Weights kept in half precision, as checkpoints store them: [`HalfTensor`] holds `bf16`
//! or `f16` values, and the layers that hold one ([`Linear`](crate::layers::Linear),
//! [`Embedding`](crate::layers::Embedding)) read it directly, widening each value to the
//! activations' type as they go. Activations and sums stay `f32`: only the bytes a weight
//! takes in memory, and that a decode step reads, are halved.

use crate::shape::{Extents, describe_sizes};
use crate::{Element, Shape, ShapeError, Sizes, Tensor};
use core::fmt;
use core::marker::PhantomData;

/// A 16-bit floating-point format.
///
/// ```
/// use infralens::Half;
/// assert_eq!(Half::Bf16.to_string(), "bf16");
/// assert_eq!(Half::F16.widen(0x3c00), 1.0);  // f16's one
/// assert_eq!(Half::Bf16.widen(0x3f80), 1.0); // bf16's one
/// assert_eq!(Half::Bf16.narrow(1.0), 0x3f80);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Half {
    /// bfloat16: `f32`'s exponent range, 8 bits of significand (Llama, Qwen, Mistral
    /// checkpoints).
    Bf16,
    /// IEEE 754 binary16: 11 bits of significand, up to 65504.
    F16,
}

impl Half {
    /// The value of `bits` in this format, as `f32` (exact).
    ///
    /// ```
    /// use infralens::Half;
    /// assert_eq!(Half::F16.widen(0xc000), -2.0);
    /// assert!(Half::Bf16.widen(0x7fc0).is_nan());
    /// ```
    #[inline]
    pub fn widen(self, bits: u16) -> f32 {
        match self {
            Half::Bf16 => crate::kernels::half::bf16(bits),
            Half::F16 => crate::kernels::half::f16(bits),
        }
    }

    /// `x` rounded to the nearest value of this format (ties to even), as its bits.
    ///
    /// ```
    /// use infralens::Half;
    /// assert_eq!(Half::Bf16.widen(Half::Bf16.narrow(1.00390625)), 1.0); // 1 + 2⁻⁸: a tie, to even
    /// assert_eq!(Half::F16.widen(Half::F16.narrow(70000.0)), f32::INFINITY); // past 65504
    /// ```
    #[inline]
    pub fn narrow(self, x: f32) -> u16 {
        match self {
            Half::Bf16 => half::bf16::from_f32(x).to_bits(),
            Half::F16 => half::f16::from_f32(x).to_bits(),
        }
    }

    /// `out[i] ← bits[i]` widened: the whole slice at once (`f16` with the CPU's conversion
    /// instructions where it has them).
    ///
    /// ```
    /// use infralens::Half;
    /// let mut out = [0.0f32; 2];
    /// Half::F16.widen_into(&[0x3c00, 0x4000], &mut out);
    /// assert_eq!(out, [1.0, 2.0]);
    /// ```
    ///
    /// # Panics
    ///
    /// When the slices' lengths differ.
    pub fn widen_into<E: Element>(self, bits: &[u16], out: &mut [E]) {
        assert_eq!(
            bits.len(),
            out.len(),
            "Half::widen_into: {} values into {} places",
            bits.len(),
            out.len()
        );
        match self {
            Half::Bf16 => {
                for (o, &b) in out.iter_mut().zip(bits) {
                    *o = E::from_f32(crate::kernels::half::bf16(b));
                }
            }
            Half::F16 => crate::kernels::half::widen_f16(bits, out),
        }
    }
}

impl fmt::Display for Half {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Half::Bf16 => "bf16",
            Half::F16 => "f16",
        })
    }
}

/// A weight of shape `Sh` kept in half precision: two bytes an element, as a `bf16` or
/// `f16` checkpoint stores it. Shapes are checked as [`Tensor`]'s are; the values are read
/// by the layers built on it ([`Linear::new_half`](crate::layers::Linear::new_half),
/// [`Embedding::new_half`](crate::layers::Embedding::new_half)), widened as they are used.
///
/// ```
/// use infralens::prelude::*;
/// use infralens::{Half, HalfTensor};
/// dims! { pub D = 4; pub F = 8; }
/// let w = Tensor::<(F, D)>::randn(0);
/// let half = HalfTensor::from_tensor(&w, Half::Bf16);
/// assert_eq!(half.describe(), "[F=8, D=4]");
/// assert_eq!(half.bytes(), 2 * 8 * 4);
/// // bf16 keeps 8 significant bits: each value within 2⁻⁸ of the original, relatively.
/// for (a, b) in half.to_tensor::<f32>().as_slice().iter().zip(w.as_slice()) {
///     assert!((a - b).abs() <= b.abs() / 256.0);
/// }
/// ```
#[derive(Clone)]
pub struct HalfTensor<Sh: Shape> {
    bits: Vec<u16>,
    half: Half,
    extents: Extents,
    shape: PhantomData<Sh>,
}

impl<Sh: Shape> HalfTensor<Sh> {
    /// A tensor from its values' bits in `half`'s format (as a checkpoint stores them,
    /// little-endian words read as `u16`), row-major; run-time dims take their sizes from
    /// `sizes`. The count of values must be the shape's.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// use infralens::{Half, HalfTensor};
    /// dims! { pub S = dyn; pub D = 2; }
    /// let x = HalfTensor::<(S, D)>::from_bits_in(vec![0x3f80; 6], Half::Bf16, &sizes![S = 3])?;
    /// assert_eq!(x.to_tensor::<f32>().to_vec(), vec![1.0; 6]);
    /// let err = HalfTensor::<(S, D)>::from_bits_in(vec![0; 5], Half::Bf16, &sizes![S = 3]).unwrap_err();
    /// assert_eq!(err.to_string(), "shape [S=3, D=2] holds 6 elements, but 5 values were given");
    /// # Ok::<(), ShapeError>(())
    /// ```
    pub fn from_bits_in(bits: Vec<u16>, half: Half, sizes: &Sizes) -> Result<Self, ShapeError> {
        let extents = crate::tensor::extents_for::<Sh, u16>(sizes, bits.len())?;
        Ok(HalfTensor {
            bits,
            half,
            extents,
            shape: PhantomData,
        })
    }

    /// `x`'s values rounded to `half` (to nearest, ties to even), with `x`'s sizes.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// use infralens::{Half, HalfTensor};
    /// dims! { pub D = 3; }
    /// let x = Tensor::<(D,)>::from_vec(vec![1.0, -0.5, 65504.0])?;
    /// assert_eq!(HalfTensor::from_tensor(&x, Half::F16).to_tensor::<f32>(), x); // all exact in f16
    /// # Ok::<(), ShapeError>(())
    /// ```
    pub fn from_tensor<E: Element>(x: &Tensor<Sh, E>, half: Half) -> Self {
        let bits = x
            .as_slice()
            .iter()
            .map(|&v| half.narrow(v.to_f64() as f32))
            .collect();
        let mut extents = [1; crate::MAX_RANK];
        extents[..Sh::RANK].copy_from_slice(x.sizes());
        HalfTensor {
            bits,
            half,
            extents,
            shape: PhantomData,
        }
    }

    /// The values widened to `E` (exactly: every `bf16` and `f16` value is an `f32`).
    ///
    /// ```
    /// use infralens::prelude::*;
    /// use infralens::{Half, HalfTensor};
    /// dims! { pub D = 2; }
    /// let x = HalfTensor::<(D,)>::from_bits_in(vec![0x3c00, 0xbc00], Half::F16, &sizes![])?;
    /// assert_eq!(x.to_tensor::<f64>().to_vec(), vec![1.0, -1.0]);
    /// # Ok::<(), ShapeError>(())
    /// ```
    pub fn to_tensor<E: Element>(&self) -> Tensor<Sh, E> {
        let mut data = vec![E::ZERO; self.bits.len()];
        self.half.widen_into(&self.bits, &mut data);
        Tensor::from_parts(data, self.sizes())
    }

    /// The format the values are kept in.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// use infralens::{Half, HalfTensor};
    /// dims! { pub D = 2; }
    /// assert_eq!(HalfTensor::from_tensor(&Tensor::<(D,)>::zeros(), Half::F16).half(), Half::F16);
    /// ```
    pub fn half(&self) -> Half {
        self.half
    }

    /// The values' bits, row-major.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// use infralens::{Half, HalfTensor};
    /// dims! { pub D = 2; }
    /// let x = HalfTensor::from_tensor(&Tensor::<(D,)>::ones(), Half::Bf16);
    /// assert_eq!(x.bits(), &[0x3f80, 0x3f80]);
    /// ```
    pub fn bits(&self) -> &[u16] {
        &self.bits
    }

    /// The size of each axis.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// use infralens::{Half, HalfTensor};
    /// dims! { pub S = dyn; pub D = 2; }
    /// let x = HalfTensor::<(S, D)>::from_bits_in(vec![0; 6], Half::F16, &sizes![S = 3])?;
    /// assert_eq!(x.sizes(), &[3, 2]);
    /// # Ok::<(), ShapeError>(())
    /// ```
    pub fn sizes(&self) -> &[usize] {
        &self.extents[..Sh::RANK]
    }

    /// The number of elements (a weight's parameter count).
    ///
    /// ```
    /// use infralens::prelude::*;
    /// use infralens::{Half, HalfTensor};
    /// dims! { pub D = 4; pub F = 8; }
    /// assert_eq!(HalfTensor::from_tensor(&Tensor::<(F, D)>::zeros(), Half::Bf16).numel(), 32);
    /// ```
    pub fn numel(&self) -> usize {
        self.bits.len()
    }

    /// The bytes the values take: two an element.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// use infralens::{Half, HalfTensor};
    /// dims! { pub D = 4; pub F = 8; }
    /// assert_eq!(HalfTensor::from_tensor(&Tensor::<(F, D)>::zeros(), Half::Bf16).bytes(), 64);
    /// ```
    pub fn bytes(&self) -> usize {
        2 * self.bits.len()
    }

    /// The shape with its sizes, as [`Tensor::describe`].
    ///
    /// ```
    /// use infralens::prelude::*;
    /// use infralens::{Half, HalfTensor};
    /// dims! { pub D = 4; pub F = 8; }
    /// assert_eq!(HalfTensor::from_tensor(&Tensor::<(F, D)>::zeros(), Half::F16).describe(), "[F=8, D=4]");
    /// ```
    pub fn describe(&self) -> String {
        describe_sizes(Sh::NAMES, self.sizes())
    }
}

/// Equal when the formats, the sizes and every value's bits are.
impl<Sh: Shape> PartialEq for HalfTensor<Sh> {
    fn eq(&self, other: &Self) -> bool {
        self.half == other.half && self.sizes() == other.sizes() && self.bits == other.bits
    }
}

impl<Sh: Shape> Eq for HalfTensor<Sh> {}

impl<Sh: Shape> fmt::Debug for HalfTensor<Sh> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HalfTensor")
            .field("shape", &self.describe())
            .field("half", &self.half)
            .field("data", &self.to_tensor::<f32>().as_slice())
            .finish()
    }
}

/// A layer's weight as it is kept: full precision, or half.
#[derive(Clone, Debug)]
pub(crate) enum Stored<Sh: Shape, E: Element, Backend: crate::Backend = crate::Native> {
    Full(Tensor<Sh, E, Backend>),
    Half(HalfTensor<Sh>),
}

impl<Sh: Shape, E: Element, Backend: crate::Backend> Stored<Sh, E, Backend> {
    /// The device the values live on (a half weight is on the native backend's).
    pub(crate) fn device(&self) -> Backend::Device {
        match self {
            Stored::Full(t) => t.device(),
            Stored::Half(_) => Backend::default_device(),
        }
    }

    /// The weight on another backend: a full tensor moves; a half one stays half on the
    /// native backend and is widened to `E` on any other (candle's CPU backend has no
    /// half-precision matmul).
    pub(crate) fn to_backend<To: crate::Backend>(
        &self,
        device: &To::Device,
    ) -> Result<Stored<Sh, E, To>, crate::ShapeError> {
        Ok(match self {
            Stored::Full(t) => Stored::Full(t.to_backend::<To>(device)?),
            Stored::Half(h) if To::KEEPS_HALF => Stored::Half(h.clone()),
            Stored::Half(h) => Stored::Full(h.to_tensor().to_backend::<To>(device)?),
        })
    }

    /// The values in `E`: borrowed when kept so, widened otherwise.
    pub(crate) fn tensor(&self) -> std::borrow::Cow<'_, Tensor<Sh, E, Backend>> {
        match self {
            Stored::Full(t) => std::borrow::Cow::Borrowed(t),
            Stored::Half(h) => match h
                .to_tensor()
                .to_backend::<Backend>(&Backend::default_device())
            {
                Ok(t) => std::borrow::Cow::Owned(t),
                Err(e) => panic!("{e}"),
            },
        }
    }

    pub(crate) fn numel(&self) -> usize {
        match self {
            Stored::Full(t) => t.numel(),
            Stored::Half(h) => h.numel(),
        }
    }

    pub(crate) fn bytes(&self) -> usize {
        match self {
            Stored::Full(t) => t.numel() * E::BYTES,
            Stored::Half(h) => h.bytes(),
        }
    }

    pub(crate) fn half(&self) -> Option<&HalfTensor<Sh>> {
        match self {
            Stored::Full(_) => None,
            Stored::Half(h) => Some(h),
        }
    }
}
