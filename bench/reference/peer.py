#!/usr/bin/env python3
"""Peer reference for `npm run bench`: the same networks KernelLab trains, in Keras or PyTorch, on
the same data and batch size, printing one JSON line.

What it measures, so the figures can be trusted side by side with KernelLab's:
- the framework's version and the thread settings actually in force (TF's intra/inter-op pools,
  torch's intra/inter-op threads, every native pool threadpoolctl sees: OpenMP, MKL, BLAS);
- the load average before and after;
- speed over a window that starts after `--warmup-batches` batches (graph tracing, the input
  pipeline's start and the first allocations are excluded) and ends after `--timed-batches`
  (0: the rest of the run): images per wall-clock second and images per CPU-second of the whole
  process (a "1-thread" Keras still runs its input pipeline and runtime on other threads);
- with --evaluate, the test accuracy after training on all of --train-images × --epochs.

It never substitutes figures: when the framework is not installed it prints {"absent": "..."}
and exits 0, so the benchmark table can say so.

usage: peer.py --framework keras|torch --model lenet5-relu|mnist-two-conv|lenet5-swish|fashion-bn-dropout
               --dataset mnist|fashion-mnist|cifar10 --data-dir DIR --train-images N [--epochs E]
               [--batch 64] [--threads 1 (0: all cores)] [--seed 1]
               [--warmup-batches 20] [--timed-batches 0] [--evaluate]
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
    if dataset in ("mnist", "fashion-mnist"):
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
    if model == "fashion-bn-dropout":
        # KernelLab's batchNorm defaults are Keras': momentum 0.99, epsilon 1e-3.
        return [("conv", 32, 3, "same", "relu"), ("batchnorm",), ("pool",), ("dropout", 0.25), ("flatten",),
                ("dense", 512, "relu"), ("batchnorm",)]
    raise ValueError(f"unknown model {model}")


class Window:
    """Wall and CPU time from the end of batch `warmup` to the end of batch `warmup + timed`."""

    def __init__(self, warmup, timed, batch):
        self.warmup, self.timed, self.batch = warmup, timed, batch
        self.seen = 0
        self.images = 0
        self.start = None
        self.end = None

    def after_batch(self, size):
        """Call after every batch; returns True once the window is complete and training may stop."""
        self.seen += 1
        if self.seen == self.warmup:
            self.start = (time.perf_counter(), time.process_time())
        elif self.start is not None and self.end is None:
            self.images += size
            if self.timed and self.seen == self.warmup + self.timed:
                self.end = (time.perf_counter(), time.process_time())
        return self.end is not None

    def result(self):
        if self.start is None:
            return {"error": f"the run had {self.seen} batches, fewer than the {self.warmup} warm-up batches"}
        end = self.end or (time.perf_counter(), time.process_time())
        seconds, cpu = end[0] - self.start[0], end[1] - self.start[1]
        return {"timed_images": self.images, "seconds": seconds, "cpu_seconds": cpu,
                "images_per_s": self.images / seconds, "images_per_cpu_s": self.images / cpu if cpu > 0 else None}


def native_pools():
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "threadpoolctl is not installed"
    return [{"api": p.get("user_api"), "library": p.get("internal_api"), "threads": p.get("num_threads")}
            for p in threadpool_info()]


def run_keras(args, data):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        import tensorflow as tf
    except ImportError as e:
        return {"absent": f"tensorflow is not installed ({e}); pip install tensorflow-cpu"}
    if args.threads > 0:
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
        elif spec[0] == "batchnorm":
            seq.append(L.BatchNormalization(momentum=0.99, epsilon=1e-3))
    seq.append(L.Dense(10, activation="softmax"))
    model = tf.keras.Sequential(seq)
    model.compile(optimizer=tf.keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    window = Window(args.warmup_batches, args.timed_batches, args.batch)

    class Timer(tf.keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if window.after_batch(args.batch):
                self.model.stop_training = True

    x, y = x_tr[: args.train_images], y_tr[: args.train_images]
    model.fit(x, y, batch_size=args.batch, epochs=args.epochs, shuffle=True, verbose=0, callbacks=[Timer()])
    out = window.result()
    out["version"] = f"tensorflow {tf.__version__}, keras {tf.keras.__version__}"
    out["threads_in_force"] = {
        "intra_op": tf.config.threading.get_intra_op_parallelism_threads() or f"0 (all {os.cpu_count()} cores)",
        "inter_op": tf.config.threading.get_inter_op_parallelism_threads() or f"0 (all {os.cpu_count()} cores)",
        "onednn": os.environ.get("TF_ENABLE_ONEDNN_OPTS", "default (on for x86)"),
        "jit_compile": bool(getattr(model, "jit_compile", False)),
        "native_pools": native_pools(),
    }
    if args.evaluate:
        _, acc = model.evaluate(x_te, y_te, batch_size=1000, verbose=0)
        out["test_accuracy"] = float(acc)
    return out


def run_torch(args, data):
    try:
        import torch
        import torch.nn as nn
    except ImportError as e:
        return {"absent": f"torch is not installed ({e}); pip install torch==2.13.0"}
    if args.threads > 0:
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
        elif spec[0] == "batchnorm":
            # torch's momentum is Keras' 1 − momentum.
            mods.append(nn.BatchNorm2d(c, momentum=0.01, eps=1e-3) if flat is None else nn.BatchNorm1d(flat, momentum=0.01, eps=1e-3))
    mods.append(nn.Linear(flat, 10))
    model = nn.Sequential(*mods)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    x = torch.from_numpy(np.ascontiguousarray(x_tr[: args.train_images].transpose(0, 3, 1, 2)))
    y = torch.from_numpy(y_tr[: args.train_images])
    gen = torch.Generator().manual_seed(args.seed)
    window = Window(args.warmup_batches, args.timed_batches, args.batch)
    model.train()
    done = False
    for _ in range(args.epochs):
        order = torch.randperm(len(x), generator=gen)
        for i in range(0, len(x), args.batch):
            idx = order[i : i + args.batch]
            opt.zero_grad()
            loss_fn(model(x[idx]), y[idx]).backward()
            opt.step()
            if window.after_batch(len(idx)):
                done = True
                break
        if done:
            break
    out = window.result()
    out["version"] = f"torch {torch.__version__}"
    out["threads_in_force"] = {
        "intra_op": torch.get_num_threads(),
        "inter_op": torch.get_num_interop_threads(),
        "mkldnn": bool(torch.backends.mkldnn.is_available()),
        "native_pools": native_pools(),
    }
    if args.evaluate:
        model.eval()
        with torch.no_grad():
            xt = torch.from_numpy(np.ascontiguousarray(x_te.transpose(0, 3, 1, 2)))
            pred = torch.cat([model(xt[i : i + 1000]).argmax(1) for i in range(0, len(xt), 1000)])
            out["test_accuracy"] = float((pred.numpy() == y_te).mean())
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--framework", choices=["keras", "torch"], required=True)
    p.add_argument("--model", required=True)
    p.add_argument("--dataset", choices=["mnist", "fashion-mnist", "cifar10"], required=True)
    p.add_argument("--data-dir", required=True)
    p.add_argument("--train-images", type=int, required=True)
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--threads", type=int, default=1, help="0: the framework's default, every core")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--warmup-batches", type=int, default=20)
    p.add_argument("--timed-batches", type=int, default=0, help="0: every batch after the warm-up")
    p.add_argument("--evaluate", action="store_true")
    args = p.parse_args()
    load_before = os.getloadavg()[0]
    data = load(args.dataset, args.data_dir)
    args.train_images = min(args.train_images, len(data[0]))
    result = (run_keras if args.framework == "keras" else run_torch)(args, data)
    out = {"framework": args.framework, "model": args.model, "dataset": args.dataset, "threads": args.threads,
           "train_images": args.train_images, "epochs": args.epochs, "batch": args.batch,
           "warmup_batches": args.warmup_batches, "cpu_count": os.cpu_count(),
           "load_before": load_before, "load_after": os.getloadavg()[0]}
    out.update(result)
    print(json.dumps(out))


if __name__ == "__main__":
    sys.exit(main())
