#!/usr/bin/env python3
"""Adds `long-prompt.json` to the golden fixtures: the logits `transformers` gives at the
last position of a 40-token prompt, read from each committed checkpoint as it is.

`golden.json`'s prompt is 8 tokens, which InfraLens multiplies a row at a time (the decode
kernels); 40 rows go through its prefill GEMM (two full panels of 16 rows and a part one),
so this is that GEMM's check against `transformers`.

    python3 -m venv /tmp/hf && /tmp/hf/bin/pip install torch transformers safetensors
    /tmp/hf/bin/python scripts/make-long-prompt.py          # every fixture below
    /tmp/hf/bin/python scripts/make-long-prompt.py qwen2    # one

The checkpoints are not rewritten. CI compares against these files without Python.
"""
import json
import os
import sys

import torch
import transformers

PROMPT = [(37 * i + 11) % 256 for i in range(40)]
HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "infralens-models", "tests", "fixtures")
NAMES = [
    "llama", "qwen3", "mistral", "gpt2", "llama3", "qwen2", "llama-bf16", "llama3-bf16", "qwen2-f16",
]


def build(name):
    path = os.path.join(FIXTURES, name)
    # The stored half weights computed in f32, as the other half fixtures' goldens are.
    model = transformers.AutoModelForCausalLM.from_pretrained(
        path, dtype=torch.float32, attn_implementation="eager"
    ).eval()
    with torch.no_grad():
        logits = model(torch.tensor([PROMPT])).logits[0, -1].tolist()
    out = dict(
        prompt=PROMPT,
        logits=logits,
        transformers=transformers.__version__,
        torch=torch.__version__,
    )
    with open(os.path.join(path, "long-prompt.json"), "w") as f:
        json.dump(out, f)
    print(f"{name}: {len(PROMPT)} tokens, argmax {max(range(len(logits)), key=logits.__getitem__)}", file=sys.stderr)


for name in NAMES:
    if len(sys.argv) == 1 or name in sys.argv[1:]:
        build(name)
