#!/usr/bin/env python3
"""Keras' side of the parity bench (bench/parity.bench.ts): the classic notebook networks as the
notebooks write them in Keras, their model JSON, a comparison of two model JSONs as Keras loads
them, and a seeded training run of a model JSON. Every command prints one JSON line; when Keras is
not installed it prints {"absent": "..."} and exits 0, so the table can say so.

usage: keras_parity.py write --preset lenet5-relu|fashion-keras-tutorial|lenet5-cifar10-keras|mnist-tf1-deep
       keras_parity.py compare A.json B.json
       keras_parity.py train --model-json F --dataset D --data-dir DIR --train-images N --epochs E
                             --batch B [--seed 1] [--threads 1]
"""
import argparse
import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def keras_or_absent():
    try:
        import keras  # noqa: PLC0415
    except ImportError as e:
        print(json.dumps({"absent": f"keras is not installed ({e}); pip install tensorflow-cpu"}))
        sys.exit(0)
    return keras


def network(keras, preset):
    """The network and optimizer as the notebook writes them (the presets' descriptions name each source)."""
    L = keras.layers
    if preset in ("lenet5-relu", "lenet5-cifar10-keras"):
        act, shape = ("relu", (28, 28, 1)) if preset == "lenet5-relu" else ("swish", (32, 32, 3))
        model = keras.Sequential([
            L.Input(shape=shape),
            L.Conv2D(6, 5, activation=act), L.MaxPooling2D(2),
            L.Conv2D(16, 5, activation=act), L.MaxPooling2D(2),
            L.Flatten(), L.Dense(120, activation=act), L.Dense(84, activation=act),
            L.Dense(10, activation="softmax"),
        ], name=preset.replace("-", "_"))
        optimizer = keras.optimizers.Adam(1e-3) if preset == "lenet5-relu" else keras.optimizers.RMSprop()
    elif preset == "fashion-keras-tutorial":
        model = keras.Sequential([
            L.Input(shape=(28, 28, 1)),
            L.Conv2D(32, (3, 3), activation="relu"), L.BatchNormalization(), L.MaxPooling2D((2, 2)), L.Dropout(0.25),
            L.Flatten(), L.Dense(512, activation="relu"), L.BatchNormalization(), L.Dropout(0.5),
            L.Dense(10, activation="softmax"),
        ], name="fashion_keras_tutorial")
        optimizer = keras.optimizers.Adam(1e-3)
    elif preset == "mnist-tf1-deep":
        init = dict(kernel_initializer=keras.initializers.TruncatedNormal(stddev=0.1),
                    bias_initializer=keras.initializers.Constant(0.1))
        model = keras.Sequential([
            L.Input(shape=(28, 28, 1)),
            L.Conv2D(32, 5, padding="same", activation="relu", **init), L.MaxPooling2D(2, padding="same"),
            L.Conv2D(64, 5, padding="same", activation="relu", **init), L.MaxPooling2D(2, padding="same"),
            L.Flatten(), L.Dense(1024, activation="relu", **init), L.Dropout(0.5),
            L.Dense(10, activation="softmax", **init),
        ], name="mnist_tf1_deep")
        optimizer = keras.optimizers.Adam(1e-4, epsilon=1e-8)
    else:
        raise SystemExit(f"unknown preset {preset}")
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def architecture(keras, text):
    """What Keras builds from a model JSON: per layer its class, output shape, parameter count and the
    options that change what it computes (names and dtype policies left out)."""
    model = keras.models.model_from_json(text)
    skip = {"name", "dtype", "trainable", "build_config", "batch_input_shape", "batch_shape", "sparse", "ragged"}
    layers = []
    for layer in model.layers:
        config = {k: v for k, v in layer.get_config().items() if k not in skip}
        layers.append({"class": type(layer).__name__, "output_shape": list(layer.output.shape),
                       "params": int(layer.count_params()), "config": config})
    return {"params": int(model.count_params()), "layers": layers}


