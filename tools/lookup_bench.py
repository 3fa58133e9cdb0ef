#!/usr/bin/env python3
"""Decode speed with prompt-lookup decoding (--lookup) against plain greedy
decoding, the same executable, alternating in every round.

    tools/lookup_bench.py EXE [--rounds 6] [--tokens 128] [--threads 2]

Cases: "varied", a prompt of random token ids, greedy (text that does not
repeat itself, on a model with random weights); "repeating", the same
prompt with `--repeat-penalty 0.1 --repeat-last-n 4` and `--temp 0`
(greedy, deterministic: the penalty drives a model with random weights
into a short cycle, text that repeats); and, with --text FILE (a model with
a tokenizer), that text as the prompt. Checks that both ways print the same
tokens, and prints the tokens/s of each and their ratio in the same round
(median and range) with the drafting figures.
"""
import argparse, random, re, subprocess, sys


def gen(exe, args):
    p = subprocess.run([exe] + args, capture_output=True, text=True, check=True)
    rate = float(re.search(r"generation: .* ([0-9.]+) tokens/s", p.stderr).group(1))
    look = re.search(r"lookup: (\d+) drafted tokens in (\d+) passes, (\d+) accepted",
                     p.stderr)
    return p.stdout, rate, look.groups() if look else None


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("exe")
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--tokens", type=int, default=128)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--text", default="")
    a = ap.parse_args()
    rng = random.Random(1)
    ids = ",".join(["128000"] + [str(rng.randrange(1000, 100000)) for _ in range(20)])
    base = ["-n", str(a.tokens), "-t", str(a.threads), "--ignore-eos"]
    cases = {"varied": ["--tokens", ids],
             "repeating": ["--tokens", ids, "--temp", "0", "--repeat-penalty",
                           "0.1", "--repeat-last-n", "4"]}
    if a.text:
        cases["text"] = ["-f", a.text]
    print("| case | plain tokens/s | --lookup tokens/s | ratio, median (range) | drafted / passes / accepted |")
    print("|---|---|---|---|---|")
    for name, args in cases.items():
        plain, look, ratios, stats = [], [], [], None
        for r in range(a.rounds):
            order = [False, True] if r % 2 == 0 else [True, False]
            got = {}
            for lookup in order:
                got[lookup] = gen(a.exe, base + args + (["--lookup"] if lookup else []))
            if got[False][0] != got[True][0]:
                sys.exit("%s: --lookup printed other tokens than plain decoding" % name)
            plain.append(got[False][1])
            look.append(got[True][1])
            ratios.append(got[True][1] / got[False][1])
            stats = got[True][2]
        def span(xs):
            xs = sorted(xs)
            return "%.2f (%.2f-%.2f)" % (xs[len(xs) // 2], xs[0], xs[-1])
        ratios.sort()
        print("| %s | %s | %s | %.3f (%.3f-%.3f) | %s |" % (
            name, span(plain), span(look), ratios[len(ratios) // 2], ratios[0],
            ratios[-1], " / ".join(stats) if stats else "no draft"))


if __name__ == "__main__":
    main()
