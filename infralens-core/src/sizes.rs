//! Run-time sizes: [`Sizes`] names the size of each run-time dim when a tensor is built,
//! and the checks where two run-time sizes must agree.

use crate::dim::{Dim, DimInfo};
use crate::error::ShapeError;
use crate::shape::{Extents, MAX_RANK, Shape, describe_sizes};
use core::any::TypeId;
use core::fmt;

/// How many dims one [`Sizes`] can name.
///
/// ```
/// assert_eq!(infralens::MAX_BOUND, 16);
/// ```
pub const MAX_BOUND: usize = 16;

#[derive(Clone, Copy, Debug)]
struct Entry {
    id: TypeId,
    name: &'static str,
    size: usize,
    from: &'static str,
}

/// Sizes of named dims, for building tensors with run-time dims: write them with
/// [`sizes!`](crate::sizes), `sizes![B = 2, S = prompt.len()]`.
///
/// A `Sizes` may name more dims than one shape uses, so one value can build every tensor
/// of a step. Naming a compile-time dim is allowed and checked: it must be its size.
/// No allocation: up to [`MAX_BOUND`] dims are held inline.
///
/// ```
/// use infralens::prelude::*;
///
/// dims! { pub B = dyn; pub S = dyn; pub D = 16; }
///
/// let at = sizes![B = 2, S = 7];
/// let x = Tensor::<(B, S, D)>::zeros_in(&at);
/// let mask = Tensor::<(B, S)>::ones_in(&at);
/// assert_eq!(x.describe(), "[B=2, S=7, D=16]");
/// assert_eq!(mask.describe(), "[B=2, S=7]");
/// assert_eq!(at.get::<S>(), Some(7));
/// assert_eq!(at.to_string(), "[B=2, S=7]");
/// ```
#[derive(Clone, Copy, Default)]
pub struct Sizes {
    entries: [Option<Entry>; MAX_BOUND],
    len: usize,
}

/// `sizes![B = 2, S = 7]`: the [`Sizes`] that names a size for each dim.
///
/// ```
/// use infralens::prelude::*;
/// dims! { pub S = dyn; pub D = 4; }
/// let prompt = [3u32, 1, 4];
/// let x = Tensor::<(S, D)>::zeros_in(&sizes![S = prompt.len()]);
/// assert_eq!(x.sizes(), &[3, 4]);
/// ```
#[macro_export]
macro_rules! sizes {
    ($($dim:ty = $size:expr),* $(,)?) => {
        $crate::Sizes::new()$(.with::<$dim>($size))*
    };
}

impl Sizes {
    /// No sizes.
    ///
    /// ```
    /// use infralens::Sizes;
    /// assert!(Sizes::new().is_empty());
    /// ```
    pub const fn new() -> Self {
        Sizes {
            entries: [None; MAX_BOUND],
            len: 0,
        }
    }

    /// These sizes and `D = size`.
    ///
    /// # Panics
    ///
    /// When `D` is already named with another size, or when [`MAX_BOUND`] dims are
    /// already named: both are mistakes in the program, not in its input.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub S = dyn; }
    /// assert_eq!(Sizes::new().with::<S>(5).get::<S>(), Some(5));
    /// ```
    #[track_caller]
    pub fn with<D: Dim>(mut self, size: usize) -> Self {
        if let Err(e) = self.bind(TypeId::of::<D>(), D::NAME, size, "") {
            panic!("{e}");
        }
        self
    }

    /// These sizes and the dim `id` = `size` (an existing equal entry is kept).
    pub(crate) fn with_id(mut self, id: TypeId, name: &'static str, size: usize) -> Self {
        // A tensor's own run-time dims: each dim once, and never more than its rank.
        let _ = self.bind(id, name, size, "");
        self
    }

    /// The size named for `D`, if any.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub S = dyn; pub T = dyn; }
    /// let at = sizes![S = 4];
    /// assert_eq!((at.get::<S>(), at.get::<T>()), (Some(4), None));
    /// ```
    pub fn get<D: Dim>(&self) -> Option<usize> {
        self.lookup(TypeId::of::<D>()).map(|e| e.size)
    }

    /// Whether no size is named.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub S = dyn; }
    /// assert!(!sizes![S = 1].is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The size named for the dim `id`, if any.
    pub(crate) fn get_id(&self, id: TypeId) -> Option<usize> {
        self.lookup(id).map(|e| e.size)
    }

