#!/usr/bin/env python3
"""Trains a byte-level BPE vocabulary on a text and writes it as a tiktoken
rank file (tokenizer.model: "<base64 of the token's bytes> <rank>" per
line), the form Tern reads with Tokenizer::fromTiktokenFile, which appends
the 256 LLaMA-3 special tokens (<|begin_of_text|>, <|eot_id|>, ...) after
the ranks.

Ranks 0-255 are the single bytes; each further rank is the merge of the
most frequent adjacent pair (ties: the pair of lower ranks) within the
pieces of LLaMA-3's pre-tokenizer. Tern merges by the rank of the merged
token, which for a vocabulary made this way is the order of the merges.

    python3 models/train/bpe.py TEXT RANKS OUT/tokenizer.model

The pre-tokenizer below is LLaMA-3's (runtime/tokenizer/Tokenizer.h) with
\\p{L} and \\p{N} written for ASCII, which is exact for an ASCII text: the
script refuses any other.
"""
import base64
import collections
import re
import sys

PIECE = re.compile(
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\nA-Za-z0-9]?[A-Za-z]+|[0-9]{1,3}"
    r"| ?[^\sA-Za-z0-9]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")


def word_counts(text):
    counts = collections.Counter(PIECE.findall(text))
    return {tuple(w.encode("ascii")): n for w, n in counts.items()}


def train(counts, ranks):
    """The merged tokens (as bytes), in merge order, until `ranks` tokens."""
    words = [list(w) for w in counts]  # symbols are token ranks
    freq = list(counts.values())
    tokens = [bytes([b]) for b in range(256)]
    rank_of = {t: r for r, t in enumerate(tokens)}
    pairs = collections.Counter()
    where = collections.defaultdict(set)  # pair -> indices of words
    for i, w in enumerate(words):
        for a, b in zip(w, w[1:]):
            pairs[a, b] += freq[i]
            where[a, b].add(i)
    while len(tokens) < ranks and pairs:
        best = max(pairs.items(), key=lambda kv: (kv[1], -kv[0][0], -kv[0][1]))
        (a, b), n = best
        if n <= 0:
            break
        # Two pairs can spell one token ("ab"+"c", "a"+"bc"): it keeps the
        # rank it was given first.
        joined = tokens[a] + tokens[b]
        new = rank_of.get(joined)
        if new is None:
            new = rank_of[joined] = len(tokens)
            tokens.append(joined)
        for i in list(where[a, b]):
            w = words[i]
            for x, y in zip(w, w[1:]):  # remove the word's old pairs
                pairs[x, y] -= freq[i]
                if pairs[x, y] <= 0:
                    del pairs[x, y]
            merged, j = [], 0
            while j < len(w):
                if j + 1 < len(w) and w[j] == a and w[j + 1] == b:
                    merged.append(new)
                    j += 2
                else:
                    merged.append(w[j])
                    j += 1
            words[i] = merged
            for x, y in zip(merged, merged[1:]):
                pairs[x, y] += freq[i]
                where[x, y].add(i)
        del where[a, b]
        pairs.pop((a, b), None)
    return tokens


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    path, ranks, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    if ranks < 256:
        sys.exit("bpe: at least 256 ranks (the bytes)")
    with open(path, "rb") as f:
        raw = f.read()
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError as e:
        sys.exit("bpe: %s is not ASCII (byte %d): the pre-tokenizer here is "
                 "LLaMA-3's for ASCII text" % (path, e.start))
    counts = word_counts(text)
    tokens = train(counts, ranks)
    with open(out, "w", encoding="ascii") as f:
        for rank, t in enumerate(tokens):
            f.write("%s %d\n" % (base64.b64encode(t).decode("ascii"), rank))
    print("bpe: %d ranks from %d distinct pieces" % (len(tokens), len(counts)))


if __name__ == "__main__":
    main()
