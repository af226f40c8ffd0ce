//! Named dimensions: zero-sized marker types that carry a size at the type level.

use core::fmt::Debug;
use typenum::Unsigned;

/// A named tensor dimension such as `B` (batch), `S` (sequence), `D` (model width),
/// `H` (heads) or `Dh` (head width).
///
/// A dim is a zero-sized type. Two dims are different types even when their sizes are
/// equal, so a tensor in `(B, S, H, Dh)` order is never accepted where `(B, H, S, Dh)`
/// is required, although with the lab's sizes `S = H = Dh = 4`.
///
/// Declare dims with [`dims!`](../infralens/macro.dims.html), which writes this impl for you:
///
/// ```
/// use infralens::prelude::*;
///
/// dims! {
///     /// Model width.
///     pub D = 16;
///     pub H = 4;
///     pub Dh = D / H;
/// }
///
/// assert_eq!(D::SIZE, 16);
/// assert_eq!(Dh::SIZE, 4);
/// assert_eq!(Dh::NAME, "Dh");
/// ```
pub trait Dim: Copy + Debug + Send + Sync + 'static {
    /// The size as a `typenum` number, so that relations such as `H × Dh = D`
    /// are checked by the compiler.
    type Size: Unsigned;
    /// The declared name, as a learner writes it: `"Dh"`.
    const NAME: &'static str;
    /// The size as a plain number (equal to `Self::Size::USIZE`).
    const SIZE: usize;
}
