#!/usr/bin/env python3
"""What each lowering costs in accuracy: held-out perplexity and KL
divergence against the lossless baseline, per weight packing, head format
and target, reference and compiled. Prints a markdown table.

    tools/accuracy.py [--model models/kjv/kjv.gguf] [--text models/kjv/heldout.txt]
                      [-c 256] [--chunks N] [--arm-chunks 16] [--work DIR]
                      [--tern PATH] [--no-arm]

The baseline is the reference forward pass with the model's own (f16) head:
`tern perplexity --save-base` keeps its log-probabilities, and every other
row is `tern perplexity --kl-divergence --base` against them. Rows:
the reference (on this machine) with each head format (`tern run --head`), then one compiled
executable per packing that the target's kernel families read (taken from
`tern kernels`, the registry) and head format, for this CPU and for AArch64
(NEON, run under qemu-aarch64 on the first --arm-chunks chunks, against a
base of as many chunks). "same as reference" says whether the executable
printed the reference's output for that head format character for
character (perplexity, error and KL). "kernels" is what the executable
records (`tern inspect EXE`): a packing is used only for weights whose
shapes it can hold, the others keep the target's default.
"""
import argparse, os, re, subprocess, sys

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HEADS = ["native", "int8", "q4"]


def run(cmd):
    print("+ " + " ".join(cmd), file=sys.stderr, flush=True)
    return subprocess.run(cmd, check=True, text=True, stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL).stdout


def packings_by_arch(tern):
    """{arch: [packing, ...]} that some kernel family of arch reads."""
    out = run([tern, "kernels"])
    result, arch = {}, None
    for line in out.splitlines():
        m = re.match(r"^[* ] (\S+)\s+(x86_64|aarch64|riscv64)\s", line)
        if m:
            arch = m.group(2)
            continue
        m = re.match(r"^\s+reads at K = \d+: (.*)$", line)
        if m and arch:
            # "i2 (block ...); base3v (...); prefetches the weight stream; ...":
            # the packings are the parts with their blocks in parentheses.
            for part in m.group(1).split(";"):
                p = re.match(r"(\S+) \(", part.strip())
                if p and p.group(1) not in result.setdefault(arch, []):
                    result[arch].append(p.group(1))
    return result


def scores(text):
    """(ppl, err, kl, kl_err, top1) from tern perplexity's output."""
    m = re.search(r"Final estimate: PPL = ([0-9.]+) \+/- ([0-9.]+)", text)
    if not m:
        sys.exit("accuracy: no final estimate in:\n" + text)
    k = re.search(r"KL divergence: mean ([0-9.e+-]+) \+/- ([0-9.e+-]+), "
                  r"same top token ([0-9.]+) %", text)
    return (m.group(1), m.group(2)) + (k.groups() if k else ("0", "0", "100.00"))


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--model", default=os.path.join(root, "models/kjv/kjv.gguf"))
    ap.add_argument("--text", default=os.path.join(root, "models/kjv/heldout.txt"))
    ap.add_argument("-c", type=int, default=256)
    ap.add_argument("--chunks", type=int, default=0, help="0: the whole text")
    ap.add_argument("--arm-chunks", type=int, default=16)
    ap.add_argument("--work", default=os.path.join(root, "build", "accuracy"))
    ap.add_argument("--tern", default=os.path.join(root, "build", "bin", "tern"))
    ap.add_argument("--no-arm", action="store_true")
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    tern, c = a.tern, str(a.c)

    def perplexity(cmd, chunks, base, save=False):
        cmd = cmd + ["-f", a.text, "-c", c]
        if chunks:
            cmd += ["--chunks", str(chunks)]
        cmd += ["--save-base", base] if save else ["--kl-divergence", "--base", base]
        return run(cmd)

    rows = []
    targets = [("x86-64 (this CPU)", "native", "x86_64", a.chunks, [])]
    if not a.no_arm:
        targets.append(("AArch64 NEON (qemu), first %d chunks" % a.arm_chunks,
                        "aarch64", "aarch64",
                        a.arm_chunks, ["qemu-aarch64"]))
    packings = packings_by_arch(tern)
    for label, target, arch, chunks, wrap in targets:
        base = os.path.join(a.work, "base-%s.npy" % arch)
        # The lossless baseline, then the reference's other heads.
        reference = {"native": perplexity([tern, "perplexity", a.model, "-t", "2"],
                                          chunks, base, save=True)}
        for head in HEADS[1:]:
            reference[head] = perplexity(
                [tern, "perplexity", a.model, "-t", "2", "--head", head],
                chunks, base)
        base_out = perplexity([tern, "perplexity", a.model, "-t", "2"], chunks, base)
        reference["native"] = base_out
        for head in HEADS:
            rows.append((label, "reference", "-", head, scores(reference[head]), "", "-"))
        for packing in packings.get(arch, []):
            for head in HEADS:
                exe = os.path.join(a.work, "%s-%s-%s" % (arch, packing, head))
                run([tern, "compile", a.model, "-o", exe, "--target", target,
                     "--packing", packing, "--head", head, "--ctx", c])
                out = perplexity(wrap + [exe, "perplexity", "-t", "2"], chunks, base)
                same = "yes" if out == reference[head] else "**no**"
                kernels = re.search(r"^kernels: +(.*)$",
                                    run([tern, "inspect", exe]), re.M).group(1)
                rows.append((label, "compiled", packing, head, scores(out),
                             same, kernels))

    print("| target | path | --packing | head | PPL | KL vs lossless (nats) | same top token | same as reference | kernels |")
    print("|---|---|---|---|---|---|---|---|---|")
    for label, path, packing, head, (ppl, err, kl, klerr, top1), same, kernels in rows:
        print("| %s | %s | %s | %s | %s ± %s | %s ± %s | %s %% | %s | %s |" %
              (label, path, packing, head, ppl, err, kl, klerr, top1,
               same or "-", kernels))


if __name__ == "__main__":
    main()
