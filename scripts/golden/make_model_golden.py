#!/usr/bin/env python3
"""Golden outputs for the Swift engine, written by PyTorch on CPU in fp32 (as llm.c's
test_gpt2 does): Tests/SLMModelsTests/Golden/<model>/.

    pip install torch==2.13.0+cpu safetensors transformers   # versions used: see golden.json
    python3 scripts/golden/make_model_golden.py

For each tiny model the folder holds an HF-style model (config.json + model.safetensors,
the initial weights), golden.safetensors (inputs as I64, logits, encoder outputs, the
gradient of the loss for every parameter as "grad.<name>") and golden.json (the loss of each
of 10 AdamW steps and the optimiser settings).

mu/ and baseline/ use the PyTorch models below, written from seed-spec §1.4 (the Mu encoder-
decoder, with qkv width < width and 2:1 GQA in the Mu-text "concatenated copies" KV order; the
decoder-only baseline of §1.9 from the same blocks). llama/ and phi3/ use transformers'
own LlamaForCausalLM / Phi3ForCausalLM (eager attention) and save_pretrained, so the Swift
loader also reads a folder exactly as HF writes it (phi3: fused qkv/gate_up, longrope).
"""
import json
import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import save_file

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
OUT = os.path.join(ROOT, "Tests", "SLMModelsTests", "Golden")

# AdamW as seed-spec §4.2, on a tiny scale: betas (0.9, 0.98), eps 1e-8, decay only on ≥2-D
# tensors, LambdaLR warmup s/W then cosine to S, clip at global norm 1.0.
OPT = dict(lr=3e-3, beta1=0.9, beta2=0.98, eps=1e-8, weight_decay=0.01, warmup=3, total=10,
           max_grad_norm=1.0, steps=10)


# --------------------------------------------------------------------------------------
# Mu (seed-spec §1.4)

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
        p = s.softmax(-1)
        o = (p @ v).transpose(1, 2).reshape(B, Lq, self.h * self.hd)
        return self.out_linear(o)


class MuMLP(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.fc1 = nn.Linear(c["n_embd"], c["hidden_dim"])
        self.fc2 = nn.Linear(c["hidden_dim"], c["n_embd"])

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x), approximate="tanh"))


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


def init_seed_style(model, seed):
    g = torch.Generator().manual_seed(seed)
    for name, p in model.named_parameters():
        with torch.no_grad():
            if name.endswith("ln1.weight") or name.endswith("ln2.weight") or name.endswith("ln3.weight") \
                    or name.endswith("ln_e.weight") or name.endswith("ln_f.weight"):
                p.fill_(1.0)
                p.add_(0.1 * torch.randn(p.shape, generator=g))  # not 1: exercises the norm weights
            elif name.endswith(".bias"):
                p.copy_(0.02 * torch.randn(p.shape, generator=g))  # not 0: exercises the bias paths
            else:
                p.copy_(0.02 * torch.randn(p.shape, generator=g))


# --------------------------------------------------------------------------------------
# Training and file output

def lr_lambda(s):
    W, S = OPT["warmup"], OPT["total"]
    if s <= W:
        return s / W
    return 0.5 * (1 + math.cos(math.pi * (s - W) / (S - W)))


def adamw_trajectory(model, loss_fn):
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": OPT["weight_decay"]},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=OPT["lr"], betas=(OPT["beta1"], OPT["beta2"]), eps=OPT["eps"], foreach=False)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_lambda)
    losses, norms = [], []
    for _ in range(OPT["steps"]):
        opt.zero_grad()
        loss = loss_fn()
        loss.backward()
        norms.append(float(torch.nn.utils.clip_grad_norm_(model.parameters(), OPT["max_grad_norm"])))
        losses.append(float(loss))
        opt.step()
        sched.step()
    return losses, norms


