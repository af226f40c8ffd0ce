//! A projection's weight kept in `f32`, `bf16` and `f16`, side by side: one row (a decode
//! step: bound by the bytes of the weight read) and 128 rows (a prefill: bound by the
//! products). Llama 3.2 1B's MLP up-projection, `(F, D) = (8192, 2048)`: 64 MiB in `f32`,
//! 32 MiB in half, larger than the caches.
//!
//! `cargo bench -p infralens-benches --bench weights`

use criterion::{BenchmarkId, Criterion, Throughput};
use infralens::layers::Linear;
use infralens::prelude::*;
use infralens::{Half, HalfTensor};
use std::hint::black_box;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

dims! {
    pub S = dyn;
    pub D = 2048;
    pub F = 8192;
}

fn weights(c: &mut Criterion) {
    infralens::threads::set_num_threads(1);
    let w = Tensor::<(F, D)>::randn(0);
    let layers = [
        ("f32", Linear::new(w.clone(), None)),
        (
            "bf16",
            Linear::new_half(HalfTensor::from_tensor(&w, Half::Bf16), None),
        ),
        (
            "f16",
            Linear::new_half(HalfTensor::from_tensor(&w, Half::F16), None),
        ),
    ];
    for rows in [1usize, 128] {
        let mut group = c.benchmark_group(format!("(S, D) · (F, D)ᵀ, S = {rows}, 1 thread"));
        group.sample_size(20);
        let x = Tensor::<(S, D)>::randn_in(1, &sizes![S = rows]);
        for (name, layer) in &layers {
            group.throughput(Throughput::Bytes(layer.weight_bytes() as u64));
            group.bench_with_input(BenchmarkId::from_parameter(name), layer, |b, layer| {
                b.iter(|| black_box(layer.forward(black_box(&x))));
            });
        }
        group.finish();
    }
}

mod group {
    #![allow(missing_docs)]
    criterion::criterion_group!(benches, super::weights);
}
criterion::criterion_main!(group::benches);