    fn lookup(&self, id: TypeId) -> Option<&Entry> {
        self.entries[..self.len]
            .iter()
            .flatten()
            .find(|e| e.id == id)
    }

    /// Names `size` for the dim `id`; an error when it is named already with another size.
    fn bind(
        &mut self,
        id: TypeId,
        name: &'static str,
        size: usize,
        from: &'static str,
    ) -> Result<(), ShapeError> {
        if let Some(old) = self.lookup(id) {
            if old.size == size {
                return Ok(());
            }
            let message = if from.is_empty() {
                format!("`{name}` is given two sizes, {} and {size}", old.size)
            } else {
                format!(
                    "`{name}` = {} from `{}`, but {size} from `{from}`",
                    old.size, old.from
                )
            };
            return Err(ShapeError::other(message, self.to_string(), old.size, size));
        }
        if self.len == MAX_BOUND {
            return Err(ShapeError::other(
                format!("cannot name `{name}`: at most {MAX_BOUND} dims can be named at once"),
                self.to_string(),
                MAX_BOUND,
                MAX_BOUND + 1,
            ));
        }
        self.entries[self.len] = Some(Entry {
            id,
            name,
            size,
            from,
        });
        self.len += 1;
        Ok(())
    }

    /// The size of each axis of `Sh`: compile-time sizes from the types, run-time ones
    /// from these sizes; an error names a run-time dim without a size, or a compile-time dim
    /// named with another size.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub S = dyn; pub D = 16; }
    /// assert_eq!(sizes![S = 3].sizes_of::<(S, D)>()?, vec![3, 16]);
    /// assert!(sizes![].sizes_of::<(S, D)>().is_err());
    /// # Ok::<(), ShapeError>(())
    /// ```
    pub fn sizes_of<Sh: Shape>(&self) -> Result<Vec<usize>, ShapeError> {
        Ok(self.extents_of::<Sh>()?[..Sh::RANK].to_vec())
    }

    /// The extents of shape `Sh`: compile-time sizes from the type, run-time ones from
    /// these sizes. An error names a run-time dim without a size, or a compile-time dim
    /// named with another size.
    pub(crate) fn extents_of<Sh: Shape>(&self) -> Result<Extents, ShapeError> {
        let mut out = [1; MAX_RANK];
        for (axis, slot) in out.iter_mut().enumerate().take(Sh::RANK) {
            let named = Sh::dim_id(axis).and_then(|id| self.lookup(id));
            let name = Sh::NAMES[axis];
            *slot = match (Sh::EXTENTS[axis], named) {
                (Some(fixed), Some(e)) if e.size != fixed => {
                    return Err(ShapeError::other(
                        format!(
                            "`{name}` is {fixed} by its declaration, but {} was given for it",
                            e.size
                        ),
                        Sh::symbolic(),
                        fixed,
                        e.size,
                    ));
                }
                (Some(fixed), _) => fixed,
                (None, Some(e)) => e.size,
                (None, None) => {
                    return Err(ShapeError::other(
                        format!(
                            "`{name}` of {} is a run-time dim, and no size was given for it: \
                             add `{name} = …` to `sizes![…]`",
                            Sh::symbolic()
                        ),
                        Sh::symbolic(),
                        1,
                        0,
                    ));
                }
            };
        }
        Ok(out)
    }
}

impl fmt::Display for Sizes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (names, sizes): (Vec<&str>, Vec<usize>) = self.entries[..self.len]
            .iter()
            .flatten()
            .map(|e| (e.name, e.size))
            .unzip();
        f.write_str(&describe_sizes(&names, &sizes))
    }
}

impl fmt::Debug for Sizes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sizes{self}")
    }
}

/// The run-time sizes one `#[shapes]` call binds: each run-time dim's size from the first
/// parameter that has it, every later use checked against it, the result checked on return
/// (the per-call semantics of jaxtyping). O(rank) per tensor, no allocation.
///
/// Used by the expansion of `#[shapes]`; not public API.
#[doc(hidden)]
#[derive(Debug)]
pub struct Bindings {
    function: &'static str,
    sizes: Sizes,
}

