//! The decode-time bugs that compile, planted one at a time in a small decoder written on the
//! public API, and what catches each: the cached path that cannot express it, the run-time
//! refusal or compile error, or — where no type can see it — `infralens::testing::check_cached_decode`.
//! (The lint's side of the same bugs: `infralens-models/tests/lint_decode_bugs.rs`.)

use infralens::generate::{CausalLm, generate};
use infralens::layers::{Embedding, Linear};
use infralens::prelude::*;
use infralens::testing::{DecodeCheckError, check_cached_decode};
use infralens::{Ids, Rope, RopeStyle, Sampler};

dims! {
    pub B: Batch = 1;
    pub S: Sequence = dyn;
    pub T: Sequence = dyn;
    pub C: Sequence = dyn;
    pub P: Sequence = 64;
    pub V = 32;
    pub D: ModelWidth = 16;
    pub H: Heads = 4;
    pub Hkv: Heads = 2;
    pub Dh: HeadWidth = D / H;
    pub Dq = H * Dh;
    pub Dkv = Hkv * Dh;
    pub One: Sequence = 1;
}

/// One bug of the table, or none.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Bug {
    None,
    /// RoPE on the new rows from offset 0 instead of the cache's length.
    RopeFromZero,
    /// Learned positions read from row 0 while decoding.
    PositionsFromZero,
    /// Attention fed the new `k, v` instead of the cache's views.
    NewKeys,
}

/// A one-layer decoder with both RoPE and learned positions, ported op by op.
struct Tiny {
    embed: Embedding<V, D>,
    wpe: Tensor<(P, D)>,
    q: Linear<D, Dq>,
    k: Linear<D, Dkv>,
    v: Linear<D, Dkv>,
    o: Linear<Dq, D>,
    head: Linear<D, V>,
    bug: Bug,
}

struct Cache {
    kv: KvCache<B, Hkv, C, Dh>,
    rope: Rope<C, Dh>,
    sizes: Sizes,
}

impl Tiny {
    fn new(bug: Bug) -> Self {
        Tiny {
            embed: Embedding::new(Tensor::randn(1)),
            wpe: Tensor::randn(2).scale(0.5),
            q: Linear::new(Tensor::randn(3).scale(0.5), None),
            k: Linear::new(Tensor::randn(4).scale(0.5), None),
            v: Linear::new(Tensor::randn(5), None),
            o: Linear::new(Tensor::randn(6).scale(0.3), None),
            head: Linear::new(Tensor::randn(7), None),
            bug,
        }
    }

    #[shapes(x: [B, S, D] -> [B, S, D])]
    fn attention(&self, x: &Tensor, cache: &mut Cache) -> Result<Tensor, ShapeError> {
        let s = x.sizes()[1];
        #[shape(B, H, S, Dh)]
        let q = self.q.forward(x).split_heads::<H, Dh>();
        #[shape(B, Hkv, S, Dh)]
        let k = self.k.forward(x).split_heads::<Hkv, Dh>();
        let v = self.v.forward(x).split_heads::<Hkv, Dh>();
        let at = cache.kv.positions::<S>(s)?;
        let (q, k) = if self.bug == Bug::RopeFromZero {
            (q.rope(&cache.rope, 0), k.rope(&cache.rope, 0))
        } else {
            (q.rope_at(&cache.rope, &at)?, k.rope_at(&cache.rope, &at)?)
        };
        let attn = match self.bug {
            Bug::NewKeys => {
                cache.kv.append::<S, T>(&k, &v)?;
                grouped_query_attention(&q, &k, &v, Mask::Causal)
            }
            _ => cache.kv.attend(&q, &k, &v, Mask::Causal)?,
        };
        Ok(x.add(&self.o.forward(&attn.merge_heads::<Dq>())))
    }
}

impl CausalLm for Tiny {
    type Cache = Cache;

    fn new_cache(&self, capacity: usize) -> Result<Cache, ShapeError> {
        let sizes = sizes![C = capacity];
        Ok(Cache {
            kv: KvCache::new(&sizes),
            rope: Rope::new(10_000.0, RopeStyle::Halves, &sizes),
            sizes,
        })
    }

