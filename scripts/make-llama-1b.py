#!/usr/bin/env python3
"""Writes a Llama-3.2-1B-shaped checkpoint of seeded random bf16 weights (1,235,814,400
parameters, 2.47 GB) for measuring InfraLens at real size without hub access: loading's
peak RSS, and decode speed with the weights kept in bf16 or f32.

    python3 -m venv /tmp/hf && /tmp/hf/bin/pip install torch safetensors
    /tmp/hf/bin/python scripts/make-llama-1b.py /tmp/llama-1b
    /usr/bin/time -v target/release/infralens-run /tmp/llama-1b --tokens 1,2,3 --steps 32

Not run by CI (the file is large); the closing notes of issue 28 give what it measured.
"""
import json
import os
import sys

import torch
from safetensors.torch import save_file

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

g = torch.Generator().manual_seed(0)


def matrix(rows, cols):
    return (torch.randn(rows, cols, generator=g) * 0.02).to(torch.bfloat16)


tensors = {"model.embed_tokens.weight": matrix(V, D), "model.norm.weight": torch.ones(D, dtype=torch.bfloat16)}
for i in range(LAYERS):
    p = f"model.layers.{i}"
    tensors[f"{p}.input_layernorm.weight"] = torch.ones(D, dtype=torch.bfloat16)
    tensors[f"{p}.post_attention_layernorm.weight"] = torch.ones(D, dtype=torch.bfloat16)
    tensors[f"{p}.self_attn.q_proj.weight"] = matrix(H * DH, D)
    tensors[f"{p}.self_attn.k_proj.weight"] = matrix(HKV * DH, D)
    tensors[f"{p}.self_attn.v_proj.weight"] = matrix(HKV * DH, D)
    tensors[f"{p}.self_attn.o_proj.weight"] = matrix(D, H * DH)
    tensors[f"{p}.mlp.gate_proj.weight"] = matrix(F, D)
    tensors[f"{p}.mlp.up_proj.weight"] = matrix(F, D)
    tensors[f"{p}.mlp.down_proj.weight"] = matrix(D, F)
save_file(tensors, os.path.join(out, "model.safetensors"), metadata={"format": "pt"})
print(sum(t.numel() for t in tensors.values()), "parameters")
