#!/usr/bin/env python3
"""Builds the tokenizer fixture: a small BPE tokenizer trained here with the Python
`tokenizers` package (no hub access), saved as `tokenizer.json`, and the ids and texts that
Python gives for a set of strings, which `infralens-models/tests/tokenizer.rs` must give too.

    /tmp/hf/bin/pip install tokenizers
    /tmp/hf/bin/python scripts/make-tokenizer.py

Its 256 ids fit the fixture models' vocabulary, so the same `tokenizer.json` is copied beside
the Llama fixture for `infralens-run --prompt`.
"""
import json
import os
import shutil

import tokenizers
from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "infralens-models", "tests", "fixtures", "tokenizer")

CORPUS = [
    "The keys and values of every earlier token are kept in a cache.",
    "Attention reads the cache: one query against all the keys, weighted by a softmax.",
    "A projection maps the model width to the width of the heads, and back again.",
    "Grouped-query attention shares each key and value head among a group of query heads.",
    "Rotary position embeddings turn each pair of lanes by an angle that grows with position.",
    "The quick brown fox jumps over the lazy dog; the dog sleeps on.",
    "Shapes are names: batch, sequence, heads, head width, model width.",
    "Numbers 0 1 2 3 4 5 6 7 8 9 and 10, 100, 1000 appear now and then.",
] * 20

CASES = [
    "The cache holds the keys.",
    "attention over all the keys",
    "Hello, world!",
    "  two  spaces  and\ttabs\n",
    "naïve café — ünïcödé 漢字",
    "1234567890",
    "",
    "<s>the start</s>",
]


def main():
    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.normalizer = normalizers.NFKC()
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    tok.decoder = decoders.Metaspace()
    trainer = trainers.BpeTrainer(
        vocab_size=256, special_tokens=["<unk>", "<s>", "</s>"], min_frequency=2
    )
    tok.train_from_iterator(CORPUS, trainer)
    # Llama's way: `<s>` before the text when special tokens are asked for.
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A", special_tokens=[("<s>", tok.token_to_id("<s>"))]
    )
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, "tokenizer.json")
    tok.save(path)
    cases = []
    for text in CASES:
        for special in (False, True):
            ids = tok.encode(text, add_special_tokens=special).ids
            cases.append(
                dict(
                    text=text,
                    add_special_tokens=special,
                    ids=ids,
                    decoded=tok.decode(ids, skip_special_tokens=False),
                    decoded_skipping_special=tok.decode(ids, skip_special_tokens=True),
                )
            )
    with open(os.path.join(OUT, "cases.json"), "w") as f:
        json.dump(dict(tokenizers=tokenizers.__version__, cases=cases), f, ensure_ascii=False, indent=1)
    assert tok.get_vocab_size() <= 256, tok.get_vocab_size()
    shutil.copy(path, os.path.join(OUT, "..", "llama", "tokenizer.json"))
    print("vocabulary", tok.get_vocab_size(), "cases", len(cases))


main()
