#!/usr/bin/env python3
"""Trains a small BitNet b1.58 (bitnet.py) on a tokenized text with
quantization-aware training and writes it as a Hugging Face directory that
Tern loads: config.json and model.safetensors with packed ternary weights
(uint8 codes w+1, four output blocks per byte, and a float32 weight_scale
that multiplies), float32 norms and embedding.

    python3 models/train/train.py CONFIG.json TRAIN.ids HELDOUT.ids OUT_DIR
        [--steps N] [--batch B] [--seq T] [--lr LR] [--seed S] [--threads N]
        [--float] [--checkpoint FILE]

TRAIN.ids and HELDOUT.ids are token ids separated by white space, as
`tern tokenize --ids` prints them, so the model learns the tokenization Tern
applies. Held-out perplexity is measured as `tern perplexity` does
(chunks of --seq tokens starting with <|begin_of_text|>, each scored on its
second half). --float trains the same network without quantization, as a
baseline. The master weights go to OUT_DIR/master.pt; --checkpoint starts
from such a file (with --steps 0 it only evaluates and exports).

The exported embedding is f16, as bitnet.cpp's GGUF files store it, and the
model is rounded to it before the held-out evaluation, so the recorded
perplexity is that of the exported model. Progress goes to stderr; the final
figures to OUT_DIR/train.json.
"""
import argparse
import copy
import json
import math
import os
import struct
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bitnet  # noqa: E402


def read_ids(path):
    with open(path) as f:
        return torch.tensor([int(t) for t in f.read().split()], dtype=torch.long)


def heldout_perplexity(model, ids, seq, bos, chunks=None):
    """exp(mean NLL) over chunks of `seq` tokens, BOS first, second half
    scored: `tern perplexity`'s method. Evaluated in float64: float32 sums
    in another order than Tern's move activations across int8 rounding
    boundaries often enough to shift the perplexity by ~1e-4 (relative),
    while Tern's reference (float32, double where it sums long rows) lands
    within ~2e-5 of the float64 figure."""
    model = copy.deepcopy(model).double()
    model.eval()
    n = len(ids) // seq if chunks is None else min(chunks, len(ids) // seq)
    nll, count = 0.0, 0
    with torch.no_grad():
        for c in range(n):
            chunk = ids[c * seq:(c + 1) * seq].clone()
            chunk[0] = bos
            logp = F.log_softmax(model(chunk[None])[0], -1)
            first = seq // 2
            target = chunk[first + 1:]
            nll -= logp[first:seq - 1].gather(1, target[:, None]).sum().item()
            count += len(target)
    return math.exp(nll / count)