/// A value whose run-time sizes a `#[shapes]` function binds or checks: a tensor, a
/// reference to one, or an `Option`/`Result` holding one.
#[doc(hidden)]
pub trait Bind {
    /// Binds (or checks) the run-time dims of `self` in `b`, naming `from`.
    fn bind_into(&self, b: &mut Bindings, from: &'static str);
}

impl<T: Bind + ?Sized> Bind for &T {
    #[inline(always)]
    fn bind_into(&self, b: &mut Bindings, from: &'static str) {
        (**self).bind_into(b, from);
    }
}

impl<T: Bind + ?Sized> Bind for &mut T {
    #[inline(always)]
    fn bind_into(&self, b: &mut Bindings, from: &'static str) {
        (**self).bind_into(b, from);
    }
}

impl<T: Bind> Bind for Option<T> {
    #[inline(always)]
    fn bind_into(&self, b: &mut Bindings, from: &'static str) {
        if let Some(t) = self {
            t.bind_into(b, from);
        }
    }
}

impl<T: Bind, Err> Bind for Result<T, Err> {
    #[inline(always)]
    fn bind_into(&self, b: &mut Bindings, from: &'static str) {
        if let Ok(t) = self {
            t.bind_into(b, from);
        }
    }
}

impl Bindings {
    /// No bindings yet, for the function named `function`.
    #[inline(always)]
    pub fn new(function: &'static str) -> Self {
        Bindings {
            function,
            sizes: Sizes::new(),
        }
    }

    /// Binds or checks `value`'s run-time dims (does nothing for compile-time ones).
    #[inline(always)]
    #[track_caller]
    pub fn bind<T: Bind + ?Sized>(&mut self, from: &'static str, value: &T) -> &mut Self {
        value.bind_into(self, from);
        self
    }

    /// Binds or checks the run-time axes of one tensor of shape `Sh` with `sizes`.
    #[inline(always)]
    #[track_caller]
    pub(crate) fn bind_shape<Sh: Shape>(&mut self, from: &'static str, sizes: &[usize]) {
        if Sh::IS_STATIC {
            return;
        }
        for (axis, &size) in sizes.iter().enumerate().take(Sh::RANK) {
            if Sh::EXTENTS[axis].is_none()
                && let Some(id) = Sh::dim_id(axis)
                && let Err(e) = self.sizes.bind(id, Sh::NAMES[axis], size, from)
            {
                self.fail(&e);
            }
        }
    }

    #[cold]
    #[track_caller]
    fn fail(&self, e: &ShapeError) -> ! {
        let mut all = Vec::new();
        for entry in self.sizes.entries[..self.sizes.len].iter().flatten() {
            all.push(format!(
                "`{}` = {} from `{}`",
                entry.name, entry.size, entry.from
            ));
        }
        panic!(
            "shape mismatch in `{}`: {e} (bound so far: {})",
            self.function,
            all.join(", ")
        );
    }
}

/// Panics, naming the dim, when the run-time axes of two tensors of the same shape `Sh`
/// (or of the same leading dims) disagree on `axes`. Compile-time axes are not compared.
#[inline(always)]
#[track_caller]
pub(crate) fn agree_axes<Sh: Shape>(
    op: &str,
    axes: core::ops::Range<usize>,
    a: (&[usize], &str),
    b: (&[usize], &str),
) {
    if Sh::IS_STATIC {
        return;
    }
    for axis in axes {
        if Sh::EXTENTS[axis].is_none() && a.0[axis] != b.0[axis] {
            mismatch(op, Sh::NAMES[axis], (a.0[axis], a.1), (b.0[axis], b.1));
        }
    }
}

/// Panics, naming the dim, when two run-time sizes of the same dim `D` disagree where an
/// op brings two tensors together. Does nothing for a compile-time dim (the types already
/// agree), so all-static code pays nothing.
#[inline(always)]
#[track_caller]
pub(crate) fn agree<D: Dim>(op: &str, a: (usize, &str), b: (usize, &str)) {
    if D::EXTENT.is_none() && a.0 != b.0 {
        mismatch(op, D::NAME, a, b);
    }
}

#[cold]
#[inline(never)]
#[track_caller]
fn mismatch(op: &str, name: &str, a: (usize, &str), b: (usize, &str)) -> ! {
    panic!(
        "shape mismatch in {op}: `{name}` is {} in {} but {} in {}",
        a.0, a.1, b.0, b.1
    )
}
