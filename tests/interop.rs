//! Conversions at the boundary: ndarray both ways (always), candle both ways (feature
//! `candle`: `cargo test --features candle --test interop`).

use infralens::prelude::*;

dims! {
    pub B = 2;
    pub S = dyn;
    pub D = 3;
}

#[test]
fn ndarray_round_trip_binds_run_time_dims() {
    let x = Tensor::<(B, S, D)>::randn_in(1, &sizes![S = 4]);
    let a = x.to_ndarray();
    assert_eq!(a.shape(), &[2, 4, 3]);
    assert_eq!(a[[1, 2, 0]], x.get(&[1, 2, 0]).expect("in bounds"));
    let back = Tensor::<(B, S, D)>::from_ndarray(&a).expect("same shape");
    assert_eq!(back, x);
    // any layout: a transposed view is read in logical order
    let m = infralens::ndarray::Array2::from_shape_fn((3, 5), |(i, j)| (10 * i + j) as f32);
    let t = Tensor::<(S, D)>::from_ndarray(&m.t()).expect("(5, 3)");
    assert_eq!(t.get(&[4, 2]), Some(24.0));
}

#[test]
fn ndarray_mismatches_are_named() {
    let rank2 = infralens::ndarray::Array2::<f32>::zeros((2, 3));
    assert_eq!(
        Tensor::<(B, S, D)>::from_ndarray(&rank2)
            .expect_err("rank")
            .to_string(),
        "an array of rank 2 cannot be a tensor (B, S, D), of rank 3"
    );
    let wrong = infralens::ndarray::Array3::<f32>::zeros((3, 4, 3));
    assert_eq!(
        Tensor::<(B, S, D)>::from_ndarray(&wrong)
            .expect_err("B")
            .to_string(),
        "axis 0 of the array has 3 elements, but `B` is 2: the array is [3, 4, 3], the tensor (B, S, D)"
    );
    let scores = infralens::ndarray::Array2::<f32>::zeros((4, 5));
    assert_eq!(
        Tensor::<(S, S)>::from_ndarray(&scores)
            .expect_err("S twice")
            .to_string(),
        "`S` is 4 on one axis of the array and 5 on axis 1: the array is [4, 5], the tensor (S, S)"
    );
}

#[cfg(feature = "candle")]
#[test]
fn candle_round_trip_binds_run_time_dims() {
    let x = Tensor::<(B, S, D)>::randn_in(2, &sizes![S = 5]);
    let c = x.to_candle().expect("converts");
    assert_eq!(c.dims(), &[2, 5, 3]);
    let back = Tensor::<(B, S, D)>::from_candle(&c).expect("same shape");
    assert_eq!(back, x);
    use infralens::candle_core::{DType, Device, Tensor as CTensor};
    let wrong = CTensor::zeros((2, 5, 4), DType::F32, &Device::Cpu).expect("zeros");
    assert_eq!(
        Tensor::<(B, S, D)>::from_candle(&wrong)
            .expect_err("D")
            .to_string(),
        "axis 2 of the array has 4 elements, but `D` is 3: the array is [2, 5, 4], the tensor (B, S, D)"
    );
}
