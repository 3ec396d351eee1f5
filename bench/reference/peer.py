#!/usr/bin/env python3
"""Peer reference for `npm run bench`: the same networks KernelLab trains, in Keras or PyTorch, on
the same data, batch size and thread count, printing one JSON line with images/s and test accuracy.

It never substitutes figures: when the framework is not installed it prints {"absent": "..."}
and exits 0, so the benchmark table can say so.

usage: peer.py --framework keras|torch --model lenet5-relu|mnist-two-conv|lenet5-swish
               --dataset mnist|cifar10 --data-dir DIR --train-images N --epochs E
               [--batch 64] [--threads 1] [--seed 1]
"""
import argparse
import gzip
import json
import os
import sys
import time

import numpy as np


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    magic = int.from_bytes(data[0:4], "big")
    count = int.from_bytes(data[4:8], "big")
    if magic == 2051:
        rows = int.from_bytes(data[8:12], "big")
        cols = int.from_bytes(data[12:16], "big")
        return np.frombuffer(data, dtype=np.uint8, offset=16).reshape(count, rows, cols, 1)
    if magic == 2049:
        return np.frombuffer(data, dtype=np.uint8, offset=8)
    raise ValueError(f"{path}: magic {magic} is not IDX")


def find(data_dir, stem):
    for name in (stem, stem + ".gz"):
        p = os.path.join(data_dir, name)
        if os.path.exists(p):
            return p
    raise FileNotFoundError(f"{stem}(.gz) not found in {data_dir}")


def load(dataset, data_dir):
    if dataset == "mnist":
        x_tr = read_idx(find(data_dir, "train-images-idx3-ubyte"))
        y_tr = read_idx(find(data_dir, "train-labels-idx1-ubyte"))
        x_te = read_idx(find(data_dir, "t10k-images-idx3-ubyte"))
        y_te = read_idx(find(data_dir, "t10k-labels-idx1-ubyte"))
    else:

        def cifar(name):
            with gzip.open(os.path.join(data_dir, name), "rb") as f:
                raw = np.frombuffer(f.read(), dtype=np.uint8).reshape(-1, 3073)
            return raw[:, 1:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1), raw[:, 0].copy()

        x_tr, y_tr = cifar("train_subset_10k.bin.gz")
        x_te, y_te = cifar("test_batch_reordered.bin.gz")
    return (x_tr.astype(np.float32) / 255.0, y_tr.astype(np.int64), x_te.astype(np.float32) / 255.0, y_te.astype(np.int64))


def layers_of(model):
    """(kind, args) per layer, mirroring src-main/core/models/presets.ts."""
    if model in ("lenet5-relu", "lenet5-swish"):
        act = "relu" if model == "lenet5-relu" else "swish"
        return [("conv", 6, 5, "valid", act), ("pool",), ("conv", 16, 5, "valid", act), ("pool",), ("flatten",),
                ("dense", 120, act), ("dense", 84, act)]
    if model == "mnist-two-conv":
        return [("conv", 32, 3, "same", "relu"), ("pool",), ("conv", 64, 3, "same", "relu"), ("pool",), ("flatten",),
                ("dense", 256, "relu"), ("dropout", 0.2)]
    raise ValueError(f"unknown model {model}")


