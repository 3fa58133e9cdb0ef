#!/usr/bin/env python3
"""Runs a bench config from models/bench/ and prints a markdown table.

    tools/bench.py models/bench/2b4t-x86.json [--work DIR] [--tern PATH]
                   [--baseline BUILD] [--only NAME,...] [--reuse]

For the config's model (synthesized from a Hugging Face config.json when no
"model" file is given, with "model_config_overrides" applied to it, e.g.
{"num_hidden_layers": 1} for the head with one layer around it): tunes the kernels once when a variant asks for
"@NAME" (tern tune with the config's "tunings"[NAME] flags, into NAME.json,
resumable), compiles every variant (a variant with "tern": "baseline" with
the Tern build given as --baseline, e.g. another checkout's build/, against
its own runtime libraries), then runs `tern bench` on the variants for
"rounds" rounds, each round in another order (rotated, every other one
reversed), each round in a page-cache state from "cache_states" in turn:
"dropped" drops the page cache first (as root), "fresh" runs fresh copies
of the executables (freshly written files decode at another speed, see
docs/performance.md). It compares each variant's logits on a short prompt
("logit_check_tokens" tokens, then "logit_check_generate" generated, default
8) with the first variant's (tern compare-logits; the logits equal bit for
bit counted per generated row) and, for each variant, the
ratio of its speeds to its "baseline" variant's (default: the first) in
the same round (median and range over the rounds). A variant with "exe": OTHER runs OTHER's executable
instead of compiling one, with its "bench" flags added (e.g. --mmap).
With "depth": D, every test runs after D tokens in the cache (`bench -d D`,
the tests named "pp128 @ dD", "tg32 @ dD"), and the roofline counts the
cached keys and values a decoded token reads besides the weights.
"""
import argparse, json, os, re, shutil, subprocess, sys

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(cmd, **kw):
    print("+ " + " ".join(cmd), file=sys.stderr, flush=True)
    return subprocess.run(cmd, check=True, text=True, **kw)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("config")
    ap.add_argument("--work", default=os.path.join(root, "build", "bench"))
    ap.add_argument("--tern", default=os.path.join(root, "build", "bin", "tern"))
    ap.add_argument("--only", default="", help="comma-separated variants")
    ap.add_argument("--reuse", action="store_true",
                    help="keep executables that exist already")
    ap.add_argument("--baseline", default="",
                    help="a Tern build directory (bin/tern, lib/) for "
                         "variants with \"tern\": \"baseline\"")
    a = ap.parse_args()
    cfg_path = os.path.abspath(a.config)
    with open(cfg_path) as f:
        cfg = json.load(f)
    here = os.path.dirname(cfg_path)
    os.makedirs(a.work, exist_ok=True)
    os.chdir(a.work)
    tern = os.path.abspath(a.tern)

    model = cfg.get("model")
    if model:
        model = os.path.join(here, model)
    else:
        model = "model.gguf"
        config = os.path.join(here, cfg["model_config"])
        overrides = cfg.get("model_config_overrides")
        if overrides:
            with open(config) as f:
                derived = json.load(f)
            derived.update(overrides)
            config = os.path.abspath("model-config.json")
            with open(config, "w") as f:
                json.dump(derived, f, indent=2)
        if not os.path.exists(model):
            run([tern, "synth", "--config", config, "-o", model,
                 "--tokenizer", os.path.join(
                     root, "..", "shared", "testdata", "llama3-tokenizer",
                     "tokenizer.model")])
    variants = cfg["variants"]
    if a.only:
        keep = a.only.split(",")
        variants = [v for v in variants if v["name"] in keep]
    # "@NAME" in a variant's flags is the tuning file NAME.json, made once
    # by tern tune with the config's "tunings"[NAME] flags (resumable).
    tunings = cfg.get("tunings", {"tuning": []})
    for name, flags in tunings.items():
        if any(f == "@" + name for v in variants for f in v["compile"]):
            run([tern, "tune", model, "-o", name + ".json", "--budget",
                 str(cfg.get("tune_budget_seconds", 300))] + flags)
    def exe_of(v):
        return v.get("exe", v["name"])

    compiled = [v for v in variants if "exe" not in v]
    for v in compiled:
        exe = v["name"]
        if a.reuse and os.path.exists(exe):
            continue
        flags = [f[1:] + ".json" if f.startswith("@") else f
                 for f in v["compile"]]
        compiler = tern
        if v.get("tern") == "baseline":
            if not a.baseline:
                sys.exit("variant %s needs --baseline BUILD" % exe)
            base = os.path.abspath(a.baseline)
            compiler = os.path.join(base, "bin", "tern")
            flags += ["--runtime-lib-dir", os.path.join(base, "lib")]
        run([compiler, "compile", model, "-o", exe, "--ctx",
             str(cfg.get("context", 4096))] + flags)

    def prepare(state):
        if state == "dropped":
            os.sync()
            with open("/proc/sys/vm/drop_caches", "w") as f:
                f.write("3\n")
        else:  # fresh copies
            for v in compiled:
                shutil.copy2(v["name"], v["name"] + ".copy")
                os.replace(v["name"] + ".copy", v["name"])

    states = cfg.get("cache_states", ["dropped"])
    try:
        prepare("dropped")
    except OSError:  # not root: fresh copies only
        states = ["fresh"]
    p, n, t = cfg["prompt_tokens"], cfg["gen_tokens"], cfg["threads"]
    depth = cfg.get("depth", 0)
    at = " @ d%d" % depth if depth else ""
    pp_test, tg_test = "pp%d%s" % (p, at), "tg%d%s" % (n, at)
    results = {v["name"]: [] for v in variants}
    for r in range(cfg.get("rounds", 1)):
        state = states[r % len(states)]
        prepare(state)
        order = variants[r % len(variants):] + variants[:r % len(variants)]
        if r % 2:
            order.reverse()
        for v in order:
            out = run([tern, "bench", "./" + exe_of(v), "-p", str(p), "-n",
                       str(n), "-t", str(t), "-r", str(cfg.get("reps", 5)),
                       "-o", "json"] + (["-d", str(depth)] if depth else [])
                      + v.get("bench", []),
                      capture_output=True).stdout
            sys.stderr.write(out)
            results[v["name"]].append((state, json.loads(out)))

    # Logits on a short prompt against the first variant's.
    k = cfg.get("logit_check_tokens", 0)
    effects = {}
    if k:
        ids = ",".join(["128000"] + [str(1000 + i * 7919 % 100000)
                                     for i in range(1, k)])
        for v in variants:
            run(["./" + exe_of(v), "--tokens", ids, "-n",
                 str(cfg.get("logit_check_generate", 8)), "-t", str(t),
                 "--ignore-eos", "--quiet", "--dump-logits",
                 v["name"] + ".npy"], stdout=subprocess.DEVNULL)
        base = variants[0]["name"] + ".npy"
        for v in variants[1:]:
            out = run([tern, "compare-logits", base, v["name"] + ".npy"],
                      capture_output=True).stdout
            agree = re.search(r"top-1 agreement\s+(\d+) / (\d+)", out)
            kl = re.search(r"mean (\S+), max", out)
            mx = re.search(r"max \|B - A\|\s+(\S+)", out)
            effects[v["name"]] = "%s/%s top-1, KL %.1e, max %.3g" % (
                agree.group(1), agree.group(2), float(kl.group(1)),
                float(mx.group(1)))
            # Equal logits per generated row (the prompt's rows are
            # prefill's; a screened head's recomputed rows are exact); the
            # last generated token is not evaluated, so 2 at least.
            if cfg.get("logit_check_generate", 8) > 1:
                gen = run([tern, "compare-logits", "--rows-from", str(k),
                           base, v["name"] + ".npy"],
                          capture_output=True).stdout
                eq = re.search(r"equal per row\s+median (\d+), (\d+)-(\d+)",
                               gen)
                effects[v["name"]] += ", equal per generated row %s (%s-%s)" % (
                    eq.group(1), eq.group(2), eq.group(3))

    def grab(rows, test):
        """(median, min, max) tokens/s of `test` in `tern bench -o json`
        (NaN where the config runs no such test, e.g. pp0)."""
        row = next((r for r in rows if r["test"] == test), None)
        if row is None:
            return (float("nan"),) * 3
        xs = sorted(row["samples_ts"])
        return (xs[len(xs) // 2], xs[0], xs[-1])

    def around(rows, test):
        """`test`'s repetitions as fractions of the read bandwidth measured
        just before and after each (tern bench alternates them where the
        weights lie beyond the caches, and writes them sorted):
        "median (min-max) %", or "-"."""
        row = next((r for r in rows if r["test"] == test), None)
        f = row.get("stream_fractions_per_rep", []) if row else []
        if not f:
            return "-"
        return "%.0f %% (%.0f-%.0f %%)" % (100 * f[len(f) // 2], 100 * f[0],
                                            100 * f[-1])

    def beyond(rows, test):
        """`test`'s time per token beyond reading its bytes at the bandwidth
        measured around each repetition: "median (min to max) ms", or "-"
        (several streams, or a build whose bench does not write it)."""
        row = next((r for r in rows if r["test"] == test), None)
        t = sorted(row.get("beyond_stream_seconds_per_token_per_rep", [])
                   if row else [])
        if not t:
            return "-"
        return "%.2f (%.2f to %.2f)" % (1e3 * t[len(t) // 2], 1e3 * t[0],
                                        1e3 * t[-1])

    def round_trips(rows, test):
        """A cache line's round trip between two threads, measured with each
        read of the bandwidth around `test` (the vCPUs' placement: on one
        core complex or on two), "min-max ns", or "-"."""
        row = next((r for r in rows if r["test"] == test), None)
        rt = row.get("handoff_round_trip_ns_around_reps", []) if row else []
        return "%.0f-%.0f ns" % (min(rt), max(rt)) if rt else "-"

    print("| variant | page cache | %s tokens/s | %s tokens/s | GB/token | "
          "roofline (stream) | tg/roofline | tg/stream around each repetition "
          "| tg beyond the stream, ms a token | line round trip "
          "| weights read in | logits vs %s |" % (
              pp_test, tg_test, variants[0]["name"]))
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for v in variants:
        for state, out in results[v["name"]]:
            pp, tg = grab(out, pp_test), grab(out, tg_test)
            bandwidth = out[0]["read_bandwidth_bytes_per_s"]
            # The weights, and at a depth the keys and values tg reads.
            tg_row = next((r for r in out if r["test"] == tg_test), out[0])
            per_token = (tg_row["weights_bytes_per_token"] +
                         tg_row.get("kv_cache_bytes_per_token", 0))
            roofline = bandwidth / per_token
            held = re.search(r"read in (\S+ s)", out[0].get("weights_held", ""))
            print("| %s | %s | %.1f (%.1f-%.1f) | %.2f (%.2f-%.2f) | %.3f | %.2f (%.1f GB/s) "
                  "| %.0f %% | %s | %s | %s | %s | %s |" % (
                      v["name"], state, pp[0], pp[1], pp[2], tg[0], tg[1],
                      tg[2], per_token / 1e9, roofline, bandwidth / 1e9,
                      100 * tg[0] / roofline, around(out, tg_test),
                      beyond(out, tg_test), round_trips(out, tg_test),
                      held.group(1) if held else "(mapped)",
                      effects.get(v["name"], "(baseline)")
                      if v is not variants[0] else "(baseline)"))
    # Each variant against its "baseline" (default: the first variant) in
    # the same round.
    if len(variants) > 1 and cfg.get("rounds", 1) > 1:
        print()
        print("| variant / baseline | %s ratio, median (range) | %s ratio, "
              "median (range) | rounds |" % (pp_test, tg_test))
        print("|---|---|---|---|")
        for v in variants[1:]:
            base_name = v.get("baseline", variants[0]["name"])
            if base_name == v["name"] or base_name not in results:
                continue
            ratios = {"pp": [], "tg": []}
            for (_, base), (_, out) in zip(results[base_name],
                                           results[v["name"]]):
                for key, test in (("pp", pp_test), ("tg", tg_test)):
                    ratios[key].append(grab(out, test)[0] / grab(base, test)[0])
            def fmt(xs):
                xs = sorted(xs)
                return "%.3f (%.3f-%.3f)" % (xs[len(xs) // 2], xs[0], xs[-1])
            print("| %s / %s | %s | %s | %d |" % (v["name"], base_name,
                                                 fmt(ratios["pp"]),
                                            fmt(ratios["tg"]),
                                            len(ratios["pp"])))


if __name__ == "__main__":
    main()
