//! Element-wise `add`, `sub`, `mul` with broadcasting by trailing named dims:
//! `(B, S, D) + (D,)` (a bias), `(B, S, D) + (S, D)` (position embeddings),
//! `(B, S, D) + (B, S, D)` (a residual).

use crate::backend::BinaryOp;
use crate::sizes::agree_axes;
use crate::{Dim, Element, Shape, Tensor};

relation! {
/// `Small`'s dims are the trailing dims of `Self`, so `Small` broadcasts over `Self`:
/// `(D,)` and `(S, D)` over `(B, S, D)`. Implemented for every pair of ranks.
///
/// ```
/// use infralens::prelude::*;
/// use infralens::relations::Broadcasts;
/// dims! { pub B = 2; pub S = 4; pub D = 8; }
/// fn fits<Big: Broadcasts<Small>, Small>() {}
/// fits::<(B, S, D), (D,)>();
/// fits::<(B, S, D), (S, D)>();
/// fits::<(B, S, D), (B, S, D)>();
/// ```
#[rule(
    BROADCAST,
    id = "broadcast",
    lab = "01",
    summary = "An element-wise op's smaller operand is the trailing dims of the larger one.",
    wrong = "dims! { pub S = 4; pub D = 16; pub F = 64; }\n#[shapes(x: [S, D], w: [D, F], b: [D] -> [S, F])]\nfn up(x: &Tensor, w: &Tensor, b: &Tensor) -> Tensor {\n    x.matmul(w).add(b)\n}",
    right = "dims! { pub S = 4; pub D = 16; pub F = 64; }\n#[shapes(x: [S, D], w: [D, F], b: [F] -> [S, F])]\nfn up(x: &Tensor, w: &Tensor, b: &Tensor) -> Tensor {\n    x.matmul(w).add(b)\n}",
)]
#[diagnostic::on_unimplemented(
    message = "shape mismatch: `{Small}` does not broadcast over `{Self}`: its dims must be the trailing dims of `{Self}`",
    label = "`{Small}` is not the end of `{Self}`",
    note = "element-wise ops line the smaller shape up with the end of the larger one, by name: `(B, S, D)` takes `(D,)` (a bias), `(S, D)` (position embeddings) or `(B, S, D)` (a residual)"
)]
pub trait Broadcasts<Small> {}
}

macro_rules! broadcasts {
    ($( [$($lead:ident),*] [$($tail:ident),+] ; )+) => {$(
        #[diagnostic::do_not_recommend]
        impl<$($lead: Dim,)* $($tail: Dim),+> Broadcasts<($($tail,)+)> for ($($lead,)* $($tail,)+) {}
    )+};
}

broadcasts! {
    [] [A0];
    [] [A0, A1];
    [A0] [A1];
    [] [A0, A1, A2];
    [A0] [A1, A2];
    [A0, A1] [A2];
    [] [A0, A1, A2, A3];
    [A0] [A1, A2, A3];
    [A0, A1] [A2, A3];
    [A0, A1, A2] [A3];
    [] [A0, A1, A2, A3, A4];
    [A0] [A1, A2, A3, A4];
    [A0, A1] [A2, A3, A4];
    [A0, A1, A2] [A3, A4];
    [A0, A1, A2, A3] [A4];
    [] [A0, A1, A2, A3, A4, A5];
    [A0] [A1, A2, A3, A4, A5];
    [A0, A1] [A2, A3, A4, A5];
    [A0, A1, A2] [A3, A4, A5];
    [A0, A1, A2, A3] [A4, A5];
    [A0, A1, A2, A3, A4] [A5];
}

impl<Sh: Shape, E: Element, Backend: crate::Backend> Tensor<Sh, E, Backend> {
    /// `self + other`, `other` repeated over the leading dims of `self`.
    #[track_caller]
    fn zip_broadcast<Sm: Shape>(&self, other: &Tensor<Sm, E, Backend>, op: BinaryOp) -> Self
    where
        Sh: Broadcasts<Sm>,
    {
        let (big, small) = (self.sizes(), other.sizes());
        let lead = Sh::RANK - Sm::RANK;
        let name = match op {
            BinaryOp::Add => "add",
            BinaryOp::Sub => "sub",
            BinaryOp::Mul => "mul",
        };
        agree_axes::<Sh>(
            name,
            lead..Sh::RANK,
            (big, "the left operand"),
            (&pad(big, small, lead), "the right operand"),
        );
        self.with_data(Backend::broadcast(op, self.storage(), other.storage()))
    }

