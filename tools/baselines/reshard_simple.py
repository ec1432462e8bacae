#!/usr/bin/env python3
"""Baseline for the reshard benchmark: tensor-parallel resharding done the simple way.

Loads every tensor of a safetensors checkpoint into memory at once, renames each to the
inference runtime's name and cuts it with NumPy following sharding.md (routed experts whole to
their rank, column/row-parallel weights in equal slices, scales in 128-blocks, the rest copied),
then saves each rank with safetensors.numpy.save_file. FP8 weights whose slices cut 128-blocks
are dequantized and re-quantized per rank, as `blockcast reshard --requantize-misaligned` does.

NumPy has no bfloat16 or FP8 dtype, so safetensors' NumPy loader refuses them; the loader here
reads the header itself and views the bytes through ml_dtypes (saving goes through the
safetensors package unchanged).

Usage: reshard_simple.py IN_DIR OUT_DIR WORLD_SIZE
"""
import glob
import json
import os
import shutil
import struct
import sys

import ml_dtypes
import numpy as np
from safetensors.numpy import save_file

DTYPES = {
    "F32": np.float32, "F16": np.float16, "BF16": ml_dtypes.bfloat16,
    "F8_E4M3": ml_dtypes.float8_e4m3fn, "F8_E5M2": ml_dtypes.float8_e5m2,
    "I64": np.int64, "I32": np.int32, "U8": np.uint8, "BOOL": np.bool_,
}
# Hugging Face module -> (inference module, split dim or None for replicated).
MODULES = {
    "embed_tokens": ("embed", 0), "input_layernorm": ("attn_norm", None),
    "post_attention_layernorm": ("ffn_norm", None), "q_proj": ("wq", 0),
    "q_a_proj": ("wq_a", None), "q_a_layernorm": ("q_norm", None), "q_b_proj": ("wq_b", 0),
    "kv_a_proj_with_mqa": ("wkv_a", None), "kv_a_layernorm": ("kv_norm", None),
    "kv_b_proj": ("wkv_b", 0), "o_proj": ("wo", 1), "gate": ("gate", None),
    "gate_proj": ("w1", 0), "down_proj": ("w2", 1), "up_proj": ("w3", 0),
    "norm": ("norm", None), "lm_head": ("head", 0),
}
BLOCK = 128


def load(path):
    """Every tensor of one safetensors file, as NumPy arrays over the file's bytes."""
    with open(path, "rb") as f:
        data = f.read()
    length = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + length])
    base = 8 + length
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        dtype = np.dtype(DTYPES[entry["dtype"]])
        count = (end - begin) // dtype.itemsize
        array = np.frombuffer(data, dtype=dtype, count=count, offset=base + begin)
        tensors[name] = array.reshape(entry["shape"])
    return tensors


def rename(name):
    """The inference name, split dim and routed-expert index of a Hugging Face name."""
    if name.startswith("model."):
        name = name[len("model."):]
    parts = name.split(".")
    swaps = {"self_attn": "attn", "mlp": "ffn", "weight_scale_inv": "scale",
             "e_score_correction_bias": "bias"}
    parts = [swaps.get(p, p) for p in parts]
    module, dim = MODULES[parts[-2]]
    parts[-2] = module
    expert = None
    if "experts" in parts and parts[parts.index("experts") - 1] == "ffn":
        expert = int(parts[parts.index("experts") + 1])
    return ".".join(parts), dim, expert


def requantize(values):
    """FP8 E4M3 codes and float32 scales of a float32 matrix in 128x128 tiles."""
    rows, cols = values.shape
    tr, tc = -(-rows // BLOCK), -(-cols // BLOCK)
    padded = np.zeros((tr * BLOCK, tc * BLOCK), dtype=np.float32)
    padded[:rows, :cols] = values
    tiles = padded.reshape(tr, BLOCK, tc, BLOCK)
    scale = (np.maximum(np.abs(tiles).max(axis=(1, 3)), np.float32(1e-4)) / np.float32(448))
    scale = scale.astype(np.float32)
    codes = np.clip(tiles / scale[:, None, :, None], -448, 448).astype(ml_dtypes.float8_e4m3fn)
    return np.ascontiguousarray(codes.reshape(tr * BLOCK, tc * BLOCK)[:rows, :cols]), scale


def dequantize(codes, scale):
    expanded = np.repeat(np.repeat(scale, BLOCK, axis=0), BLOCK, axis=1)
    return codes.astype(np.float32) * expanded[:codes.shape[0], :codes.shape[1]]


def main():
    source, out, world = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with open(os.path.join(source, "config.json")) as f:
        config = json.load(f)
    layers = config["num_hidden_layers"]
    experts = config["n_routed_experts"]
    per_rank = experts // world

    tensors = {}
    for path in sorted(glob.glob(os.path.join(source, "*.safetensors"))):
        tensors.update(load(path))

    ranks = [{} for _ in range(world)]
    for name in sorted(tensors):
        if name.endswith("weight_scale_inv"):
            continue
        if name.startswith("model.layers.") and int(name.split(".")[2]) >= layers:
            continue
        value = tensors[name]
        scale_name = name[:-len("weight")] + "weight_scale_inv"
        scale = tensors.get(scale_name) if name.endswith(".weight") else None
        short, dim, expert = rename(name)
        short_scale = short[:-len("weight")] + "scale"
        if expert is not None:
            ranks[expert // per_rank][short] = value
            if scale is not None:
                ranks[expert // per_rank][short_scale] = scale
            continue
        if dim is None or world == 1:
            for rank in ranks:
                rank[short] = value
                if scale is not None:
                    rank[short_scale] = scale
            continue
        size = value.shape[dim] // world
        if scale is not None and size % BLOCK != 0:
            full = dequantize(value, scale)
            for r, rank in enumerate(ranks):
                piece = np.take(full, range(r * size, (r + 1) * size), axis=dim)
                rank[short], rank[short_scale] = requantize(piece)
            continue
        for r, rank in enumerate(ranks):
            rank[short] = np.ascontiguousarray(
                np.take(value, range(r * size, (r + 1) * size), axis=dim))
            if scale is not None:
                blocks = size // BLOCK
                rank[short_scale] = np.ascontiguousarray(
                    np.take(scale, range(r * blocks, (r + 1) * blocks), axis=dim))

    os.makedirs(out, exist_ok=True)
    for r, rank in enumerate(ranks):
        save_file(rank, os.path.join(out, f"model{r}-mp{world}.safetensors"))
    for path in glob.glob(os.path.join(source, "*token*")) + [os.path.join(source, "config.json")]:
        shutil.copy(path, out)
    print(f"wrote {world} rank files, {sum(len(r) for r in ranks)} tensors")


if __name__ == "__main__":
    main()
