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
loader also reads a folder exactly as HF writes it (phi3: fused qkv/gate_up, longrope;
phi3_window: sliding_window 5 over 20 tokens, one row left-padded).
"""
import json
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch
import torch.nn.functional as F
from safetensors.torch import save_file

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
OUT = os.path.join(ROOT, "Tests", "SLMModelsTests", "Golden")

# AdamW as seed-spec §4.2, on a tiny scale: betas (0.9, 0.98), eps 1e-8, decay only on ≥2-D
# tensors, LambdaLR warmup s/W then cosine to S, clip at global norm 1.0.
OPT = dict(lr=3e-3, beta1=0.9, beta2=0.98, eps=1e-8, weight_decay=0.01, warmup=3, total=10,
           max_grad_norm=1.0, steps=10)


from mu_reference import Mu, DecoderOnly  # noqa: E402  (seed-spec §1.4 in PyTorch)


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


def hf_model(cls, cfg, name, seed, std=0.05):
    """transformers' own model (eager attention): norms 1 + 0.1·N(0,1), other weights std·N(0,1),
    saved with save_pretrained as OUT/name."""
    torch.manual_seed(seed)
    model = cls._from_config(cfg, attn_implementation="eager").float()
    with torch.no_grad():
        for n, p in model.named_parameters():
            if n.endswith("norm.weight") or n.endswith("layernorm.weight"):
                p.copy_(1 + 0.1 * torch.randn(p.shape))
            else:
                p.copy_(std * torch.randn(p.shape))
    folder = os.path.join(OUT, name)
    os.makedirs(folder, exist_ok=True)
    model.save_pretrained(folder, safe_serialization=True)
    return model


def llama_golden():
    from transformers import LlamaConfig, LlamaForCausalLM
    cfg = LlamaConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                      num_key_value_heads=2, vocab_size=64, tie_word_embeddings=True, attention_bias=True,
                      rms_norm_eps=1e-5, rope_theta=10000.0, max_position_embeddings=128, bos_token_id=1,
                      eos_token_id=2, pad_token_id=0)
    model = hf_model(LlamaForCausalLM, cfg, "llama", 44)
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
    model = hf_model(Phi3ForCausalLM, cfg, "phi3", 45)
    g = torch.Generator().manual_seed(10)
    short_ids = torch.randint(3, 64, (1, 12), generator=g)  # ≤ 16: short factors
    long_ids = torch.randint(3, 64, (1, 20), generator=g)   # > 16: long factors
    tensors = dict(short_ids=short_ids, short_logits=model(input_ids=short_ids).logits.reshape(-1, 64),
                   long_ids=long_ids, long_logits=model(input_ids=long_ids).logits.reshape(-1, 64))
    import transformers
    write_folder("phi3", None, model, tensors, dict(transformers=transformers.__version__), hf_saved=True)


def phi3_window_golden():
    """Phi-3 with sliding_window 5 over 20 tokens: transformers' own mask (kv > q − window),
    in every layer; a second batch row is left-padded so the window meets the padding mask."""
    from transformers import Phi3Config, Phi3ForCausalLM
    cfg = Phi3Config(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                     num_key_value_heads=2, vocab_size=64, tie_word_embeddings=False, rms_norm_eps=1e-5,
                     rope_theta=10000.0, max_position_embeddings=64, rope_scaling=None,
                     bos_token_id=1, eos_token_id=2, pad_token_id=0, sliding_window=5)
    model = hf_model(Phi3ForCausalLM, cfg, "phi3_window", 46, std=0.2)
    g = torch.Generator().manual_seed(11)
    ids = torch.randint(3, 64, (2, 20), generator=g)
    ids[1, :3] = 0
    mask = torch.ones_like(ids)
    mask[1, :3] = 0
    tensors = dict(ids=ids, attention_mask=mask,
                   logits=model(input_ids=ids, attention_mask=mask).logits.reshape(-1, 64))
    import transformers
    write_folder("phi3_window", None, model, tensors, dict(transformers=transformers.__version__), hf_saved=True)


if __name__ == "__main__":
    torch.set_num_threads(1)
    which = sys.argv[1:] or ["mu", "baseline", "llama", "phi3", "phi3_window"]
    for w in which:
        dict(mu=mu_golden, baseline=baseline_golden, llama=llama_golden, phi3=phi3_golden,
             phi3_window=phi3_window_golden)[w]()
        print("wrote", os.path.join(OUT, w))