def same_numbers(value):
    """0 and 0.0 are one value: Keras writes what it was given, an exported spec writes JSON numbers."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, (list, tuple)):
        return [same_numbers(v) for v in value]
    if isinstance(value, dict):
        return {k: same_numbers(v) for k, v in value.items()}
    return value


def compare(keras, a_path, b_path):
    with open(a_path) as f:
        a = architecture(keras, f.read())
    with open(b_path) as f:
        b = architecture(keras, f.read())
    differences = []
    if len(a["layers"]) != len(b["layers"]):
        differences.append(f"{len(a['layers'])} layers vs {len(b['layers'])}")
    for i, (x, y) in enumerate(zip(a["layers"], b["layers"])):
        for key in ("class", "output_shape", "params"):
            if x[key] != y[key]:
                differences.append(f"layer {i} {key}: {x[key]} vs {y[key]}")
        for key in sorted(set(x["config"]) | set(y["config"])):
            u, v = (json.dumps(same_numbers(z["config"].get(key)), sort_keys=True) for z in (x, y))
            if u != v:
                differences.append(f"layer {i} ({x['class']}) {key}: {x['config'].get(key)} vs {y['config'].get(key)}")
    return {"params_a": a["params"], "params_b": b["params"], "layers": len(a["layers"]),
            "equal": not differences, "differences": differences[:20]}


def train(keras, args):
    import tensorflow as tf  # noqa: PLC0415
    from peer import load  # noqa: PLC0415

    if args.threads > 0:
        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
        tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    keras.utils.set_random_seed(args.seed)
    with open(args.model_json) as f:
        text = f.read()
    model = keras.models.model_from_json(text)
    compiled = json.loads(text).get("compile_config") or {}
    optimizer = keras.optimizers.deserialize(compiled["optimizer"]) if compiled.get("optimizer") else keras.optimizers.Adam(1e-3)
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x_tr, y_tr, x_te, y_te = load(args.dataset, args.data_dir)
    x, y = x_tr[: args.train_images], y_tr[: args.train_images]
    marks = []

    class Clock(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            marks.append((time.perf_counter(), time.process_time()))

    history = model.fit(x, y, batch_size=args.batch, epochs=args.epochs, shuffle=True, verbose=0, callbacks=[Clock()])
    out = {"loss": [float(v) for v in history.history["loss"]], "version": f"keras {keras.__version__}, tensorflow {tf.__version__}"}
    if len(marks) >= 2:
        # From the end of epoch 1 (graph tracing and first allocations excluded) to the end of the last.
        images = len(x) * (len(marks) - 1)
        out["images_per_s"] = images / (marks[-1][0] - marks[0][0])
        out["images_per_cpu_s"] = images / (marks[-1][1] - marks[0][1])
    _, acc = model.evaluate(x_te, y_te, batch_size=1000, verbose=0)
    out["test_accuracy"] = float(acc)
    out["train_images"] = int(len(x))
    return out


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="command", required=True)
    w = sub.add_parser("write")
    w.add_argument("--preset", required=True)
    c = sub.add_parser("compare")
    c.add_argument("a")
    c.add_argument("b")
    t = sub.add_parser("train")
    t.add_argument("--model-json", required=True)
    t.add_argument("--dataset", choices=["mnist", "fashion-mnist", "cifar10"], required=True)
    t.add_argument("--data-dir", required=True)
    t.add_argument("--train-images", type=int, required=True)
    t.add_argument("--epochs", type=int, required=True)
    t.add_argument("--batch", type=int, required=True)
    t.add_argument("--seed", type=int, default=1)
    t.add_argument("--threads", type=int, default=1, help="0: every core")
    args = p.parse_args()
    keras = keras_or_absent()
    if args.command == "write":
        print(json.dumps({"json": network(keras, args.preset).to_json(), "version": keras.__version__}))
    elif args.command == "compare":
        print(json.dumps(compare(keras, args.a, args.b)))
    else:
        load_before = os.getloadavg()[0]
        out = train(keras, args)
        out.update({"load_before": load_before, "load_after": os.getloadavg()[0]})
        print(json.dumps(out))


if __name__ == "__main__":
    sys.exit(main())
