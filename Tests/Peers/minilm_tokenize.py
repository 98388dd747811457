#!/usr/bin/env python3
"""The reference token ids for EISTokenizerTests: Hugging Face `tokenizers` on a corpus.

Reads a JSON-lines corpus (one JSON string per line) and prints, per line, the JSON array of
ids that `tokenizers` gives, with truncation at --max-length (special tokens included) and no
padding. Run with .venv/minilm/bin/python (models/fetch-minilm.sh makes it).

  --model DIR        the model folder (tokenizer.json, vocab.txt)
  --corpus FILE      the corpus
  --max-length N     truncation length (sentence-transformers' max_seq_length: 256 for MiniLM)
  --vocab-txt        build the tokenizer from DIR/vocab.txt with BERT's defaults instead
  --scalars          instead of a corpus: for every Unicode scalar, what the normalizer and the
                     pre-tokenizer make of it (see scalar_report)
"""
import argparse
import json
import os
import sys

from tokenizers import Tokenizer
from tokenizers.implementations import BertWordPieceTokenizer


def load(model, vocab_txt):
    if vocab_txt:
        # Without tokenizer.json: BERT's defaults, as a vocab.txt-only folder means.
        return BertWordPieceTokenizer(os.path.join(model, "vocab.txt"), lowercase=True)._tokenizer
    return Tokenizer.from_file(os.path.join(model, "tokenizer.json"))


def scalar_report(tokenizer, out):
    """One line per scalar that the normalizer changes or the pre-tokenizer splits at:
    `hex normalized-hexes|- punct(0/1) space(0/1)`; scalars left out are kept as they are and
    split nowhere. Surrogates are not scalars and are skipped."""
    normalizer, pre = tokenizer.normalizer, tokenizer.pre_tokenizer
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        c = chr(cp)
        norm = normalizer.normalize_str(c)
        pieces = pre.pre_tokenize_str("a" + c + "a")
        punct = 1 if len(pieces) == 3 and pieces[1][0] == c else 0
        space = 1 if len(pieces) == 2 else 0
        if norm == c and not punct and not space:
            continue
        out.write("%x %s %d %d\n" % (cp, " ".join("%x" % ord(x) for x in norm) or "-", punct, space))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", required=True)
    parser.add_argument("--corpus")
    parser.add_argument("--max-length", type=int, default=256)
    parser.add_argument("--vocab-txt", action="store_true")
    parser.add_argument("--scalars", action="store_true")
    args = parser.parse_args()

    tokenizer = load(args.model, args.vocab_txt)
    tokenizer.no_padding()
    tokenizer.enable_truncation(args.max_length)
    out = open(sys.stdout.fileno(), "w", encoding="utf-8", closefd=False)
    if args.scalars:
        scalar_report(tokenizer, out)
        return
    with open(args.corpus, encoding="utf-8") as corpus:
        lines = [json.loads(line) for line in corpus if line.strip()]
    for encoding in tokenizer.encode_batch(lines):
        out.write(json.dumps(encoding.ids) + "\n")


if __name__ == "__main__":
    main()
