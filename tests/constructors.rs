//! Construction, description and the dims of real model sizes.

use infralens::prelude::*;
use typenum::Unsigned;

dims! {
    /// Llama-3-8B model width.
    pub D = 4096;
    pub H = 32;
    pub Hkv = 8;
    pub Dh = D / H;
    /// Llama 3 vocabulary (not in typenum's `U<N>` table).
    pub Vocab = 128_256;
    pub Group = H / Hkv;
    pub S = 4;
    pub B = 2;
}

#[test]
fn typenum_sizes_equal_declared_sizes() {
    assert_eq!(<D as Dim>::Size::USIZE, 4096);
    assert_eq!(<Dh as Dim>::Size::USIZE, 128);
    assert_eq!(<Vocab as Dim>::Size::USIZE, 128_256);
    assert_eq!((Vocab::SIZE, Group::SIZE, Hkv::NAME), (128_256, 4, "Hkv"));
}

#[test]
fn real_model_relations_compile_and_run() {
    fn head_split<Dm: infralens::relations::HeadsPartition<H, Dh>>() {}
    head_split::<D>();
    let k = Tensor::<(B, Hkv, S, Dh)>::randn(1);
    let k_all = k.repeat_kv::<H>();
    assert_eq!(k_all.describe(), "[B=2, H=32, S=4, Dh=128]");
}

#[test]
fn from_vec_checks_the_length() {
    let err = Tensor::<(B, S)>::from_vec(vec![1.0; 7]).expect_err("7 values for 8 elements");
    assert_eq!(
        err.to_string(),
        "shape [B=2, S=4] holds 8 elements, but 7 values were given"
    );
    let ok = Tensor::<(B, S)>::from_vec((0..8).map(|i| i as f32).collect()).expect("8 values");
    assert_eq!(ok.get(&[1, 2]), Some(6.0));
}

#[test]
fn randn_is_seeded_and_standard() {
    let a = Tensor::<(S, D)>::randn(5);
    assert_eq!(a, Tensor::<(S, D)>::randn(5));
    assert_ne!(a, Tensor::<(S, D)>::randn(6));
    let n = a.numel() as f64;
    let mean: f64 = a.as_slice().iter().map(|&x| x as f64).sum::<f64>() / n;
    let var: f64 = a
        .as_slice()
        .iter()
        .map(|&x| (x as f64 - mean).powi(2))
        .sum::<f64>()
        / n;
    assert!(
        mean.abs() < 0.05 && (var - 1.0).abs() < 0.05,
        "mean {mean}, variance {var}"
    );
}

#[test]
fn shapes_describe_themselves() {
    let x = Tensor::<(B, H, S, Dh)>::zeros();
    assert_eq!(x.describe(), "[B=2, H=32, S=4, Dh=128]");
    assert_eq!(x.names(), &["B", "H", "S", "Dh"]);
    assert_eq!(x.sizes(), &[2, 32, 4, 128]);
    assert_eq!((x.numel(), x.bytes()), (32_768, 131_072));
    assert_eq!(<(B, H, S, Dh)>::symbolic(), "(B, H, S, Dh)");
    // parameters of Wq are D², whatever the number of heads
    assert_eq!(Tensor::<(D, D)>::zeros().numel(), 4096 * 4096);
}
