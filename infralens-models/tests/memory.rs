//! Loading holds the weights, not the file beside them (issue 28): the heap's peak while a
//! checkpoint loads is the weights as they are kept (f32) plus one tensor being read, where
//! reading the whole file first made it about twice the weights. Counted by the allocator,
//! so the figure does not depend on the machine. (On a generated 1.24-billion-parameter
//! Llama-3.2-shaped bf16 checkpoint the process's peak RSS was 1.02 times the f32 weights;
//! the closing note of issue 28 has the command.)

use infralens_models::Decoder;
use peak_alloc::PeakAlloc;
use std::path::PathBuf;

#[global_allocator]
static ALLOCATOR: PeakAlloc = PeakAlloc;

#[test]
fn loading_holds_the_weights_once() {
    for name in ["llama", "llama-sharded", "llama3"] {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name);
        let before = ALLOCATOR.current_usage();
        ALLOCATOR.reset_peak_usage();
        let model = Decoder::load(&dir).expect("loads");
        let peak = ALLOCATOR.peak_usage().saturating_sub(before);
        let weights = 4 * model.parameters();
        // The largest tensor, the embedding table, is read whole before it is widened; the
        // rest is names, headers and the model's small vectors.
        let c = model.config();
        let largest = 4 * c.vocab_size * c.hidden_size;
        let bound = weights + largest + (32 << 10);
        eprintln!(
            "{name}: heap peak {peak} bytes while loading, weights {weights} bytes ({:.3}×), bound {bound}",
            peak as f64 / weights as f64
        );
        assert!(
            peak <= bound,
            "{name}: loading peaked at {peak} bytes, past {bound}"
        );
        drop(model);
    }
}