def write_folder(name, config, model, tensors, extra, hf_saved=False):
    folder = os.path.join(OUT, name)
    os.makedirs(folder, exist_ok=True)
    if not hf_saved:
        with open(os.path.join(folder, "config.json"), "w") as f:
            json.dump(config, f, indent=2, sort_keys=True)
            f.write("\n")
        sd = {k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}
        save_file(sd, os.path.join(folder, "model.safetensors"), metadata={"format": "pt"})
    save_file({k: v.detach().contiguous() for k, v in tensors.items()}, os.path.join(folder, "golden.safetensors"))
    meta = dict(torch=torch.__version__, optimizer=OPT, **extra)
    with open(os.path.join(folder, "golden.json"), "w") as f:
        json.dump(meta, f, indent=2, sort_keys=True)
        f.write("\n")


def grads_of(model, loss):
    model.zero_grad()
    loss.backward()
    return {"grad." + n: p.grad.detach().clone() for n, p in model.named_parameters()}


def mu_golden():
    c = dict(model_type="mu", n_encoder_layer=2, n_decoder_layer=1, n_embd=32, qkv_embd=24, n_head=4, n_kv_head=2,
             is_interleaved=False, hidden_dim=64, block_size=1024, dropout=0.0, rope_theta=10000.0,
             rope_factor=1.0, pad_token_id=0, vocab_size=64, bos_token_id=1, eos_token_id=2)
    torch.manual_seed(0)
    model = Mu(c)
    init_seed_style(model, 42)
    g = torch.Generator().manual_seed(7)
    src = torch.randint(3, 64, (2, 7), generator=g)
    src[1, 4:] = 0  # right padding
    y = torch.randint(3, 64, (2, 5), generator=g)
    y[0, 4] = 2
    y[1, 2] = 2
    y[1, 3:] = 0
    dec = torch.cat([torch.ones(2, 1, dtype=torch.long), y[:, :-1]], dim=1)
    logits, e = model(src, dec)
    loss = F.cross_entropy(logits.reshape(-1, 64), y.reshape(-1), ignore_index=0)
    tensors = dict(source=src, decoder_input=dec, labels=y, logits=logits.reshape(-1, 64), encoder_output=e.reshape(-1, 32))
    tensors.update(grads_of(model, loss))
    init_state = {k: v.detach().clone() for k, v in model.state_dict().items()}

    def step_loss():
        lg, _ = model(src, dec)
        return F.cross_entropy(lg.reshape(-1, 64), y.reshape(-1), ignore_index=0)
    losses, norms = adamw_trajectory(model, step_loss)
    model.load_state_dict(init_state)
    write_folder("mu", c, model, tensors, dict(loss=float(loss), losses=losses, grad_norms=norms, ignore_index=0))


def baseline_golden():
    c = dict(model_type="mu_decoder_only", n_layer=3, n_embd=32, qkv_embd=24, n_head=4, n_kv_head=2,
             is_interleaved=False, hidden_dim=64, block_size=1024, dropout=0.0, rope_theta=10000.0,
             rope_factor=1.0, pad_token_id=0, vocab_size=64, bos_token_id=1, eos_token_id=2,
             n_encoder_layer=0, n_decoder_layer=0)
    torch.manual_seed(0)
    model = DecoderOnly(c)
    init_seed_style(model, 43)
    g = torch.Generator().manual_seed(8)
    ids = torch.randint(3, 64, (2, 9), generator=g)
    ids[1, 6:] = 0
    labels = torch.zeros_like(ids)
    labels[:, :-1] = ids[:, 1:]
    logits = model(ids)
    loss = F.cross_entropy(logits.reshape(-1, 64), labels.reshape(-1), ignore_index=0)
    tensors = dict(ids=ids, labels=labels, logits=logits.reshape(-1, 64))
    tensors.update(grads_of(model, loss))
    init_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    losses, norms = adamw_trajectory(
        model, lambda: F.cross_entropy(model(ids).reshape(-1, 64), labels.reshape(-1), ignore_index=0))
    model.load_state_dict(init_state)
    write_folder("baseline", c, model, tensors, dict(loss=float(loss), losses=losses, grad_norms=norms, ignore_index=0))