    fn forward(&self, tokens: &[u32], cache: &mut Cache) -> Result<Vec<f32>, ShapeError> {
        let s = tokens.len();
        let at = cache.sizes.with::<S>(s);
        let ids = Ids::<(B, S)>::from_vec_in(tokens.to_vec(), &at)?;
        let positions = if self.bug == Bug::PositionsFromZero {
            self.wpe.narrow::<0, S>(0, s)
        } else {
            self.wpe.at_positions(&cache.kv.positions::<S>(s)?)?
        };
        let x = self.embed.forward(&ids)?.add(&positions);
        let x = self.attention(&x, cache)?;
        let last = x.narrow::<1, One>(s - 1, 1);
        Ok(self.head.forward(&last).to_vec())
    }
}

const TOKENS: [u32; 12] = [3, 14, 15, 9, 26, 5, 3, 5, 8, 9, 7, 9];

#[test]
fn the_bug_free_port_decodes_as_it_recomputes() {
    // The tolerance every planted bug below exceeds. (Cached decode and the recompute sum in
    // different orders — streamed dot products against a GEMM — so they agree to f32
    // rounding through the layers, ~1e-5 on logits of ~6, not exactly.)
    let check = check_cached_decode(&Tiny::new(Bug::None), &TOKENS, 5, 1e-4).expect("agrees");
    assert_eq!(check.positions, 8);
    assert!(check.max_diff < 1e-4);
    // and the generation helper drives it: greedy twice is the same, seeded sampling too
    let greedy = generate(
        &Tiny::new(Bug::None),
        &TOKENS[..5],
        6,
        &mut Sampler::greedy(),
        &[],
    )
    .expect("generates");
    assert_eq!(greedy.tokens.len(), 6);
    assert_eq!(greedy.logits.len(), 6);
    let again = generate(
        &Tiny::new(Bug::None),
        &TOKENS[..5],
        6,
        &mut Sampler::greedy(),
        &[],
    )
    .expect("generates");
    assert_eq!(greedy, again);
    let sample = |seed| {
        generate(
            &Tiny::new(Bug::None),
            &TOKENS[..5],
            6,
            &mut Sampler::new(seed).temperature(1.0),
            &[],
        )
        .expect("generates")
        .tokens
    };
    assert_eq!(sample(7), sample(7));
}

/// Each silent bug gives numbers that differ from the recompute at the first decoded
/// position, and the check says where.
#[test]
fn the_recompute_check_catches_every_silent_decode_bug() {
    for bug in [Bug::RopeFromZero, Bug::PositionsFromZero, Bug::NewKeys] {
        let err = check_cached_decode(&Tiny::new(bug), &TOKENS, 5, 1e-4).expect_err("differs");
        let DecodeCheckError::Mismatch {
            position, cached, ..
        } = err
        else {
            panic!("{bug:?}: {err}");
        };
        assert_eq!((position, cached), (5, 5), "{bug:?}: {err}");
        assert!(
            err.to_string()
                .starts_with("the cached decode differs from a full recompute at position 5 (5 tokens in the cache)"),
            "{err}"
        );
    }
}

/// PyTorch's `is_causal=True` ported as `Mask::CausalTopLeft` over the cache's keys
/// (`(B, Hkv, T, Dh)` views, queries `S`) does not compile (`ui-tests/tests/ui/mask/`); where
/// queries and keys share one run-time dim but the keys are more, the op refuses it when it
/// runs, naming both sizes.
#[test]
fn a_top_left_mask_over_more_keys_is_refused_by_name() {
    let q = Tensor::<(B, H, S, Dh)>::randn_in(0, &sizes![S = 1]);
    let k = Tensor::<(B, H, S, Dh)>::randn_in(1, &sizes![S = 6]);
    let refused =
        std::panic::catch_unwind(|| scaled_dot_product_attention(&q, &k, &k, Mask::CausalTopLeft))
            .expect_err("refused");
    let message = refused
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default();
    assert!(
        message.starts_with("mask mismatch: `Mask::CausalTopLeft` lines query 0 up with key 0, but these `S` = 1 queries come after 5 of the `S` = 6 keys"),
        "{message}"
    );
}
