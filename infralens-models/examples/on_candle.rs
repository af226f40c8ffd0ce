//! A checkpoint loaded as usual, moved to the candle backend with one call, and run there:
//! the same greedy tokens as on the native backend.
//!
//! `cargo run -p infralens-models --example on_candle --features candle [-- MODEL_DIR]`

use infralens::Candle;
use infralens::candle_core::Device;
use infralens_models::Decoder;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/llama").to_owned());
    let native = Decoder::load(&dir)?;
    // Every weight copied once to candle's CPU device (`Device::new_cuda(0)?` with
    // candle-core's `cuda` feature; not tested on this project's machines).
    let on_candle = native.to_backend::<Candle>(&Device::Cpu)?;
    let prompt = [1, 2, 3, 4, 5];
    let (a, b) = (
        native.generate(&prompt, 8)?,
        on_candle.generate(&prompt, 8)?,
    );
    let worst = a
        .logits
        .iter()
        .zip(&b.logits)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0f32, f32::max);
    println!("native: {:?}", a.tokens);
    println!("candle: {:?}", b.tokens);
    println!("largest difference of the prompt's logits between the backends: {worst:e}");
    Ok(())
}
