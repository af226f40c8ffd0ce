#!/usr/bin/env python3
"""Writes a Llama-3.2-1B-shaped checkpoint of seeded random bf16 weights (1,235,814,400
parameters, 2.47 GB) for measuring InfraLens at real size without hub access: loading's
peak RSS, and decode speed with the weights kept in bf16 or f32.

    python3 -m venv /tmp/np && /tmp/np/bin/pip install numpy
    /tmp/np/bin/python scripts/make-llama-1b.py /tmp/llama-1b
    /usr/bin/time -v target/release/infralens-run /tmp/llama-1b --tokens 1,2,3 --steps 32

Not run by CI (the file is large); the closing notes of issue 28 give what it measured.
"""
import json
import os
import struct
import sys

import numpy as np

out = sys.argv[1] if len(sys.argv) > 1 else "/tmp/llama-1b"
D, F, LAYERS, H, HKV, V = 2048, 8192, 16, 32, 8, 128256
DH = D // H
config = {
    "architectures": ["LlamaForCausalLM"],
    "model_type": "llama",
    "hidden_size": D,
    "intermediate_size": F,
    "num_hidden_layers": LAYERS,
    "num_attention_heads": H,
    "num_key_value_heads": HKV,
    "head_dim": DH,
    "vocab_size": V,
    "max_position_embeddings": 131072,
    "rms_norm_eps": 1e-5,
    "rope_theta": 500000.0,
    "rope_scaling": {
        "rope_type": "llama3",
        "factor": 32.0,
        "low_freq_factor": 1.0,
        "high_freq_factor": 4.0,
        "original_max_position_embeddings": 8192,
    },
    "tie_word_embeddings": True,
    "torch_dtype": "bfloat16",
    "bos_token_id": 128000,
    "eos_token_id": 128001,
}
os.makedirs(out, exist_ok=True)
with open(os.path.join(out, "config.json"), "w") as f:
    json.dump(config, f, indent=2)

# The file is written a tensor at a time (safetensors' layout: an 8-byte header length, the
# JSON header, the data), so that no more than one tensor is ever in memory.
rng = np.random.default_rng(0)
shapes = {"model.embed_tokens.weight": (V, D), "model.norm.weight": (D,)}
for i in range(LAYERS):
    p = f"model.layers.{i}"
    shapes[f"{p}.input_layernorm.weight"] = (D,)
    shapes[f"{p}.post_attention_layernorm.weight"] = (D,)
    shapes[f"{p}.self_attn.q_proj.weight"] = (H * DH, D)
    shapes[f"{p}.self_attn.k_proj.weight"] = (HKV * DH, D)
    shapes[f"{p}.self_attn.v_proj.weight"] = (HKV * DH, D)
    shapes[f"{p}.self_attn.o_proj.weight"] = (D, H * DH)
    shapes[f"{p}.mlp.gate_proj.weight"] = (F, D)
    shapes[f"{p}.mlp.up_proj.weight"] = (F, D)
    shapes[f"{p}.mlp.down_proj.weight"] = (D, F)


def bf16(values):
    """float32 values rounded to bf16 (to nearest, ties to even): their upper 16 bits."""
    bits = values.astype(np.float32).view(np.uint32)
    return ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype("<u2")


header, at = {"__metadata__": {"format": "pt"}}, 0
for name, shape in shapes.items():
    size = 2 * int(np.prod(shape))
    header[name] = {"dtype": "BF16", "shape": list(shape), "data_offsets": [at, at + size]}
    at += size
text = json.dumps(header, separators=(",", ":")).encode()
text += b" " * (-len(text) % 8)
with open(os.path.join(out, "model.safetensors"), "wb") as f:
    f.write(struct.pack("<Q", len(text)) + text)
    for name, shape in shapes.items():
        if len(shape) == 1:
            f.write(bf16(np.ones(shape)).tobytes())
        else:
            for rows in np.array_split(np.arange(shape[0]), max(1, shape[0] // 4096)):
                f.write(bf16(rng.standard_normal((len(rows), shape[1]), dtype=np.float32) * 0.02).tobytes())
print(sum(int(np.prod(s)) for s in shapes.values()), "parameters")
