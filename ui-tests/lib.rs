//! The pinned compile errors of InfraLens live in `tests/ui/<topic>/`; this library is
//! empty. Run them with `cargo test -p infralens-ui-tests`.
