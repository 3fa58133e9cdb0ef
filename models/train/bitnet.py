"""BitNet b1.58 (the 2B4T architecture) in PyTorch, computing as Tern's
reference forward pass does (runtime/reference, runtime/ternary):

- BitLinear: the input quantized per token to int8 (s = 127 / max|x|,
  round half to even, clamp to [-128, 127]), the weight to {-1, 0, +1}
  times its absmean beta = mean|W|; y = (q @ W^T) * beta / s. Training
  passes gradients straight through both roundings.
- RMSNorm in float32; attention with RoPE (half-split), grouped-query heads
  and attn_sub_norm before o_proj; the MLP down(ffn_sub_norm(relu(gate)^2 *
  up)); a tied head (logits = h @ embedding^T).

The configuration is a Hugging Face config.json of model_type "bitnet",
the form Tern reads.
"""
import math

import torch
import torch.nn.functional as F


def quantize_activations(x):
    """Per-token int8 absmax quantization, dequantized; straight-through."""
    s = 127.0 / x.abs().amax(dim=-1, keepdim=True).clamp(min=1e-5)
    q = torch.clamp(torch.round(x * s), -128, 127) / s
    return x + (q - x).detach()


def ternary(w):
    """(codes in {-1, 0, 1}, beta) of a master weight: absmean quantization."""
    beta = w.abs().mean().clamp(min=1e-5)
    return torch.clamp(torch.round(w / beta), -1, 1), beta


def quantize_weights(w):
    codes, beta = ternary(w)
    q = codes * beta
    return w + (q - w).detach()


class BitLinear(torch.nn.Module):
    def __init__(self, inputs, outputs):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.empty(outputs, inputs))
        torch.nn.init.normal_(self.weight, std=inputs ** -0.5)

    def forward(self, x):
        return F.linear(quantize_activations(x), quantize_weights(self.weight))


class RMSNorm(torch.nn.Module):
    def __init__(self, size, eps):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.ones(size))
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rope_tables(positions, head_dim, theta):
    inv = theta ** (-torch.arange(0, head_dim, 2, dtype=torch.float64) / head_dim)
    angles = torch.arange(positions, dtype=torch.float64)[:, None] * inv[None, :]
    return torch.cos(angles).float(), torch.sin(angles).float()


def rotate(x, cos, sin):
    """Half-split RoPE of x [batch, heads, time, head_dim]."""
    half = x.shape[-1] // 2
    x1, x2 = x[..., :half], x[..., half:]
    c, s = cos[: x.shape[-2]], sin[: x.shape[-2]]
    return torch.cat([x1 * c - x2 * s, x2 * c + x1 * s], dim=-1)


class Layer(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        h, f, d = c["hidden_size"], c["intermediate_size"], c["head_dim"]
        self.heads, self.kv_heads, self.head_dim = (
            c["num_attention_heads"], c["num_key_value_heads"], d)
        eps = c["rms_norm_eps"]
        self.attn_norm = RMSNorm(h, eps)
        self.q = BitLinear(h, self.heads * d)
        self.k = BitLinear(h, self.kv_heads * d)
        self.v = BitLinear(h, self.kv_heads * d)
        self.attn_sub_norm = RMSNorm(self.heads * d, eps)
        self.o = BitLinear(self.heads * d, h)
        self.ffn_norm = RMSNorm(h, eps)
        self.gate = BitLinear(h, f)
        self.up = BitLinear(h, f)
        self.ffn_sub_norm = RMSNorm(f, eps)
        self.down = BitLinear(f, h)

    def forward(self, x, cos, sin):
        b, t, _ = x.shape
        a = self.attn_norm(x)
        q = self.q(a).view(b, t, self.heads, self.head_dim).transpose(1, 2)
        k = self.k(a).view(b, t, self.kv_heads, self.head_dim).transpose(1, 2)
        v = self.v(a).view(b, t, self.kv_heads, self.head_dim).transpose(1, 2)
        q, k = rotate(q, cos, sin), rotate(k, cos, sin)
        group = self.heads // self.kv_heads
        k = k.repeat_interleave(group, dim=1)
        v = v.repeat_interleave(group, dim=1)
        scores = q @ k.transpose(-1, -2) / math.sqrt(self.head_dim)
        mask = torch.ones(t, t, dtype=torch.bool).triu(1)
        scores = scores.masked_fill(mask, float("-inf"))
        attn = (scores.softmax(-1) @ v).transpose(1, 2).reshape(b, t, -1)
        x = x + self.o(self.attn_sub_norm(attn))
        m = self.ffn_norm(x)
        g = F.relu(self.gate(m)).pow(2) * self.up(m)
        return x + self.down(self.ffn_sub_norm(g))


class BitNet(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        self.config = c
        self.embedding = torch.nn.Embedding(c["vocab_size"], c["hidden_size"])
        torch.nn.init.normal_(self.embedding.weight, std=c["hidden_size"] ** -0.5)
        self.layers = torch.nn.ModuleList(Layer(c) for _ in range(c["num_hidden_layers"]))
        self.norm = RMSNorm(c["hidden_size"], c["rms_norm_eps"])
        cos, sin = rope_tables(c["max_position_embeddings"], c["head_dim"], c["rope_theta"])
        self.register_buffer("cos", cos, persistent=False)
        self.register_buffer("sin", sin, persistent=False)

    def forward(self, tokens):
        x = self.embedding(tokens)
        for layer in self.layers:
            x = layer(x, self.cos, self.sin)
        return self.norm(x) @ self.embedding.weight.t()