def learning_rate(step, steps, peak):
    """Warm-up over 2 % of the steps, the peak rate for half of them, then a
    linear cool-down to 10 %: the two stages of the published recipes."""
    warm = max(1, steps // 50)
    if step < warm:
        return peak * (step + 1) / warm
    if step < steps // 2:
        return peak
    return peak * (1.0 - 0.9 * (step - steps // 2) / max(1, steps - steps // 2))


def pack(codes):
    """uint8 [out/4, in]: bits 2i..2i+1 of row r hold output row i*out/4 + r."""
    out = codes.shape[0] // 4
    c = (codes + 1).to(torch.uint8)
    return (c[:out] | (c[out:2 * out] << 2) | (c[2 * out:3 * out] << 4) |
            (c[3 * out:] << 6)).contiguous()


def write_safetensors(path, tensors):
    header, data, offset = {}, [], 0
    for name, t in tensors.items():
        raw = t.contiguous().numpy().tobytes()
        dtype = {torch.float32: "F32", torch.float16: "F16",
                 torch.uint8: "U8"}[t.dtype]
        header[name] = {"dtype": dtype, "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        data.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(data))


def export(model, config, out):
    """config.json and model.safetensors in the offline-quantized layout."""
    t = {"model.embed_tokens.weight": model.embedding.weight.detach().half(),
         "model.norm.weight": model.norm.weight.detach().float()}
    names = {"q": "self_attn.q_proj", "k": "self_attn.k_proj",
             "v": "self_attn.v_proj", "o": "self_attn.o_proj",
             "gate": "mlp.gate_proj", "up": "mlp.up_proj", "down": "mlp.down_proj"}
    for i, layer in enumerate(model.layers):
        p = "model.layers.%d." % i
        t[p + "input_layernorm.weight"] = layer.attn_norm.weight.detach().float()
        t[p + "post_attention_layernorm.weight"] = layer.ffn_norm.weight.detach().float()
        t[p + "self_attn.attn_sub_norm.weight"] = layer.attn_sub_norm.weight.detach().float()
        t[p + "mlp.ffn_sub_norm.weight"] = layer.ffn_sub_norm.weight.detach().float()
        for attr, name in names.items():
            # In float64, as the evaluation: the codes and scale do not
            # depend on the thread count that sums the absmean.
            codes, beta = bitnet.ternary(getattr(layer, attr).weight.detach().double())
            t[p + name + ".weight"] = pack(codes.to(torch.int8))
            t[p + name + ".weight_scale"] = beta.reshape(1).float()
    c = dict(config)
    c["quantization_config"] = {"quant_method": "bitnet",
                                "linear_class": "autobitlinear",
                                "quantization_mode": "offline"}
    c["torch_dtype"] = "float16"
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(c, f, indent=2)
    write_safetensors(os.path.join(out, "model.safetensors"), t)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("config")
    ap.add_argument("train")
    ap.add_argument("heldout")
    ap.add_argument("out")
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--seq", type=int, default=256)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=os.cpu_count(),
                    help="PyTorch threads (default: every CPU)")
    ap.add_argument("--float", action="store_true",
                    help="no quantization (the baseline)")
    ap.add_argument("--checkpoint", help="master weights to start from")
    a = ap.parse_args()
    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    with open(a.config) as f:
        config = json.load(f)
    if a.float:
        bitnet.quantize_activations = lambda x: x
        bitnet.quantize_weights = lambda w: w
    train, held = read_ids(a.train), read_ids(a.heldout)
    if int(max(train.max(), held.max())) >= config["vocab_size"]:
        sys.exit("train: token ids beyond the config's vocab_size")
    model = bitnet.BitNet(config)
    if a.checkpoint:
        model.load_state_dict(torch.load(a.checkpoint))
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    rest = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1},
                             {"params": rest, "weight_decay": 0.0}],
                            lr=a.lr, betas=(0.9, 0.95))
    start, loss_avg = time.time(), None
    for step in range(a.steps):
        lr = learning_rate(step, a.steps, a.lr)
        for g in opt.param_groups:
            g["lr"] = lr
        if step == a.steps // 2:  # second stage: no weight decay
            opt.param_groups[0]["weight_decay"] = 0.0
        at = torch.randint(0, len(train) - a.seq - 1, (a.batch,))
        x = torch.stack([train[i:i + a.seq] for i in at.tolist()])
        y = torch.stack([train[i + 1:i + a.seq + 1] for i in at.tolist()])
        loss = F.cross_entropy(model(x).flatten(0, 1), y.flatten())
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        loss_avg = loss.item() if loss_avg is None else 0.98 * loss_avg + 0.02 * loss.item()
        if step % 50 == 0 or step == a.steps - 1:
            print("step %d/%d loss %.3f lr %.2e %.0f s" %
                  (step, a.steps, loss_avg, lr, time.time() - start),
                  file=sys.stderr, flush=True)
    seconds = time.time() - start
    os.makedirs(a.out, exist_ok=True)
    torch.save(model.state_dict(), os.path.join(a.out, "master.pt"))
    with torch.no_grad():  # the exported embedding's precision
        model.embedding.weight.copy_(model.embedding.weight.half().float())
    bos = config["bos_token_id"]
    ppl = heldout_perplexity(model, held, a.seq, bos)
    # The training text scored the same way, on as many tokens as held out.
    train_ppl = heldout_perplexity(model, train, a.seq, bos,
                                   chunks=len(held) // a.seq)
    result = {"steps": a.steps, "batch": a.batch, "seq": a.seq, "lr": a.lr,
              "seed": a.seed, "quantized": not a.float,
              "train_loss_smoothed": loss_avg,
              "train_loss": math.log(train_ppl), "train_perplexity": train_ppl,
              "heldout_loss": math.log(ppl), "heldout_perplexity": ppl,
              "seconds": seconds, "threads": torch.get_num_threads()}
    if not a.float:
        export(model, config, a.out)
    with open(os.path.join(a.out, "train.json"), "w") as f:
        json.dump(result, f, indent=2)
    print(json.dumps(result), file=sys.stderr)


if __name__ == "__main__":
    main()
