//! Generation over any decoder: the small trait a model implements ([`CausalLm`]: a cache,
//! and a forward pass over new tokens), and the prefill + decode loop every port would
//! otherwise write again ([`generate`]), greedy or sampled with a seed.

use crate::error::ShapeError;
use crate::ops::embedding::Sampler;

/// A causal language model that decodes through its own KV caches: what [`generate`] and
/// [`check_cached_decode`](crate::testing::check_cached_decode) drive.
///
/// ```
/// use infralens::ShapeError;
/// use infralens::generate::CausalLm;
///
/// /// A "model" whose logits favour the token after the last one it saw.
/// struct Counter;
/// impl CausalLm for Counter {
///     type Cache = Vec<u32>;
///     fn new_cache(&self, capacity: usize) -> Result<Vec<u32>, ShapeError> {
///         Ok(Vec::with_capacity(capacity))
///     }
///     fn forward(&self, tokens: &[u32], seen: &mut Vec<u32>) -> Result<Vec<f32>, ShapeError> {
///         seen.extend_from_slice(tokens);
///         let next = (seen.last().copied().unwrap_or(0) + 1) % 8;
///         Ok((0..8).map(|t| if t == next { 1.0 } else { 0.0 }).collect())
///     }
/// }
/// let out = infralens::generate::generate(&Counter, &[3], 3, &mut infralens::Sampler::greedy(), &[])?;
/// assert_eq!(out.tokens, vec![4, 5, 6]);
/// # Ok::<(), ShapeError>(())
/// ```
pub trait CausalLm {
    /// What the model keeps between steps: usually one [`KvCache`](crate::KvCache) per
    /// layer, with the position tables it needs.
    type Cache;

    /// An empty cache with room for `capacity` positions.
    fn new_cache(&self, capacity: usize) -> Result<Self::Cache, ShapeError>;

    /// Runs the new `tokens`, the positions after those `cache` holds (and appends them to
    /// it): the logits of the last new position, one per vocabulary entry.
    fn forward(&self, tokens: &[u32], cache: &mut Self::Cache) -> Result<Vec<f32>, ShapeError>;
}

/// What [`generate`] gives: the logits each token was chosen from, and the tokens.
#[derive(Clone, Debug, PartialEq)]
pub struct Generation {
    /// The logits of each step: the last prompt position's first, then each generated
    /// token's (as many as `tokens`).
    pub logits: Vec<Vec<f32>>,
    /// The generated tokens, the stop token included when one ended it.
    pub tokens: Vec<u32>,
}

/// Runs `prompt` through `model` in one forward pass, then up to `steps` tokens one at a
/// time through its cache, each chosen by `sampler` (greedy with [`Sampler::greedy`]);
/// stops after a token in `stop`.
///
/// Errors, never panics, on an empty prompt or a forward pass's error.
///
/// ```
/// # use infralens::ShapeError;
/// # use infralens::generate::{CausalLm, generate};
/// # struct Counter;
/// # impl CausalLm for Counter {
/// #     type Cache = Vec<u32>;
/// #     fn new_cache(&self, capacity: usize) -> Result<Vec<u32>, ShapeError> { Ok(Vec::with_capacity(capacity)) }
/// #     fn forward(&self, tokens: &[u32], seen: &mut Vec<u32>) -> Result<Vec<f32>, ShapeError> {
/// #         seen.extend_from_slice(tokens);
/// #         let next = (seen.last().copied().unwrap_or(0) + 1) % 8;
/// #         Ok((0..8).map(|t| if t == next { 1.0 } else { 0.0 }).collect())
/// #     }
/// # }
/// let out = generate(&Counter, &[0], 10, &mut infralens::Sampler::greedy(), &[3])?;
/// assert_eq!(out.tokens, vec![1, 2, 3]); // stopped at 3
/// assert_eq!(out.logits.len(), 3);
/// assert!(generate(&Counter, &[], 1, &mut infralens::Sampler::greedy(), &[]).is_err());
/// # Ok::<(), ShapeError>(())
/// ```
pub fn generate<M: CausalLm + ?Sized>(
    model: &M,
    prompt: &[u32],
    steps: usize,
    sampler: &mut Sampler,
    stop: &[u32],
) -> Result<Generation, ShapeError> {
    generate_with(model, prompt, steps, sampler, stop, |_, _| {})
}

/// [`generate`], calling `on_token(step, token)` as each token is chosen (to stream it).
///
/// ```
/// # use infralens::ShapeError;
/// # use infralens::generate::{CausalLm, generate_with};
/// # struct Counter;
/// # impl CausalLm for Counter {
/// #     type Cache = Vec<u32>;
/// #     fn new_cache(&self, capacity: usize) -> Result<Vec<u32>, ShapeError> { Ok(Vec::with_capacity(capacity)) }
/// #     fn forward(&self, tokens: &[u32], seen: &mut Vec<u32>) -> Result<Vec<f32>, ShapeError> {
/// #         seen.extend_from_slice(tokens);
/// #         let next = (seen.last().copied().unwrap_or(0) + 1) % 8;
/// #         Ok((0..8).map(|t| if t == next { 1.0 } else { 0.0 }).collect())
/// #     }
/// # }
/// let mut seen = Vec::new();
/// generate_with(&Counter, &[5], 2, &mut infralens::Sampler::greedy(), &[], |_, t| seen.push(t))?;
/// assert_eq!(seen, vec![6, 7]);
/// # Ok::<(), ShapeError>(())
/// ```
pub fn generate_with<M: CausalLm + ?Sized>(
    model: &M,
    prompt: &[u32],
    steps: usize,
    sampler: &mut Sampler,
    stop: &[u32],
    mut on_token: impl FnMut(usize, u32),
) -> Result<Generation, ShapeError> {
    if prompt.is_empty() {
        return Err(ShapeError::from_message(
            "the prompt is empty: give at least one token",
        ));
    }
    let mut cache = model.new_cache(prompt.len().saturating_add(steps))?;
    let mut out = Generation {
        logits: Vec::with_capacity(steps),
        tokens: Vec::with_capacity(steps),
    };
    if steps == 0 {
        return Ok(out);
    }
    let mut logits = model.forward(prompt, &mut cache)?;
    for step in 0..steps {
        if logits.is_empty() {
            return Err(ShapeError::from_message(format!(
                "the model's forward pass gave no logits at step {step}: it must give one per vocabulary entry"
            )));
        }
        let token = sampler.sample_slice(&logits);
        out.logits.push(logits);
        out.tokens.push(token);
        on_token(step, token);
        if stop.contains(&token) || step + 1 == steps {
            break;
        }
        logits = model.forward(&[token], &mut cache)?;
    }
    Ok(out)
}
