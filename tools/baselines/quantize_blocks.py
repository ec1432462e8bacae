#!/usr/bin/env python3
"""NumPy + ml_dtypes baseline for blockcast's 128x128 block quantizer.

Same maths as Sources/BlockcastFormats/BlockQuantizer.swift (quantization.md): per tile
amax = max(max|W|, 1e-4), scale_inv = amax / 448 (float32), Q = e4m3fn(clip(W / scale_inv)),
plus the same error statistics (SQNR, max absolute error, max error relative to the tile
amax, non-zeros flushed to zero). Timed in-process (median of several runs) on the same
weight-like matrix as `blockcast-bench formats`, and printed as `name  value unit` lines.
"""
import argparse
import statistics
import time

import ml_dtypes
import numpy as np

TILE = 128


def weights(edge):
    """Weight-like values: a bell of small numbers with periodic outliers (the bench's shape)."""
    rng = np.random.default_rng(1234)
    u = rng.random(edge * edge, dtype=np.float32) - np.float32(0.5)
    w = u * u * u * np.float32(0.1)
    w[::4099] *= np.float32(40)
    return w.reshape(edge, edge)


def quantize(w, with_statistics):
    rows, columns = w.shape
    tile_rows, tile_columns = -(-rows // TILE), -(-columns // TILE)
    if rows % TILE or columns % TILE:
        padded = np.zeros((tile_rows * TILE, tile_columns * TILE), np.float32)
        padded[:rows, :columns] = w
    else:
        padded = w
    tiles = padded.reshape(tile_rows, TILE, tile_columns, TILE)

    amax = np.maximum(np.abs(tiles).max(axis=(1, 3)), np.float32(1e-4))
    scale_inv = (amax / np.float32(448)).astype(np.float32)
    scaled = tiles / scale_inv[:, None, :, None]
    codes = np.clip(scaled, -448, 448).astype(ml_dtypes.float8_e4m3fn)
    if not with_statistics:
        return codes, scale_inv, None

    restored = codes.astype(np.float32) * scale_inv[:, None, :, None]
    error = tiles - restored
    noise = float(np.sum(np.square(error, dtype=np.float64)))
    signal = float(np.sum(np.square(tiles, dtype=np.float64)))
    tile_error = np.abs(error).max(axis=(1, 3))
    stats = {
        "sqnr_db": float("inf") if noise == 0 else 10 * np.log10(signal / noise),
        "max_abs_error": float(tile_error.max()),
        "max_error_relative_to_amax": float((tile_error / amax).max()),
        "flushed_to_zero": int(np.count_nonzero((tiles != 0) & (restored == 0))),
    }
    return codes, scale_inv, stats


def median_seconds(body, repetitions):
    body()
    times = []
    for _ in range(repetitions):
        start = time.perf_counter()
        body()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def report(name, value, unit):
    print(f"{name:<44s}  {value:10.2f} {unit}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edge", type=int, default=4096, help="matrix edge (default 4096)")
    parser.add_argument("--repetitions", type=int, default=3)
    args = parser.parse_args()

    w = weights(args.edge)
    size = f"{args.edge}x{args.edge}"
    for with_statistics, label in [(True, "with statistics"), (False, "codes only")]:
        seconds = median_seconds(lambda: quantize(w, with_statistics), args.repetitions)
        report(f"numpy blockquant {size} {label}", w.nbytes / seconds / 1e9, "GB/s")


if __name__ == "__main__":
    main()
