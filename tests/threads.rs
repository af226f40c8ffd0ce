//! The threaded paths (rows of a large matmul split over threads, attention's (batch, head)
//! pairs split over threads) give the numbers of the single-threaded ones, and of plain
//! f64 loops. One test, so that no other test changes the thread count under it.

mod common;

use common::{assert_close, f32_tolerance, to_f64};
use infralens::prelude::*;
use infralens::threads::set_num_threads;

dims! {
    pub B = 2;
    pub S = 160;
    pub D = 128;
    pub H = 4;
    pub Dh = D / H;
    pub F = 512;
}

#[test]
fn threads_give_the_same_numbers() {
    // 2·160 × 128 × 128 ≈ 5.2 M multiply-adds: above the threshold, split by rows.
    let x = Tensor::<(B, S, D)>::randn(1);
    let w = Tensor::<(D, D)>::randn(2);
    // Wider than tall: split by columns.
    let up = Tensor::<(D, F)>::randn(6);
    let q = Tensor::<(B, H, S, Dh)>::randn(3);
    let k = Tensor::<(B, H, S, Dh)>::randn(4);
    let v = Tensor::<(B, H, S, Dh)>::randn(5);

    set_num_threads(1);
    let proj_1 = x.matmul(&w);
    let up_1 = x.matmul(&up);
    let att_1 = scaled_dot_product_attention(&q, &k, &v, Mask::Causal);
    for threads in [2, 3, 7] {
        set_num_threads(threads);
        assert_eq!(x.matmul(&w), proj_1, "{threads} threads");
        assert_eq!(x.matmul(&up), up_1, "{threads} threads");
        assert_eq!(
            scaled_dot_product_attention(&q, &k, &v, Mask::Causal),
            att_1,
            "{threads} threads"
        );
    }

    let want = common::matmul(
        &to_f64(x.as_slice()),
        &to_f64(w.as_slice()),
        1,
        2 * 160,
        128,
        128,
        false,
    );
    assert_close(proj_1.as_slice(), &want, f32_tolerance(128));
    let want = common::matmul(
        &to_f64(x.as_slice()),
        &to_f64(up.as_slice()),
        1,
        2 * 160,
        128,
        512,
        false,
    );
    assert_close(up_1.as_slice(), &want, f32_tolerance(128));
    let sizes = (2, 4, 4, 160, 160, 32, 32);
    let want = common::attention(
        &to_f64(q.as_slice()),
        &to_f64(k.as_slice()),
        &to_f64(v.as_slice()),
        sizes,
        common::RefMask::TopLeft,
    );
    assert_close(att_1.as_slice(), &want, f32_tolerance(160));
}
