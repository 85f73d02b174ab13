#!/usr/bin/python3
"""A plain PyTorch training script on Fashion-MNIST, instrumented with powertrain in three
lines (marked "powertrain"). Energy per epoch, with the loss and accuracy beside it:

    powertrain measure -- /usr/bin/python3 examples/pytorch_fashion_mnist.py --epochs 2
    /usr/bin/python3 examples/pytorch_fashion_mnist.py --epochs 2      # its own meter

Data: Debian's dataset-fashion-mnist (IDX files in /usr/share/datasets/fashion-mnist).
Needs python3-torch and python3-numpy; the powertrain module from the .deb or the build tree
(PYTHONPATH=build/python). docs/python.md explains the module.
"""

import argparse
import gzip
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

import powertrain  # powertrain (1 of 3)


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def load(directory, split, limit):
    prefix = "train" if split == "train" else "t10k"
    images = read_idx(os.path.join(directory, prefix + "-images-idx3-ubyte.gz"))[:limit]
    labels = read_idx(os.path.join(directory, prefix + "-labels-idx1-ubyte.gz"))[:limit]
    x = torch.from_numpy(images.astype(np.float32) / 255.0).unsqueeze(1)
    return (x - 0.2860) / 0.3530, torch.from_numpy(labels.astype(np.int64))


class TutorialCnn(nn.Module):
    """Two 3x3 convolutions (32 and 64 channels) with max-pooling, a 128-unit dense layer."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, padding=1)
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1)
        self.fc1 = nn.Linear(64 * 7 * 7, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.fc2(F.relu(self.fc1(x.flatten(1))))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist", help="directory of the IDX .gz files")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--train-samples", type=int, default=60000, help="use the first N training images")
    p.add_argument("--test-samples", type=int, default=10000, help="use the first N test images")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=1e-3, help="Adam's learning rate")
    p.add_argument("--threads", type=int, default=os.cpu_count(), help="torch CPU threads")
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    for name in ("epochs", "train_samples", "test_samples", "batch_size", "threads"):
        if getattr(a, name) < 1:
            p.error("--%s must be at least 1" % name.replace("_", "-"))
    if not (0 < a.lr < 10):
        p.error("--lr must be in (0, 10)")

    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    x_train, y_train = load(a.data, "train", a.train_samples)
    x_test, y_test = load(a.data, "test", a.test_samples)
    model = TutorialCnn()
    optimizer = torch.optim.Adam(model.parameters(), lr=a.lr)

    for epoch in powertrain.epochs(range(1, a.epochs + 1)):  # powertrain (2 of 3)
        model.train()
        order = torch.randperm(len(x_train))
        total, seen = 0.0, 0
        for i in range(0, len(order), a.batch_size):
            idx = order[i:i + a.batch_size]
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x_train[idx]), y_train[idx])
            loss.backward()
            optimizer.step()
            total += loss.item() * len(idx)
            seen += len(idx)
        model.eval()
        with torch.no_grad():
            correct = sum((model(x_test[i:i + 1000]).argmax(1) == y_test[i:i + 1000]).sum().item()
                          for i in range(0, len(x_test), 1000))
        accuracy = correct / len(x_test)
        powertrain.log(train_loss=total / seen, val_accuracy=accuracy)  # powertrain (3 of 3)
        print("epoch %d: loss %.4f, test accuracy %.4f" % (epoch, total / seen, accuracy), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
