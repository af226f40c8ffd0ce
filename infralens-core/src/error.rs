//! Errors of run-time construction: the only shape facts the compiler cannot know.

use core::fmt;

/// A tensor could not be built because the data does not fit the shape.
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
    shape: String,
    expected: usize,
    found: usize,
}

impl ShapeError {
    pub(crate) fn new(shape: String, expected: usize, found: usize) -> Self {
        ShapeError {
            shape,
            expected,
            found,
        }
    }

    /// The shape that was asked for, as `[S=4, D=16]`.
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

    /// The number of elements the shape holds.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub S = 4; }
    /// assert_eq!(Tensor::<(S,)>::from_vec(vec![]).unwrap_err().expected(), 4);
    /// ```
    pub fn expected(&self) -> usize {
        self.expected
    }

    /// The number of values that were given.
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
        write!(
            f,
            "shape {} holds {} elements, but {} values were given",
            self.shape, self.expected, self.found
        )
    }
}

impl std::error::Error for ShapeError {}
