//! Errors of run-time shapes: what the compiler cannot know (buffer lengths, the sizes of
//! run-time dims, a cache's room).

use core::fmt;

/// A shape fact that failed at run time: data that does not fit a shape, a run-time dim
/// with no size or two sizes, a static dim given another size, a cache that is full.
///
/// The message names the dims and their sizes; [`ShapeError::expected`] and
/// [`ShapeError::found`] give the two numbers that disagree.
///
/// ```
/// use infralens::prelude::*;
///
/// dims! { pub S = 4; pub D = 16; }
///
/// let err = Tensor::<(S, D)>::from_vec(vec![0.0; 60]).unwrap_err();
/// assert_eq!(err.to_string(), "shape [S=4, D=16] holds 64 elements, but 60 values were given");
/// assert_eq!((err.expected(), err.found()), (64, 60));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShapeError {
    message: String,
    shape: String,
    expected: usize,
    found: usize,
}

impl ShapeError {
    /// `shape` holds `expected` elements but `found` values were given.
    pub(crate) fn numel(shape: String, expected: usize, found: usize) -> Self {
        ShapeError {
            message: format!(
                "shape {shape} holds {expected} elements, but {found} values were given"
            ),
            shape,
            expected,
            found,
        }
    }

    /// Any other disagreement between two numbers, with its message.
    pub(crate) fn other(message: String, shape: String, expected: usize, found: usize) -> Self {
        ShapeError {
            message,
            shape,
            expected,
            found,
        }
    }

    /// An error with its own message, for code built on InfraLens (a model loader, a
    /// generation loop) that reports its shape problems as `ShapeError`s.
    ///
    /// ```
    /// use infralens::ShapeError;
    /// let err = ShapeError::from_message("the prompt is empty");
    /// assert_eq!(err.to_string(), "the prompt is empty");
    /// ```
    pub fn from_message(message: impl Into<String>) -> Self {
        ShapeError {
            message: message.into(),
            shape: String::new(),
            expected: 0,
            found: 0,
        }
    }

    /// The shape that was asked for, as `[S=4, D=16]` (`(S, D)` where a size is unknown).
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub S = 4; }
    /// let err = Tensor::<(S,)>::from_vec(vec![1.0]).unwrap_err();
    /// assert_eq!(err.shape(), "[S=4]");
    /// ```
    pub fn shape(&self) -> &str {
        &self.shape
    }

    /// The number the shape asked for (an element count, a size, a capacity).
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub S = 4; }
    /// assert_eq!(Tensor::<(S,)>::from_vec(vec![]).unwrap_err().expected(), 4);
    /// ```
    pub fn expected(&self) -> usize {
        self.expected
    }

    /// The number that was given.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub S = 4; }
    /// assert_eq!(Tensor::<(S,)>::from_vec(vec![1.0; 5]).unwrap_err().found(), 5);
    /// ```
    pub fn found(&self) -> usize {
        self.found
    }
}

impl fmt::Display for ShapeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ShapeError {}
