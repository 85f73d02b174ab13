"""The PyTorch (Python) side of bench/compare_train_throughput.sh: the same model, data,
optimizer, batch size and thread count as bench/train_throughput.cpp; prints samples/s.

    python3 bench/train_throughput.py mlp|cnn BATCH THREADS SAMPLES
"""
import gzip
import sys
import time

import numpy as np
import torch
from torch import nn


def load_fashion(n):
    with gzip.open("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz") as f:
        x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 1, 28, 28)
    with gzip.open("/usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz") as f:
        y = np.frombuffer(f.read(), np.uint8, offset=8)
    return torch.from_numpy(x[:n].astype(np.float32) / 255.0), torch.from_numpy(y[:n].astype(np.int64))


class GlobalAvgPool(nn.Module):
    def forward(self, x):
        return x.mean(dim=(2, 3))


def make_model(kind):
    if kind == "mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    w = 16  # powertrain's cnn: two conv3x3+BN+ReLU+maxpool blocks, global average pool, linear head
    return nn.Sequential(
        nn.Conv2d(1, w, 3, padding=1, bias=False), nn.BatchNorm2d(w), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(w, 2 * w, 3, padding=1, bias=False), nn.BatchNorm2d(2 * w), nn.ReLU(), nn.MaxPool2d(2),
        GlobalAvgPool(), nn.Linear(2 * w, 10))


def main():
    kind, batch, threads, samples = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    x, y = load_fashion(10800)  # the size of powertrain's training split for data.subset=12000
    model = make_model(kind)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    model.train()
    gen = torch.Generator().manual_seed(0)
    state = {"order": torch.randperm(len(x), generator=gen), "pos": 0}

    def next_batch():
        if state["pos"] + batch > len(x):
            state["order"], state["pos"] = torch.randperm(len(x), generator=gen), 0
        idx = state["order"][state["pos"]:state["pos"] + batch]
        state["pos"] += batch
        return x.index_select(0, idx), y.index_select(0, idx)

    def run(n):
        done = 0
        while done < n:
            xb, yb = next_batch()
            for g in opt.param_groups:  # as the engine does: LR from the schedule every step
                g["lr"] = 1e-3
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
            done += xb.shape[0]
        return done

    run(min(samples // 4, 2048))
    t0 = time.perf_counter()
    done = run(samples)
    print(f"{done / (time.perf_counter() - t0):.1f}")


if __name__ == "__main__":
    main()
