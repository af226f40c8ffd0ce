//! The errors a misplaced `#[shape]` gets, shared by the signature pass
//! ([`function`](crate::function)) and the body pass ([`body`](crate::body)), so that
//! neither module reads the other for them.

/// The error for a `#[shape]` on a statement that is not a `let`.
pub(crate) const NOT_ON_LET: &str =
    "`#[shape]` goes on a `let`: write `#[shape(B, S, D)] let x = …;`";

/// The error for a second `#[shape]` on one `let`.
pub(crate) const TWO_SHAPES: &str =
    "this `let` has two `#[shape]`s: keep the one that states its shape";

/// The error for a `#[shape]` on `let name;`, which binds no value to check.
pub(crate) fn no_value(name: &impl std::fmt::Display) -> String {
    format!(
        "`#[shape]` checks the value a `let` binds, and `{name}` gets none here: put the annotation on a `let` with a value, as in `#[shape(B, S, D)] let {name} = …;`"
    )
}

/// The error for a `#[shape]` on a `let` that binds a pattern.
pub(crate) const ON_A_PATTERN: &str =
    "`#[shape]` names one variable's shape: use it on `let name = …;`, not on a pattern";