def run_keras(args, data):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        import tensorflow as tf
    except ImportError as e:
        return {"absent": f"tensorflow is not installed ({e}); pip install tensorflow-cpu"}
    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    tf.keras.utils.set_random_seed(args.seed)
    x_tr, y_tr, x_te, y_te = data
    L = tf.keras.layers
    seq = [L.Input(shape=x_tr.shape[1:])]
    for spec in layers_of(args.model):
        if spec[0] == "conv":
            seq.append(L.Conv2D(spec[1], spec[2], padding=spec[3], activation=spec[4]))
        elif spec[0] == "pool":
            seq.append(L.MaxPooling2D(2))
        elif spec[0] == "flatten":
            seq.append(L.Flatten())
        elif spec[0] == "dense":
            seq.append(L.Dense(spec[1], activation=spec[2]))
        elif spec[0] == "dropout":
            seq.append(L.Dropout(spec[1]))
    seq.append(L.Dense(10, activation="softmax"))
    model = tf.keras.Sequential(seq)
    model.compile(optimizer=tf.keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x, y = x_tr[: args.train_images], y_tr[: args.train_images]
    # One warm-up batch so graph tracing is not counted as training time.
    model.train_on_batch(x[: args.batch], y[: args.batch])
    start = time.perf_counter()
    model.fit(x, y, batch_size=args.batch, epochs=args.epochs, shuffle=True, verbose=0)
    seconds = time.perf_counter() - start
    _, acc = model.evaluate(x_te, y_te, batch_size=1000, verbose=0)
    return {"version": tf.__version__, "seconds": seconds, "test_accuracy": float(acc)}


def run_torch(args, data):
    try:
        import torch
        import torch.nn as nn
    except ImportError as e:
        return {"absent": f"torch is not installed ({e}); pip install torch==2.13.0"}
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    x_tr, y_tr, x_te, y_te = data
    channels, height = x_tr.shape[3], x_tr.shape[1]
    mods, c, h = [], channels, height
    acts = {"relu": nn.ReLU, "swish": nn.SiLU}
    flat = None
    for spec in layers_of(args.model):
        if spec[0] == "conv":
            pad = spec[2] // 2 if spec[3] == "same" else 0
            mods += [nn.Conv2d(c, spec[1], spec[2], padding=pad), acts[spec[4]]()]
            c, h = spec[1], h if spec[3] == "same" else h - spec[2] + 1
        elif spec[0] == "pool":
            mods.append(nn.MaxPool2d(2))
            h //= 2
        elif spec[0] == "flatten":
            mods.append(nn.Flatten())
            flat = c * h * h
        elif spec[0] == "dense":
            mods += [nn.Linear(flat, spec[1]), acts[spec[2]]()]
            flat = spec[1]
        elif spec[0] == "dropout":
            mods.append(nn.Dropout(spec[1]))
    mods.append(nn.Linear(flat, 10))
    model = nn.Sequential(*mods)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    x = torch.from_numpy(np.ascontiguousarray(x_tr[: args.train_images].transpose(0, 3, 1, 2)))
    y = torch.from_numpy(y_tr[: args.train_images])
    gen = torch.Generator().manual_seed(args.seed)
    start = time.perf_counter()
    model.train()
    for _ in range(args.epochs):
        order = torch.randperm(len(x), generator=gen)
        for i in range(0, len(x), args.batch):
            idx = order[i : i + args.batch]
            opt.zero_grad()
            loss_fn(model(x[idx]), y[idx]).backward()
            opt.step()
    seconds = time.perf_counter() - start
    model.eval()
    with torch.no_grad():
        xt = torch.from_numpy(np.ascontiguousarray(x_te.transpose(0, 3, 1, 2)))
        pred = torch.cat([model(xt[i : i + 1000]).argmax(1) for i in range(0, len(xt), 1000)])
        acc = (pred.numpy() == y_te).mean()
    return {"version": torch.__version__, "seconds": seconds, "test_accuracy": float(acc)}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--framework", choices=["keras", "torch"], required=True)
    p.add_argument("--model", required=True)
    p.add_argument("--dataset", choices=["mnist", "cifar10"], required=True)
    p.add_argument("--data-dir", required=True)
    p.add_argument("--train-images", type=int, required=True)
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()
    data = load(args.dataset, args.data_dir)
    args.train_images = min(args.train_images, len(data[0]))
    result = (run_keras if args.framework == "keras" else run_torch)(args, data)
    out = {"framework": args.framework, "model": args.model, "dataset": args.dataset, "threads": args.threads,
           "train_images": args.train_images, "epochs": args.epochs, "batch": args.batch}
    out.update(result)
    if "seconds" in result:
        out["images_per_s"] = args.train_images * args.epochs / result["seconds"]
        out["seconds_per_epoch"] = result["seconds"] / args.epochs
    print(json.dumps(out))


if __name__ == "__main__":
    sys.exit(main())
