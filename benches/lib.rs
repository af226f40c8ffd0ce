//! InfraLens benchmarks; this library is empty. Run them with
//! `cargo bench -p infralens-benches --bench attention` (the typed attention block against
//! the same code over `usize` sizes, and its GFLOP/s) and
//! `cargo bench -p infralens-benches --bench lint` (lint throughput in lines per second).
