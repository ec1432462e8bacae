#!/usr/bin/env python3
"""PyTorch CPU baseline of blockcast's forward pass (float32), written from model.md.

Runs a DeepSeek-V3-class checkpoint (Hugging Face tensor names, safetensors) on token ids and
reports tokens/s; with --logits it writes the float32 logits of every position as tensor
`logits` [sequences, positions, vocab] (the layout `blockcast run` writes), so
tools/crosscheck-torch can compare the two implementations position by position.

FP8 projections (`weight` + `weight_scale_inv`) are dequantized to float32 first, so on an
FP8 checkpoint this is the fp8-dequant path. Without PyTorch installed it says so and exits 0.

    torch_forward.py CHECKPOINT [--tokens FILE] [--logits OUT] [--order absorbed|naive]
                     [--threads N] [--repeat R]
"""
import argparse
import glob
import json
import math
import os
import sys
import time

try:
    import torch
    import torch.nn.functional as F
except ImportError:
    print("torch_forward: PyTorch is not installed; skipping")
    sys.exit(0)

from safetensors import safe_open


# ---------------------------------------------------------------------------------------------
# Configuration, in either spelling (model.md, "Configuration").

def read_config(path):
    with open(path) as f:
        raw = json.load(f)
    hf = "hidden_size" in raw

    def get(inference, huggingface, default):
        value = raw.get(huggingface if hf else inference)
        return default if value is None else value

    scaling = (raw.get("rope_scaling") or {}) if hf else {}
    c = {
        "vocab": get("vocab_size", "vocab_size", 102400),
        "dim": get("dim", "hidden_size", 2048),
        "inter": get("inter_dim", "intermediate_size", 10944),
        "moe_inter": get("moe_inter_dim", "moe_intermediate_size", 1408),
        "layers": get("n_layers", "num_hidden_layers", 27),
        "dense": get("n_dense_layers", "first_k_dense_replace", 1),
        "heads": get("n_heads", "num_attention_heads", 16),
        "experts": get("n_routed_experts", "n_routed_experts", 64),
        "shared": get("n_shared_experts", "n_shared_experts", 2),
        "active": get("n_activated_experts", "num_experts_per_tok", 6),
        "groups": get("n_expert_groups", "n_group", 1),
        "limited": get("n_limited_groups", "topk_group", 1),
        "score": get("score_func", "scoring_func", "softmax"),
        "route_scale": float(get("route_scale", "routed_scaling_factor", 1.0)),
        "q_lora": get("q_lora_rank", "q_lora_rank", 0) or 0,
        "kv_lora": get("kv_lora_rank", "kv_lora_rank", 512),
        "dn": get("qk_nope_head_dim", "qk_nope_head_dim", 128),
        "dr": get("qk_rope_head_dim", "qk_rope_head_dim", 64),
        "dv": get("v_head_dim", "v_head_dim", 128),
        "theta": float(get("rope_theta", "rope_theta", 10000.0)),
        "max_seq": get("max_seq_len", "max_position_embeddings", 16384),
        "eps": float(raw.get("rms_norm_eps", 1e-6)),
    }
    if hf:
        c["original"] = scaling.get("original_max_position_embeddings", 4096)
        c["factor"] = float(scaling.get("factor", 40))
        c["beta_fast"] = float(scaling.get("beta_fast", 32))
        c["beta_slow"] = float(scaling.get("beta_slow", 1))
        c["mscale"] = float(scaling.get("mscale_all_dim", 1.0))
        c["yarn"] = (scaling.get("type") or scaling.get("rope_type")) == "yarn"
        method = raw.get("topk_method")
        c["bias"] = method == "noaux_tc" if method is not None else c["score"] == "sigmoid"
    else:
        c["original"] = raw.get("original_seq_len", 4096)
        c["factor"] = float(raw.get("rope_factor", 40))
        c["beta_fast"] = float(raw.get("beta_fast", 32))
        c["beta_slow"] = float(raw.get("beta_slow", 1))
        c["mscale"] = float(raw.get("mscale", 1.0))
        c["yarn"] = c["max_seq"] > c["original"]
        c["bias"] = c["score"] == "sigmoid"
    return c


# ---------------------------------------------------------------------------------------------
# Weights: every tensor as float32, FP8 projections dequantized with their 128x128 scales.

