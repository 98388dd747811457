#!/usr/bin/env python3
"""Embeds sentences through an OpenAI-compatible endpoint with the official `openai` client, as an
unmodified retrieval application would (base64 encoding, the client's default).

    .venv/minilm/bin/python Tests/Peers/minilm_openai_client.py --base-url http://127.0.0.1:8080/v1 \
        --model all-MiniLM-L6-v2 --sentences-file lines.jsonl [--batch 32] > embeddings.json

Input: one JSON string per line. Output (stdout, JSON): {"embeddings": [[float, ...], ...],
"prompt_tokens": N, "model": NAME}, in input order; floats written with repr (float32 values
widened to float64 exactly).
"""
import argparse
import json
import sys

from openai import OpenAI


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--sentences-file", required=True)
    parser.add_argument("--batch", type=int, default=32)
    args = parser.parse_args()
    with open(args.sentences_file, encoding="utf-8") as handle:
        sentences = [json.loads(line) for line in handle if line.strip()]
    # No retries: a failure must show, not be hidden by the client trying again.
    client = OpenAI(base_url=args.base_url, api_key="not-used", max_retries=0, timeout=120)
    embeddings, tokens, model = [], 0, None
    for start in range(0, len(sentences), args.batch):
        answer = client.embeddings.create(model=args.model, input=sentences[start:start + args.batch])
        ordered = sorted(answer.data, key=lambda item: item.index)
        embeddings += [[float(value) for value in item.embedding] for item in ordered]
        tokens += answer.usage.prompt_tokens
        model = answer.model
    json.dump({"embeddings": embeddings, "prompt_tokens": tokens, "model": model}, sys.stdout)


if __name__ == "__main__":
    main()
