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

/// Regression (reliability issue): two dims of 2^32 made a tensor whose element count
/// wrapped to 0 in a release build (it claimed 2^64 elements and held none), panicked
/// inside InfraLens with "attempt to multiply with overflow" in a debug build, and
/// stopped `cargo build` with a const-evaluation overflow inside InfraLens for `from_vec`.
/// Every constructor now counts with checked arithmetic and names the shape.
mod element_counts_that_cannot_exist {
    use infralens::prelude::*;

    dims! { pub Big = 4294967296; pub Wide = 4294967296; pub Half = 2147483648; pub R = dyn; pub C = dyn; }

    const TOO_MANY: &str = "shape [Big=4294967296, Wide=4294967296] would hold 18446744073709551616 elements of 4 bytes: no tensor can be that large";

    #[test]
    fn from_vec_is_an_error_naming_the_shape() {
        let err = Tensor::<(Big, Wide)>::from_vec(vec![]).expect_err("2^64 elements");
        assert!(err.to_string().starts_with(TOO_MANY), "{err}");
        // Fits a usize, not memory: 2^62 f32 values are 2^64 bytes.
        let err = Tensor::<(Half, Half)>::from_vec(vec![]).expect_err("2^64 bytes");
        assert!(
            err.to_string()
                .starts_with("shape [Half=2147483648, Half=2147483648] would hold 4611686018427387904 elements of 4 bytes"),
            "{err}"
        );
        let err = Tensor::<(R, C)>::from_vec_in(vec![], &sizes![R = usize::MAX, C = 3])
            .expect_err("overflows usize");
        assert!(
            err.to_string()
                .contains("would hold 55340232221128654845 elements"),
            "{err}"
        );
    }

    #[test]
    #[should_panic(
        expected = "shape [Big=4294967296, Wide=4294967296] would hold 18446744073709551616 elements"
    )]
    fn zeros_panics_naming_the_shape() {
        let _ = Tensor::<(Big, Wide)>::zeros();
    }

    #[test]
    #[should_panic(expected = "shape [R=4294967296, C=4294967296] would hold")]
    fn zeros_in_panics_naming_the_shape() {
        let _ = Tensor::<(R, C)>::zeros_in(&sizes![R = 1 << 32, C = 1 << 32]);
    }

    #[test]
    #[should_panic(expected = "would hold 79228162514264337593543950336 elements")]
    fn randn_in_counts_past_u64() {
        let _ = Tensor::<(R, C), f64>::randn_in(0, &sizes![R = 1 << 48, C = 1 << 48]);
    }
}
