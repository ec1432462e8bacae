#!/usr/bin/env python3
"""Baseline for the quantize benchmark: the same conversion as `blockcast quantize`, in the
usual Python stack (h5py + numpy + ml_dtypes + safetensors).

Reads an HDF5 checkpoint (one dataset per tensor, groups following the dotted name), applies
the default FP8 policy of quantization.md (attention and MLP/expert projections to FP8 E4M3 in
128x128 tiles with float32 scale_inv = max(amax, 1e-4) / 448, the correction bias kept
float32, everything else bfloat16), measures SQNR / max error / flushed count per FP8 tensor
like the Swift tool does, and writes one safetensors file per layer plus an index.

Usage: quantize_checkpoint.py IN.h5 OUT_DIR
"""
import json
import os
import sys

import h5py
import ml_dtypes
import numpy as np
from safetensors.numpy import save_file

FP8_MODULES = {
    "q_proj", "q_a_proj", "q_b_proj", "kv_a_proj_with_mqa", "kv_b_proj", "o_proj",
    "gate_proj", "up_proj", "down_proj",
}
TILE = 128
E4M3_MAX = 448.0


def target(name, shape):
    if name.endswith("e_score_correction_bias"):
        return "f32"
    parts = name.split(".")
    if len(shape) == 2 and parts[-1] == "weight" and parts[-2] in FP8_MODULES:
        return "fp8"
    return "bf16"


def quantize(w):
    rows, cols = w.shape
    tr, tc = -(-rows // TILE), -(-cols // TILE)
    padded = np.zeros((tr * TILE, tc * TILE), dtype=np.float32)
    padded[:rows, :cols] = w
    tiles = padded.reshape(tr, TILE, tc, TILE)
    amax = np.maximum(np.abs(tiles).max(axis=(1, 3)), np.float32(1e-4))
    scale = (amax / np.float32(E4M3_MAX)).astype(np.float32)
    scaled = tiles / scale[:, None, :, None]
    scaled = np.clip(scaled, -E4M3_MAX, E4M3_MAX)
    codes = scaled.astype(ml_dtypes.float8_e4m3fn)
    back = codes.astype(np.float32) * scale[:, None, :, None]
    codes = codes.reshape(tr * TILE, tc * TILE)[:rows, :cols]
    back = back.reshape(tr * TILE, tc * TILE)[:rows, :cols]
    err = w - back
    noise = float(np.sum(err.astype(np.float64) ** 2))
    signal = float(np.sum(w.astype(np.float64) ** 2))
    stats = {
        "sqnr_db": float("inf") if noise == 0 else 10 * np.log10(signal / noise),
        "max_abs_error": float(np.abs(err).max()) if err.size else 0.0,
        "flushed": int(np.count_nonzero((w != 0) & (back == 0))),
    }
    return np.ascontiguousarray(codes), scale, stats


def datasets(h5):
    found = []
    h5.visititems(lambda n, o: found.append(n) if isinstance(o, h5py.Dataset) else None)
    return found


def group_of(name):
    prefix = "model.layers."
    if name.startswith(prefix):
        return int(name[len(prefix):].split(".")[0])
    return -1


def main():
    source, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    with h5py.File(source, "r") as h5:
        names = sorted((p.replace("/", ".") for p in datasets(h5)), key=group_of)
        groups = {}
        for name in names:
            groups.setdefault(group_of(name), []).append(name)
        files = sorted(groups)
        weight_map = {}
        report = {}
        for index, group in enumerate(files):
            tensors = {}
            for name in groups[group]:
                w = np.asarray(h5[name.replace(".", "/")][...], dtype=np.float32)
                kind = target(name, w.shape)
                if kind == "fp8":
                    codes, scale, stats = quantize(w)
                    tensors[name] = codes
                    tensors[name + "_scale_inv"] = scale
                    report[name] = stats
                elif kind == "f32":
                    tensors[name] = w
                else:
                    tensors[name] = w.astype(ml_dtypes.bfloat16)
            file = f"model-{index + 1:05d}-of-{len(files):05d}.safetensors"
            save_file(tensors, os.path.join(out, file))
            weight_map.update({name: file for name in tensors})
    with open(os.path.join(out, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {}, "weight_map": weight_map}, f, indent=2, sort_keys=True)
    worst = sorted(report.items(), key=lambda item: item[1]["sqnr_db"])[:5]
    print(f"quantized {len(report)} tensors; worst SQNR: "
          + ", ".join(f"{n} {s['sqnr_db']:.1f} dB" for n, s in worst))


if __name__ == "__main__":
    main()