def llama_golden():
    from transformers import LlamaConfig, LlamaForCausalLM
    cfg = LlamaConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                      num_key_value_heads=2, vocab_size=64, tie_word_embeddings=True, attention_bias=True,
                      rms_norm_eps=1e-5, rope_theta=10000.0, max_position_embeddings=128, bos_token_id=1,
                      eos_token_id=2, pad_token_id=0)
    torch.manual_seed(44)
    model = LlamaForCausalLM._from_config(cfg, attn_implementation="eager").float()
    with torch.no_grad():
        for n, p in model.named_parameters():
            if n.endswith("norm.weight") or n.endswith("layernorm.weight"):
                p.copy_(1 + 0.1 * torch.randn(p.shape))
            else:
                p.copy_(0.05 * torch.randn(p.shape))
    folder = os.path.join(OUT, "llama")
    os.makedirs(folder, exist_ok=True)
    model.save_pretrained(folder, safe_serialization=True)
    g = torch.Generator().manual_seed(9)
    ids = torch.randint(3, 64, (2, 6), generator=g)
    ids[1, :2] = 0  # left padding, masked through attention_mask
    mask = torch.ones_like(ids)
    mask[1, :2] = 0
    labels = torch.full_like(ids, -100)
    labels[:, :-1] = ids[:, 1:]
    labels[1, :2] = -100
    logits = model(input_ids=ids, attention_mask=mask).logits
    loss = F.cross_entropy(logits.reshape(-1, 64), labels.reshape(-1), ignore_index=-100)
    tensors = dict(ids=ids, attention_mask=mask, labels=labels, logits=logits.reshape(-1, 64))
    tensors.update(grads_of(model, loss))
    losses, norms = adamw_trajectory(
        model, lambda: F.cross_entropy(model(input_ids=ids, attention_mask=mask).logits.reshape(-1, 64),
                                       labels.reshape(-1), ignore_index=-100))
    import transformers
    write_folder("llama", None, model, tensors,
                 dict(loss=float(loss), losses=losses, grad_norms=norms, ignore_index=-100,
                      transformers=transformers.__version__), hf_saved=True)


def phi3_golden():
    from transformers import Phi3Config, Phi3ForCausalLM
    hd = 8
    short = [1.0, 1.1, 1.3, 1.7]
    long = [1.0, 2.0, 4.0, 8.0]
    cfg = Phi3Config(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                     num_key_value_heads=2, vocab_size=64, tie_word_embeddings=False, rms_norm_eps=1e-5,
                     rope_theta=10000.0, max_position_embeddings=64, original_max_position_embeddings=16,
                     rope_scaling=dict(type="longrope", short_factor=short, long_factor=long),
                     bos_token_id=1, eos_token_id=2, pad_token_id=0, sliding_window=None)
    assert cfg.hidden_size // cfg.num_attention_heads == hd
    torch.manual_seed(45)
    model = Phi3ForCausalLM._from_config(cfg, attn_implementation="eager").float()
    with torch.no_grad():
        for n, p in model.named_parameters():
            if n.endswith("norm.weight") or n.endswith("layernorm.weight"):
                p.copy_(1 + 0.1 * torch.randn(p.shape))
            else:
                p.copy_(0.05 * torch.randn(p.shape))
    folder = os.path.join(OUT, "phi3")
    os.makedirs(folder, exist_ok=True)
    model.save_pretrained(folder, safe_serialization=True)
    g = torch.Generator().manual_seed(10)
    short_ids = torch.randint(3, 64, (1, 12), generator=g)  # ≤ 16: short factors
    long_ids = torch.randint(3, 64, (1, 20), generator=g)   # > 16: long factors
    tensors = dict(short_ids=short_ids, short_logits=model(input_ids=short_ids).logits.reshape(-1, 64),
                   long_ids=long_ids, long_logits=model(input_ids=long_ids).logits.reshape(-1, 64))
    import transformers
    write_folder("phi3", None, model, tensors, dict(transformers=transformers.__version__), hf_saved=True)


if __name__ == "__main__":
    torch.set_num_threads(1)
    which = sys.argv[1:] or ["mu", "baseline", "llama", "phi3"]
    for w in which:
        dict(mu=mu_golden, baseline=baseline_golden, llama=llama_golden, phi3=phi3_golden)[w]()
        print("wrote", os.path.join(OUT, w))
