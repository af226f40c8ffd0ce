#!/usr/bin/env python3
"""Builds the golden fixtures of the whole-decoder tests: tiny models of each architecture
with random weights, from local configs (no hub access), using `torch` and `transformers`.

    python3 -m venv /tmp/hf && /tmp/hf/bin/pip install torch transformers safetensors
    /tmp/hf/bin/python scripts/make-golden.py            # every model
    /tmp/hf/bin/python scripts/make-golden.py qwen2      # one
    /tmp/hf/bin/python scripts/make-golden.py llama-bf16 # a half-precision one (HALF below)

For each model it writes `infralens-models/tests/fixtures/<name>/`: `config.json` and `model.safetensors` as
`save_pretrained` writes them, and `golden.json`: the prompt, the last prompt position's
logits, and 16 greedy tokens (with the KV cache). CI compares against these files without
Python. Run again only to regenerate them (the weights are seeded).
"""
import json
import os
import sys

import torch
import transformers

PROMPT = [3, 14, 15, 92, 65, 35, 89, 7]
STEPS = 16
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "infralens-models", "tests", "fixtures")

COMMON = dict(
    vocab_size=256,
    hidden_size=64,
    intermediate_size=96,
    num_hidden_layers=2,
    num_attention_heads=4,
    num_key_value_heads=2,
    max_position_embeddings=128,
    rms_norm_eps=1e-6,
    tie_word_embeddings=False,
)

MODELS = {
    "llama": (transformers.LlamaConfig, transformers.LlamaForCausalLM, dict(rope_theta=10000.0)),
    "qwen3": (
        transformers.Qwen3Config,
        transformers.Qwen3ForCausalLM,
        dict(head_dim=24, rope_theta=1000000.0, tie_word_embeddings=True),
    ),
    "mistral": (
        transformers.MistralConfig,
        transformers.MistralForCausalLM,
        dict(sliding_window=4, rope_theta=10000.0),
    ),
    "gpt2": (transformers.GPT2Config, transformers.GPT2LMHeadModel, None),
    # Llama 3.1/3.2's RoPE scaling (`rope_type: "llama3"`), with an original context short
    # enough that the fixture's head width has lane pairs in each of its three regimes
    # (kept, smoothed, divided by `factor`); tied embeddings, as Llama 3.2 1B and 3B.
    "llama3": (
        transformers.LlamaConfig,
        transformers.LlamaForCausalLM,
        dict(
            tie_word_embeddings=True,
            rope_parameters=dict(
                rope_type="llama3",
                rope_theta=500000.0,
                factor=8.0,
                low_freq_factor=1.0,
                high_freq_factor=4.0,
                original_max_position_embeddings=64,
            ),
        ),
    ),
    # Qwen2/2.5: Llama's block with biases on the q, k and v projections (not on o).
    "qwen2": (
        transformers.Qwen2Config,
        transformers.Qwen2ForCausalLM,
        dict(rope_theta=1000000.0, use_sliding_window=False),
    ),
}

GPT2 = dict(
    vocab_size=256,
    n_embd=64,
    n_layer=2,
    n_head=4,
    n_positions=128,
    activation_function="gelu_new",
)


# The same models saved in half precision, as checkpoints ship: the golden logits are the
# half-precision weights run in f32 (an f32 model holding the rounded weights), which is what InfraLens
# computes from half weights (activations in f32), so they are compared as tightly as the
# f32 fixtures.
HALF = {
    "llama-bf16": ("llama", torch.bfloat16),
    "llama3-bf16": ("llama3", torch.bfloat16),
    "qwen2-f16": ("qwen2", torch.float16),
}


def build(name, config_class, model_class, extra, half=None):
    torch.manual_seed(0)
    if extra is None:
        kwargs = dict(GPT2)
    else:
        kwargs = dict(COMMON)
        kwargs.update(extra)
    config = config_class(**kwargs)
    config._attn_implementation = "eager"
    model = model_class(config).eval()
    # Larger weights than the default init, so that every op leaves a visible mark.
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0.0, 0.2)
    out = os.path.join(OUT, name)
    os.makedirs(out, exist_ok=True)
    if half is not None:
        # The weights rounded to `half`, back in an f32 model: `model.to(half).to(float32)`
        # would round RoPE's `inv_freq` buffer too, which no checkpoint stores.
        rounded = {k: v.to(half).to(torch.float32) for k, v in model.state_dict().items()}
        model.to(half).save_pretrained(out, safe_serialization=True)
        model = model_class(config).eval()
        model.load_state_dict(rounded)
    else:
        model.save_pretrained(out, safe_serialization=True)
    ids = torch.tensor([PROMPT])
    with torch.no_grad():
        logits = model(ids).logits[0, -1].tolist()
        generated = model.generate(
            ids, max_new_tokens=STEPS, do_sample=False, use_cache=True, pad_token_id=0
        )[0, len(PROMPT):].tolist()
    golden = dict(
        prompt=PROMPT,
        logits=logits,
        tokens=generated,
        transformers=transformers.__version__,
        torch=torch.__version__,
        weights=str(half).removeprefix("torch.") if half is not None else "float32",
    )
    with open(os.path.join(out, "golden.json"), "w") as f:
        json.dump(golden, f)
    print(f"{name}: tokens {generated}", file=sys.stderr)


# `make-golden.py NAME…` builds those only; no name builds every one.
for name, (config_class, model_class, extra) in MODELS.items():
    if len(sys.argv) == 1 or name in sys.argv[1:]:
        build(name, config_class, model_class, extra)
for name, (base, half) in HALF.items():
    if len(sys.argv) == 1 or name in sys.argv[1:]:
        build(name, *MODELS[base], half=half)
