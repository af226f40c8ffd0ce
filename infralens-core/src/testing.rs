//! Checks for what no type can see: a model's cached decode against a full recompute, step
//! by step.
//!
//! Decode-time bugs — RoPE from offset 0 while decoding, attention over the new keys
//! instead of the cache's, a top-left causal mask, learned positions read from row 0 —
//! compile, and some even pass a golden test of the prompt's logits. They all break one
//! invariant: the logits of position `p` computed through the cache must be the logits of
//! running the first `p + 1` tokens from scratch. [`check_cached_decode`] checks exactly
//! that, for every step.

use crate::ShapeError;
use crate::generate::CausalLm;
use core::fmt;

/// What [`check_cached_decode`] measured when the cached decode agrees with the recompute.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DecodeCheck {
    /// Positions compared: the last prompt position's and each decoded one's.
    pub positions: usize,
    /// The largest absolute difference of any logit.
    pub max_diff: f64,
}

/// Why [`check_cached_decode`] failed.
#[derive(Debug)]
pub enum DecodeCheckError {
    /// A forward pass returned an error.
    Forward(ShapeError),
    /// The arguments cannot be checked: an empty prompt, or no token after it.
    Arguments(String),
    /// The cached and recomputed logits of one position differ by more than the tolerance.
    Mismatch {
        /// The position (0-based, over prompt and decoded tokens) whose logits differ.
        position: usize,
        /// How many tokens the cache held before this position's forward pass.
        cached: usize,
        /// The vocabulary entry that differs most.
        index: usize,
        /// Its logit through the cache.
        through_cache: f64,
        /// Its logit recomputed from scratch.
        recomputed: f64,
        /// The tolerance it exceeds.
        tolerance: f64,
    },
    /// The two passes gave different numbers of logits.
    Vocabulary {
        /// The position.
        position: usize,
        /// Logits through the cache.
        through_cache: usize,
        /// Logits recomputed.
        recomputed: usize,
    },
}

impl fmt::Display for DecodeCheckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeCheckError::Forward(e) => write!(f, "a forward pass failed: {e}"),
            DecodeCheckError::Arguments(why) => f.write_str(why),
            DecodeCheckError::Mismatch {
                position,
                cached,
                index,
                through_cache,
                recomputed,
                tolerance,
            } => write!(
                f,
                "the cached decode differs from a full recompute at position {position} ({cached} tokens in the cache): logit {index} is {through_cache:.6} through the cache, {recomputed:.6} recomputed (|Δ| = {:.2e} > {tolerance:.0e}); look for positions not taken from the cache (RoPE offset, learned positions), attention reading the new keys instead of the cache's, or a top-left causal mask",
                (through_cache - recomputed).abs()
            ),
            DecodeCheckError::Vocabulary {
                position,
                through_cache,
                recomputed,
            } => write!(
                f,
                "at position {position} the cached decode gave {through_cache} logits, the recompute {recomputed}"
            ),
        }
    }
}

impl std::error::Error for DecodeCheckError {}

impl From<ShapeError> for DecodeCheckError {
    fn from(e: ShapeError) -> Self {
        DecodeCheckError::Forward(e)
    }
}

/// Runs `tokens[..prompt]` through `model` in one pass and the rest one token at a time
/// through its cache, and checks that the logits of every position from the last prompt one
/// on equal (within `tolerance`) those of running `tokens[..=p]` from an empty cache.
///
/// ```
/// use infralens::ShapeError;
/// use infralens::generate::CausalLm;
/// use infralens::testing::check_cached_decode;
///
/// /// Logits from the sum of all tokens seen; `forgets` drops the cache (a decode bug).
/// struct Summer { forgets: bool }
/// impl CausalLm for Summer {
///     type Cache = Vec<u32>;
///     fn new_cache(&self, _: usize) -> Result<Vec<u32>, ShapeError> { Ok(Vec::new()) }
///     fn forward(&self, tokens: &[u32], seen: &mut Vec<u32>) -> Result<Vec<f32>, ShapeError> {
///         if self.forgets { seen.clear(); }
///         seen.extend_from_slice(tokens);
///         let sum: u32 = seen.iter().sum();
///         Ok(vec![sum as f32, 1.0])
///     }
/// }
/// let tokens = [1, 2, 3, 4, 5];
/// let ok = check_cached_decode(&Summer { forgets: false }, &tokens, 2, 1e-6)?;
/// assert_eq!(ok.positions, 4);
/// let err = check_cached_decode(&Summer { forgets: true }, &tokens, 2, 1e-6).unwrap_err();
/// assert!(err.to_string().starts_with("the cached decode differs from a full recompute at position 2 (2 tokens in the cache)"));
/// # Ok::<(), infralens::testing::DecodeCheckError>(())
/// ```
pub fn check_cached_decode<M: CausalLm + ?Sized>(
    model: &M,
    tokens: &[u32],
    prompt: usize,
    tolerance: f64,
) -> Result<DecodeCheck, DecodeCheckError> {
    if prompt == 0 || prompt >= tokens.len() {
        return Err(DecodeCheckError::Arguments(format!(
            "a cached decode needs a prompt of at least one token and a token after it: {prompt} prompt tokens of {}",
            tokens.len()
        )));
    }
    let mut cache = model.new_cache(tokens.len())?;
    let mut through_cache = vec![model.forward(&tokens[..prompt], &mut cache)?];
    for &token in &tokens[prompt..] {
        through_cache.push(model.forward(&[token], &mut cache)?);
    }
    let mut max_diff = 0.0f64;
    for (i, cached) in through_cache.iter().enumerate() {
        let position = prompt - 1 + i;
        let mut fresh = model.new_cache(position + 1)?;
        let recomputed = model.forward(&tokens[..=position], &mut fresh)?;
        if recomputed.len() != cached.len() {
            return Err(DecodeCheckError::Vocabulary {
                position,
                through_cache: cached.len(),
                recomputed: recomputed.len(),
            });
        }
        let worst = cached
            .iter()
            .zip(&recomputed)
            .map(|(&a, &b)| (f64::from(a) - f64::from(b)).abs())
            .enumerate()
            .fold(
                (0, 0.0f64),
                |w, (j, d)| {
                    if d > w.1 || d.is_nan() { (j, d) } else { w }
                },
            );
        if worst.1 > tolerance || worst.1.is_nan() {
            return Err(DecodeCheckError::Mismatch {
                position,
                cached: if i == 0 { 0 } else { position },
                index: worst.0,
                through_cache: f64::from(cached[worst.0]),
                recomputed: f64::from(recomputed[worst.0]),
                tolerance,
            });
        }
        max_diff = max_diff.max(worst.1);
    }
    Ok(DecodeCheck {
        positions: through_cache.len(),
        max_diff,
    })
}
