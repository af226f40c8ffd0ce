//! Peak memory of attention at S = 2048, D = 1024, H = 16 (f32): the inputs and output,
//! plus one `S × S` score matrix per thread, and nothing that grows with `H`.
//!
//! ```sh
//! cargo build --release --example attention_memory
//! INFRALENS_THREADS=1 /usr/bin/time -v target/release/examples/attention_memory
//! INFRALENS_THREADS=2 /usr/bin/time -v target/release/examples/attention_memory
//! ```
//! and compare "Maximum resident set size" with the budget this program prints.

use infralens::prelude::*;

dims! {
    pub B = 1;
    pub S = 2048;
    pub D = 1024;
    pub H = 16;
    pub Dh = D / H;
}

fn main() {
    let q = Tensor::<(B, H, S, Dh)>::randn(1);
    let k = Tensor::<(B, H, S, Dh)>::randn(2);
    let v = Tensor::<(B, H, S, Dh)>::randn(3);
    let out = scaled_dot_product_attention(&q, &k, &v, Mask::Causal);

    let threads = infralens::threads::num_threads().min(B::SIZE * H::SIZE);
    let mib = |bytes: usize| bytes as f64 / (1 << 20) as f64;
    let tensors = q.bytes() + k.bytes() + v.bytes() + out.bytes();
    let scores = S::SIZE * S::SIZE * 4;
    println!(
        "attention {} on {threads} thread(s): Q, K, V and output {:.0} MiB + {threads} × one S×S score matrix {:.0} MiB = {:.0} MiB budget (a full (B, H, S, S) score tensor would be {:.0} MiB)",
        out.describe(),
        mib(tensors),
        mib(scores),
        mib(tensors + threads * scores),
        mib(B::SIZE * H::SIZE * scores)
    );
    println!(
        "checksum: {:.6}",
        out.as_slice().iter().map(|&x| f64::from(x)).sum::<f64>()
    );
}
