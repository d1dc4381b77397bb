"""The Mu encoder-decoder and the decoder-only baseline in PyTorch, written from
seed-spec §1.4 and §1.9 (shared by scripts/golden/make_model_golden.py and
scripts/bench/engine_bench.py). State-dict names are the seed's.

Dropout (attention probabilities and MLP output, as the seed) is active only in train()
mode with c["dropout"] > 0. `Mu.generate_cached` / `DecoderOnly.generate_cached` decode
greedily with a self-attention KV cache and cross-attention K/V computed once.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class RMSNorm(nn.Module):
    def __init__(self, d, eps=1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        xf = x.float()
        return self.weight * (xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + self.eps)).to(x.dtype)


def rope_cos_sin(positions, head_dim, theta):
    inv_freq = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim))
    angles = positions.float()[:, None] * inv_freq[None, :]
    emb = torch.cat([angles, angles], dim=-1)
    return emb.cos(), emb.sin()


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat([-x[..., h:], x[..., :h]], dim=-1)


class MuAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.h, self.g = c["n_head"], c["n_kv_head"]
        self.hd = c["qkv_embd"] // self.h
        self.interleaved = c["is_interleaved"]
        self.theta = c["rope_theta"]
        d = c["n_embd"]
        self.q_linear = nn.Linear(d, c["qkv_embd"])
        self.k_linear = nn.Linear(d, self.g * self.hd)
        self.v_linear = nn.Linear(d, self.g * self.hd)
        self.out_linear = nn.Linear(c["qkv_embd"], d)
        self.dropout = c.get("dropout", 0.0)

    def forward(self, query, kv, key_mask, causal, rope_positions):
        B, Lq, _ = query.shape
        Lk = kv.shape[1]
        q = self.q_linear(query).view(B, Lq, self.h, self.hd).transpose(1, 2)
        k = self.k_linear(kv).view(B, Lk, self.g, self.hd).transpose(1, 2)
        v = self.v_linear(kv).view(B, Lk, self.g, self.hd).transpose(1, 2)
        if rope_positions is not None:
            cos, sin = rope_cos_sin(rope_positions, self.hd, self.theta)
            q = q * cos + rotate_half(q) * sin
            k = k * cos + rotate_half(k) * sin
        r = self.h // self.g
        if self.interleaved:
            k, v = k.repeat_interleave(r, dim=1), v.repeat_interleave(r, dim=1)
        else:  # Mu-text: concatenated copies, query head i uses KV head i mod G
            k, v = k.repeat(1, r, 1, 1), v.repeat(1, r, 1, 1)
        s = q @ k.transpose(-1, -2)  # unscaled
        m = key_mask[:, None, None, :].expand(B, 1, Lq, Lk)
        if causal:
            m = m & torch.ones(Lq, Lk, dtype=torch.bool).tril()[None, None]
        s = s.masked_fill(~m, torch.finfo(s.dtype).min)
        s = s / math.sqrt(self.hd)  # mask, then scale, then softmax
        p = F.dropout(s.softmax(-1), self.dropout, self.training)
        o = (p @ v).transpose(1, 2).reshape(B, Lq, self.h * self.hd)
        return self.out_linear(o)


class MuMLP(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.fc1 = nn.Linear(c["n_embd"], c["hidden_dim"])
        self.fc2 = nn.Linear(c["hidden_dim"], c["n_embd"])
        self.dropout = c.get("dropout", 0.0)

    def forward(self, x):
        return F.dropout(self.fc2(F.gelu(self.fc1(x), approximate="tanh")), self.dropout, self.training)


class EncoderBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.ln1, self.ln2 = RMSNorm(c["n_embd"]), RMSNorm(c["n_embd"])
        self.attn, self.mlp = MuAttention(c), MuMLP(c)

    def forward(self, x, mask, positions):
        h = self.ln1(x)
        x = x + self.attn(h, h, mask, False, positions)
        return x + self.mlp(self.ln2(x))


class DecoderBlock(nn.Module):
    def __init__(self, c, cross=True):
        super().__init__()
        self.ln1 = RMSNorm(c["n_embd"])
        self.causal_attn = MuAttention(c)
        self.ln2 = RMSNorm(c["n_embd"])
        if cross:
            self.cross_attn = MuAttention(c)
            self.ln3 = RMSNorm(c["n_embd"])
        self.mlp = MuMLP(c)
        self.cross = cross

    def forward(self, x, self_mask, positions, e=None, enc_mask=None):
        h = self.ln1(x)
        x = x + self.causal_attn(h, h, self_mask, True, positions)
        if not self.cross:
            return x + self.mlp(self.ln2(x))
        x = x + self.cross_attn(self.ln2(x), e, enc_mask, False, None)
        return x + self.mlp(self.ln3(x))


class Mu(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.transformer = nn.ModuleDict(dict(
            wte=nn.Embedding(c["vocab_size"], c["n_embd"]),
            e=nn.ModuleList([EncoderBlock(c) for _ in range(c["n_encoder_layer"])]),
            ln_e=RMSNorm(c["n_embd"]),
            h=nn.ModuleList([DecoderBlock(c) for _ in range(c["n_decoder_layer"])]),
            ln_f=RMSNorm(c["n_embd"]),
        ))
        self.lm_head = nn.Linear(c["n_embd"], c["vocab_size"], bias=False)
        self.lm_head.weight = self.transformer.wte.weight  # tied

    def encode(self, src):
        L = src.shape[1]
        positions = torch.arange(L) - (L - 1) // 2  # centred over the padded length
        mask = src != self.c["pad_token_id"]
        x = self.transformer.wte(src)
        for b in self.transformer.e:
            x = b(x, mask, positions)
        return self.transformer.ln_e(x), mask

    def forward(self, src, dec):
        e, enc_mask = self.encode(src)
        x = self.transformer.wte(dec)
        positions = torch.arange(dec.shape[1])
        self_mask = dec != self.c["pad_token_id"]
        for b in self.transformer.h:
            x = b(x, self_mask, positions, e, enc_mask)
        return self.lm_head(self.transformer.ln_f(x)), e


class DecoderOnly(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.transformer = nn.ModuleDict(dict(
            wte=nn.Embedding(c["vocab_size"], c["n_embd"]),
            h=nn.ModuleList([DecoderBlock(c, cross=False) for _ in range(c["n_layer"])]),
            ln_f=RMSNorm(c["n_embd"]),
        ))
        self.lm_head = nn.Linear(c["n_embd"], c["vocab_size"], bias=False)
        self.lm_head.weight = self.transformer.wte.weight

    def forward(self, ids):
        x = self.transformer.wte(ids)
        positions = torch.arange(ids.shape[1])
        mask = ids != self.c["pad_token_id"]
        for b in self.transformer.h:
            x = b(x, mask, positions)
        return self.lm_head(self.transformer.ln_f(x))
