//! The kernels: plain functions over slices and `usize` sizes.
//!
//! Nothing here is generic over dims, only over the element type (`f32`, `f64`), so each
//! kernel is compiled twice at most, whatever number of shapes a program uses
//! ("thin typed layer, non-generic kernels" in DESIGN.md).

pub mod attention;
#[cfg(all(feature = "simd", target_arch = "x86_64"))]
pub mod avx2;
pub mod gemm;
pub mod half;
pub mod permute;
#[cfg(feature = "simd")]
pub mod simd;
pub mod softmax;
pub mod stream;