def load_weights(checkpoint):
    files = [checkpoint] if os.path.isfile(checkpoint) else sorted(
        glob.glob(os.path.join(checkpoint, "*.safetensors")))
    raw = {}
    for name in files:
        with safe_open(name, framework="pt") as f:
            for key in f.keys():
                raw[key] = f.get_tensor(key)
    weights = {}
    for key, tensor in raw.items():
        if key.endswith("weight_scale_inv"):
            continue
        if tensor.dtype == torch.float8_e4m3fn:
            scale = raw[key + "_scale_inv"].float()
            rows, columns = tensor.shape
            expanded = scale.repeat_interleave(128, 0)[:rows].repeat_interleave(128, 1)[:, :columns]
            weights[key] = tensor.float() * expanded
        else:
            weights[key] = tensor.float()
    return weights


# ---------------------------------------------------------------------------------------------
# The forward pass (model.md, "Forward pass, one sequence of T tokens").

def rms_norm(x, weight, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * weight


def frequencies(c):
    d = c["dr"]
    f = 1.0 / (c["theta"] ** (torch.arange(0, d, 2, dtype=torch.float32) / d))
    if c["yarn"]:
        def corr(rotations):
            return d * math.log(c["original"] / (rotations * 2 * math.pi)) / (
                2 * math.log(c["theta"]))
        low = max(math.floor(corr(c["beta_fast"])), 0)
        high = min(math.ceil(corr(c["beta_slow"])), d - 1)
        if low == high:
            high += 0.001
        ramp = ((torch.arange(d // 2, dtype=torch.float32) - low) / (high - low)).clamp(0, 1)
        smooth = 1 - ramp
        f = f / c["factor"] * (1 - smooth) + f * smooth
    return f


def rotate(x, angles):
    """Interleaved pairs (x[2i], x[2i+1]) as complex numbers times exp(j * angle)."""
    pairs = torch.view_as_complex(x.float().reshape(*x.shape[:-1], -1, 2))
    rotated = pairs * torch.polar(torch.ones_like(angles), angles)
    return torch.view_as_real(rotated).flatten(-2)


def mla(x, w, prefix, c, angles, order):
    t = x.shape[0]
    h, dn, dr, dv, lora = c["heads"], c["dn"], c["dr"], c["dv"], c["kv_lora"]
    if c["q_lora"] == 0:
        q = x @ w[prefix + "q_proj.weight"].T
    else:
        q = rms_norm(x @ w[prefix + "q_a_proj.weight"].T,
                     w[prefix + "q_a_layernorm.weight"], c["eps"])
        q = q @ w[prefix + "q_b_proj.weight"].T
    q = q.view(t, h, dn + dr)
    q_nope, q_pe = q[..., :dn], rotate(q[..., dn:], angles[:, None, :])
    kv = x @ w[prefix + "kv_a_proj_with_mqa.weight"].T
    latent = rms_norm(kv[:, :lora], w[prefix + "kv_a_layernorm.weight"], c["eps"])
    k_pe = rotate(kv[:, lora:], angles)
    wkv_b = w[prefix + "kv_b_proj.weight"].view(h, dn + dv, lora)

    scale = (dn + dr) ** -0.5
    if c["yarn"]:
        m = 0.1 * c["mscale"] * math.log(c["factor"]) + 1
        scale *= m * m
    mask = torch.full((t, t), float("-inf")).triu(1)
    if order == "naive":
        k_nope = torch.einsum("sc,hdc->shd", latent, wkv_b[:, :dn])
        v = torch.einsum("sc,hdc->shd", latent, wkv_b[:, dn:])
        scores = (torch.einsum("thd,shd->ths", q_nope, k_nope)
                  + torch.einsum("thr,sr->ths", q_pe, k_pe)) * scale
        p = (scores + mask[:, None, :]).softmax(-1, dtype=torch.float32)
        o = torch.einsum("ths,shd->thd", p, v)
    else:
        folded = torch.einsum("thd,hdc->thc", q_nope, wkv_b[:, :dn])
        scores = (torch.einsum("thc,sc->ths", folded, latent)
                  + torch.einsum("thr,sr->ths", q_pe, k_pe)) * scale
        p = (scores + mask[:, None, :]).softmax(-1, dtype=torch.float32)
        o = torch.einsum("ths,sc->thc", p, latent)
        o = torch.einsum("thc,hdc->thd", o, wkv_b[:, dn:])
    return o.reshape(t, h * dv) @ w[prefix + "o_proj.weight"].T


def mlp(x, w, prefix):
    gate = x @ w[prefix + "gate_proj.weight"].T
    up = x @ w[prefix + "up_proj.weight"].T
    return (F.silu(gate) * up) @ w[prefix + "down_proj.weight"].T


def topk_lower_first(values, k):
    """Top-k along the last axis, ties to the lower index (a stable descending sort)."""
    return torch.sort(values, dim=-1, descending=True, stable=True)[1][..., :k]


def moe(x, w, prefix, c):
    raw = x @ w[prefix + "gate.weight"].T
    scores = raw.softmax(-1, dtype=torch.float32) if c["score"] == "softmax" else raw.sigmoid()
    biased = scores + w[prefix + "gate.e_score_correction_bias"] if c["bias"] else scores
    if c["groups"] > 1:
        grouped = biased.view(x.shape[0], c["groups"], -1)
        if c["bias"]:
            group_scores = grouped.sort(-1, descending=True)[0][..., :2].sum(-1)
        else:
            group_scores = grouped.amax(-1)
        kept = topk_lower_first(group_scores, c["limited"])
        mask = torch.ones_like(group_scores, dtype=torch.bool).scatter_(1, kept, False)
        biased = grouped.masked_fill(mask[..., None], float("-inf")).flatten(1)
    chosen = topk_lower_first(biased, c["active"])
    weights = scores.gather(1, chosen)
    if c["score"] == "sigmoid":
        weights = weights / weights.sum(-1, keepdim=True)
    weights = weights * c["route_scale"]

    y = torch.zeros_like(x)
    for e in range(c["experts"]):
        rows, slot = torch.where(chosen == e)
        if len(rows):
            y[rows] += mlp(x[rows], w, f"{prefix}experts.{e}.") * weights[rows, slot, None]
    if c["shared"] > 0:
        y = y + mlp(x, w, prefix + "shared_experts.")
    return y


def forward(tokens, w, c, order):
    h = w["model.embed_tokens.weight"][tokens]
    angles = torch.outer(torch.arange(len(tokens), dtype=torch.float32), frequencies(c))
    for layer in range(c["layers"]):
        prefix = f"model.layers.{layer}."
        x = rms_norm(h, w[prefix + "input_layernorm.weight"], c["eps"])
        h = h + mla(x, w, prefix + "self_attn.", c, angles, order)
        x = rms_norm(h, w[prefix + "post_attention_layernorm.weight"], c["eps"])
        if layer < c["dense"]:
            h = h + mlp(x, w, prefix + "mlp.")
        else:
            h = h + moe(x, w, prefix + "mlp.", c)
    return rms_norm(h, w["model.norm.weight"], c["eps"]) @ w["lm_head.weight"].T


# ---------------------------------------------------------------------------------------------

def read_tokens(path, c):
    if path is None:
        generator = torch.Generator().manual_seed(0)
        return torch.randint(0, c["vocab"], (4, 32), generator=generator).tolist()
    with open(path) as f:
        text = f.read().strip()
    if text.startswith("["):
        return json.loads(text)
    return [[int(v) for v in line.replace(",", " ").split()] for line in text.splitlines()
            if line.strip()]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("checkpoint")
    parser.add_argument("--config", help="config.json (default: beside the checkpoint)")
    parser.add_argument("--tokens")
    parser.add_argument("--logits")
    parser.add_argument("--order", choices=["absorbed", "naive"], default="absorbed")
    parser.add_argument("--threads", type=int)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    folder = args.checkpoint if os.path.isdir(args.checkpoint) else os.path.dirname(
        os.path.abspath(args.checkpoint))
    c = read_config(args.config or os.path.join(folder, "config.json"))
    w = load_weights(args.checkpoint)
    sequences = read_tokens(args.tokens, c)

    times = []
    with torch.no_grad():
        for _ in range(max(1, args.repeat)):
            start = time.perf_counter()
            logits = [forward(torch.tensor(s), w, c, args.order) for s in sequences]
            times.append(time.perf_counter() - start)
    count = sum(len(s) for s in sequences)
    seconds = sorted(times)[len(times) // 2]
    print(f"{'torch forward fp32 (' + args.order + ')':<44}  {count / seconds:10.2f} tokens/s")

    if args.logits:
        from safetensors.torch import save_file
        save_file({"logits": torch.stack(logits).contiguous()}, args.logits)


if __name__ == "__main__":
    main()