    /// `self + other`, element by element; `other`'s dims are the trailing dims of `self`
    /// and it is repeated over the rest: a bias `(D,)`, position embeddings `(S, D)`, a
    /// residual `(B, S, D)`. Also `&a + &b`.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub S = 2; pub D = 3; }
    /// let x = Tensor::<(S, D)>::from_fn(|i| (10 * i[0] + i[1]) as f32);
    /// let bias = Tensor::<(D,)>::from_vec(vec![100.0, 200.0, 300.0])?;
    /// assert_eq!(x.add(&bias).to_vec(), vec![100.0, 201.0, 302.0, 110.0, 211.0, 312.0]);
    /// assert_eq!((&x + &bias), x.add(&bias));
    /// # Ok::<(), ShapeError>(())
    /// ```
    ///
    /// A shape that is not the end of `self` does not compile:
    ///
    /// ```compile_fail
    /// use infralens::prelude::*;
    /// dims! { pub S = 2; pub D = 3; }
    /// let _ = Tensor::<(S, D)>::zeros().add(&Tensor::<(S,)>::zeros()); // `(S,)` does not broadcast over `(S, D)`
    /// ```
    #[track_caller]
    pub fn add<Sm: Shape>(&self, other: &Tensor<Sm, E, Backend>) -> Self
    where
        Sh: Broadcasts<Sm>,
    {
        self.zip_broadcast(other, BinaryOp::Add)
    }

    /// `self - other`, broadcast as [`Tensor::add`]. Also `&a - &b`.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub D = 2; }
    /// let x = Tensor::<(D,)>::ones();
    /// assert_eq!(x.sub(&x).to_vec(), vec![0.0, 0.0]);
    /// ```
    #[track_caller]
    pub fn sub<Sm: Shape>(&self, other: &Tensor<Sm, E, Backend>) -> Self
    where
        Sh: Broadcasts<Sm>,
    {
        self.zip_broadcast(other, BinaryOp::Sub)
    }

    /// `self * other`, element by element, broadcast as [`Tensor::add`] (a gate, a
    /// per-channel scale). Also `&a * &b`.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub S = 2; pub D = 2; }
    /// let x = Tensor::<(S, D)>::from_vec(vec![1.0, 2.0, 3.0, 4.0])?;
    /// let w = Tensor::<(D,)>::from_vec(vec![10.0, 0.5])?;
    /// assert_eq!(x.mul(&w).to_vec(), vec![10.0, 1.0, 30.0, 2.0]);
    /// # Ok::<(), ShapeError>(())
    /// ```
    #[track_caller]
    pub fn mul<Sm: Shape>(&self, other: &Tensor<Sm, E, Backend>) -> Self
    where
        Sh: Broadcasts<Sm>,
    {
        self.zip_broadcast(other, BinaryOp::Mul)
    }
}

/// `small`'s sizes placed at the end of `big`'s (the leading ones copied from `big`, so
/// that only the trailing axes are compared).
fn pad(big: &[usize], small: &[usize], lead: usize) -> Vec<usize> {
    let mut out = big.to_vec();
    out[lead..].copy_from_slice(small);
    out
}

macro_rules! operator {
    ($trait:ident, $method:ident, $op:ident) => {
        impl<Sh: Shape + Broadcasts<Sm>, Sm: Shape, E: Element, Backend: crate::Backend>
            core::ops::$trait<&Tensor<Sm, E, Backend>> for &Tensor<Sh, E, Backend>
        {
            type Output = Tensor<Sh, E, Backend>;
            #[track_caller]
            fn $method(self, rhs: &Tensor<Sm, E, Backend>) -> Tensor<Sh, E, Backend> {
                self.$op(rhs)
            }
        }
    };
}
operator!(Add, add, add);
operator!(Sub, sub, sub);
operator!(Mul, mul, mul);
