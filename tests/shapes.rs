//! `#[shapes]` on the forms it supports, with the numbers it computes.

use infralens::prelude::*;

dims! { pub B = 2; pub S = 4; pub D = 16; pub H = 4; pub Dh = D / H; }

#[shapes(x: [B, S, D], wq: [D, D] -> [B, H, S, Dh])]
fn project_q(x: &Tensor, wq: &Tensor) -> Tensor {
    #[shape(B, S, D)]
    let q = x.matmul(wq);
    q.split_heads::<H, Dh>()
}

struct Layer {
    wq: Tensor<(D, D)>,
}

impl Layer {
    #[shapes(x: [B, S, D] -> [B, S, D])]
    fn project(&self, x: &Tensor) -> Tensor {
        x.matmul(&self.wq)
    }
}

#[shapes(x: [Bt, St, Dm] -> [Bt, Hn, St, Dhn], where Dm = Hn * Dhn)]
fn generic_split<Bt: Dim, St: Dim, Dm: Dim, Hn: Dim, Dhn: Dim>(x: &Tensor) -> Tensor {
    x.split_heads::<Hn, Dhn>()
}

#[shapes(x: [B, S, D] -> [B, S, D])]
fn checked(x: &Tensor<_, f64>) -> Result<Tensor<_, f64>, ShapeError> {
    Tensor::from_vec(x.to_vec())
}

#[test]
fn annotated_functions_compute_what_the_typed_code_computes() {
    let x = Tensor::<(B, S, D)>::randn(0);
    let wq = Tensor::<(D, D)>::randn(1);
    assert_eq!(project_q(&x, &wq), x.matmul(&wq).split_heads::<H, Dh>());
    let layer = Layer { wq: wq.clone() };
    assert_eq!(layer.project(&x), x.matmul(&wq));
    let split: Tensor<(B, H, S, Dh)> = generic_split(&x);
    assert_eq!(split, x.split_heads::<H, Dh>());
    let x64 = Tensor::<(B, S, D), f64>::randn(2);
    assert_eq!(checked(&x64), Ok(x64.clone()));
}

trait Project {
    fn project(&self, x: &Tensor<(B, S, D)>) -> Tensor<(B, S, D)>;
}

impl Project for Layer {
    #[shapes(x: [B, S, D] -> [B, S, D])]
    fn project(&self, x: &Tensor) -> Tensor {
        #[shape(B, S, D)]
        let y = x.matmul(&self.wq);
        y
    }
}

#[shapes(x: [B, S, D] -> [B, S, D])]
fn maybe_first(x: &mut Tensor) -> Option<Tensor> {
    x.as_mut_slice()[0] = 1.0;
    Some(x.clone())
}

#[test]
fn trait_impl_methods_and_option_returns() {
    let layer = Layer {
        wq: Tensor::randn(3),
    };
    let x = Tensor::<(B, S, D)>::randn(4);
    assert_eq!(Project::project(&layer, &x), x.matmul(&layer.wq));
    let mut x = x;
    assert_eq!(
        maybe_first(&mut x).and_then(|t| t.get(&[0, 0, 0])),
        Some(1.0)
    );
}

/// Forms that used to trip `#[shapes]` (issue: reliability): a raw identifier, a `let`
/// compiled out by `cfg` with its `#[shape]`, lets inside closures and nested blocks, a
/// negation that looks like a macro call (`if !(…)`).
#[shapes(x: [B, S, D] -> [B, S, D])]
fn unusual_lets(x: &Tensor) -> Tensor {
    #[shape(B, S, D)]
    let r#type = x.scale(2.0);
    #[cfg(any())]
    #[shape(B, S, D)]
    let y = x.scale(0.0);
    let twice = |t: &Tensor<(B, S, D)>| {
        #[shape(B, S, D)]
        let inner = t.scale(2.0);
        inner
    };
    let out = {
        #[shape(B, S, D)]
        let nested = twice(&r#type);
        nested
    };
    if !(out.numel() > 0 && out.get(&[0, 0, 0]).is_some()) {
        unreachable!("a shape's element count is its sizes' product");
    }
    out
}

#[test]
fn raw_names_cfg_closures_and_nested_blocks() {
    let x = Tensor::<(B, S, D)>::randn(5);
    assert_eq!(unusual_lets(&x), x.scale(4.0));
}

/// Regression (reliability issue): `#[shape(S, B)] let y = x.t();` passed `infralens lint`
/// but failed to compile with "mismatched types", because a `.t()` is a view, not a
/// `Tensor`. `#[shape]` now checks views (and references) by their shape.
#[shapes(x: [B, S, D] -> [B, D, S])]
fn annotated_views(x: &Tensor) -> Tensor {
    #[shape(B, D, S)]
    let y = x.t();
    #[shape(B, S, D)]
    let back = y.t();
    assert!(
        std::ptr::eq(back, x),
        "transposing back is the tensor itself"
    );
    y.to_tensor()
}

#[test]
fn shape_annotations_on_transposed_views() {
    let x = Tensor::<(B, S, D)>::randn(6);
    let y = annotated_views(&x);
    for (b, s, d) in [(0, 0, 0), (1, 3, 15), (0, 2, 7)] {
        assert_eq!(y.get(&[b, d, s]), x.get(&[b, s, d]));
    }
}

/// `#[shapes]` on a trait's method without a body fills in its signature, as on a function:
/// every implementation then has that shape (issue 27: it gave a cascade of errors).
trait Forward {
    #[shapes(x: [B, S, D] -> [B, S, D])]
    fn forward(&self, x: &Tensor) -> Tensor;
}

struct Doubling;

impl Forward for Doubling {
    #[shapes(x: [B, S, D] -> [B, S, D])]
    fn forward(&self, x: &Tensor) -> Tensor {
        x.scale(2.0)
    }
}

#[test]
fn a_trait_method_is_annotated_like_a_function() {
    let x = Tensor::<(B, S, D)>::randn(7);
    let y: Tensor<(B, S, D)> = Doubling.forward(&x);
    assert_eq!(y.get(&[1, 2, 3]), x.get(&[1, 2, 3]).map(|v| 2.0 * v));
}
