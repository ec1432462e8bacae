#!/usr/bin/env python3
"""h5py and safetensors read baselines for `blockcast-bench containers`.

Reads the checkpoints the Swift suite just wrote (DIRECTORY/st, /h5, /h5z) the way a Python
user would, with the same definition of "read": every tensor's data ends up in memory and is
summed as 64-bit words. Also times a raw read(2) of the safetensors file. Median of several
runs, files in the page cache; prints `name  value unit` lines in GB/s of tensor data.
"""
import os
import statistics
import sys
import time

import h5py
import hdf5plugin  # noqa: F401  (registers the zstd filter, id 32015)
import numpy as np
from safetensors import safe_open

RUNS = 5


def median_gbps(nbytes, body):
    body()
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        body()
        times.append(time.perf_counter() - start)
    return nbytes / statistics.median(times) / 1e9


def touch(array):
    flat = array.reshape(-1).view(np.uint8)
    return int(flat[: flat.size // 8 * 8].view(np.uint64).sum(dtype=np.uint64))


def read_h5(path):
    total = 0
    with h5py.File(path, "r") as f:
        names = []
        f.visititems(lambda n, o: names.append(n) if isinstance(o, h5py.Dataset) else None)
        for name in names:
            total += touch(f[name][()])
    return total


def read_safetensors(path):
    total = 0
    with safe_open(path, framework="numpy") as f:
        for name in f.keys():
            total += touch(f.get_tensor(name))
    return total


def raw_read(path):
    buffer = bytearray(8 << 20)
    view = memoryview(buffer)
    total = 0
    with open(path, "rb", buffering=0) as f:
        while True:
            n = f.readinto(view)
            if not n:
                break
            total += n
    return total


def main():
    directory = sys.argv[1]
    st = os.path.join(directory, "st", "model.safetensors")
    with safe_open(st, framework="numpy") as f:
        nbytes = sum(f.get_slice(k).get_shape()[0] * f.get_slice(k).get_shape()[1] * 4
                     for k in f.keys())
    level = 3
    figures = [
        ("h5py read hdf5", lambda: read_h5(os.path.join(directory, "h5", "model.h5"))),
        ("h5py read hdf5 zstd=%d" % level,
         lambda: read_h5(os.path.join(directory, "h5z", "model.h5"))),
        ("safetensors read", lambda: read_safetensors(st)),
        ("python raw read(2) of the safetensors file", lambda: raw_read(st)),
    ]
    print("# python baselines: h5py %s, safetensors (numpy), numpy %s"
          % (h5py.__version__, np.__version__))
    for name, body in figures:
        print("%-44s  %10.2f GB/s" % (name, median_gbps(nbytes, body)))


if __name__ == "__main__":
    main()
