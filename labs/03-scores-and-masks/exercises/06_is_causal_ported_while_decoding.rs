// TODO: this does not compile yet. `infralens lab 03 --check` shows the error: which dims does it compare, and which should meet?
//! Exercise 06 — `is_causal=True`, ported to a decode step.
//!
//! PyTorch code often reads `F.scaled_dot_product_attention(q, k, v, is_causal=True)`. Its
//! causal mask is aligned top-left: query `i` sees keys `0 ..= i`. In prefill, with as many
//! queries as keys, that is the usual lower triangle. In a decode step the one new query
//! comes after every cached key, and top-left lets it see key 0 alone: the model then
//! generates from its first token only. The shapes agree, the numbers do not — unless the
//! queries and the cache's keys are dims of their own.
use infralens::prelude::*;

dims! {
    pub B: Batch = 1;
    pub H: Heads = 2;
    pub C: Sequence = 8;
    pub Dh: HeadWidth = 4;
    pub S: Sequence = dyn;
    pub T: Sequence = dyn;
}

/// One step: the new keys and values go into the cache, the new queries attend to all of it.
#[shapes(q: [B, H, S, Dh], k: [B, H, S, Dh], v: [B, H, S, Dh] -> [B, H, S, Dh])]
fn step(q: &Tensor, k: &Tensor, v: &Tensor, cache: &mut KvCache<B, H, C, Dh>) -> Result<Tensor, ShapeError> {
    let (keys, values) = cache.append::<S, T>(k, v)?;
    // `F.scaled_dot_product_attention(q, k, v, is_causal=True)`
    Ok(scaled_dot_product_attention(q, keys, values, Mask::CausalTopLeft))
}

fn main() -> Result<(), ShapeError> {
    let mut cache = KvCache::<B, H, C, Dh>::new(&sizes![]);
    let prompt = sizes![S = 4];
    let x = Tensor::<(B, H, S, Dh)>::randn_in(0, &prompt);
    step(&x, &x, &x, &mut cache)?;
    let token = Tensor::<(B, H, S, Dh)>::randn_in(1, &sizes![S = 1]);
    println!("decode step: {}", step(&token, &token, &token, &mut cache)?.describe());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Keys all zero: each query spreads its attention evenly over the keys it sees. Value
    /// `t` holds the number `t`, so the output is the mean position a query sees.
    #[test]
    fn the_new_token_sees_every_cached_position() -> Result<(), ShapeError> {
        let mut cache = KvCache::<B, H, C, Dh>::new(&sizes![]);
        let values = |from: usize, n: usize| {
            Tensor::<(B, H, S, Dh)>::from_fn_in(&sizes![S = n], |i| (from + i[2]) as f32)
        };
        let zeros = |n: usize| Tensor::<(B, H, S, Dh)>::zeros_in(&sizes![S = n]);
        let prefill = step(&zeros(4), &zeros(4), &values(0, 4), &mut cache)?;
        // prompt position 3 sees positions 0..=3: mean 1.5
        assert_eq!(prefill.get(&[0, 1, 3, 0]), Some(1.5));
        let out = step(&zeros(1), &zeros(1), &values(4, 1), &mut cache)?;
        // the new token, position 4, sees positions 0..=4: mean 2
        assert_eq!(out.get(&[0, 0, 0, 0]), Some(2.0), "the new token sees {:?}", out.get(&[0, 0, 0, 0]));
        Ok(())
    }
}
