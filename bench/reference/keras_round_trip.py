"""Round trip of a KernelLab model export through Keras, as tensorflowjs_converter does it.

`tensorflowjs_converter --input_format=tfjs_layers_model --output_format=keras model.json out.h5`
runs tensorflowjs.converters.keras_tfjs_loader.load_keras_model(model.json) and saves the result as
HDF5. This script does exactly that, loads the .h5 back with tf_keras, and prints the class
probabilities of the images it is given, for the caller to compare with tfjs.

Usage: keras_round_trip.py <dir with model.json + weights.bin> <images: raw float32 N×H×W×C> N H W C
Prints one JSON line: {"probabilities": [...], "keras": "<class>"} or {"absent": "<why>"}.
"""
import importlib.util
import json
import os
import sys
import tempfile
import types


def load_converter():
    """The converter's layers→Keras loader. tensorflowjs' package __init__ imports every converter
    (jax, decision forests, hub) that this path never uses: where those are not installed, the two
    packages are registered without running their __init__, and the loader's own files are used."""
    try:
        from tensorflowjs.converters import keras_tfjs_loader  # noqa: PLC0415

        return keras_tfjs_loader
    except ImportError:
        pass
    spec = importlib.util.find_spec('tensorflowjs')
    if spec is None or spec.origin is None:
        return None
    root = os.path.dirname(spec.origin)
    for name, path in [('tensorflowjs', root), ('tensorflowjs.converters', os.path.join(root, 'converters'))]:
        module = types.ModuleType(name)
        module.__path__ = [path]
        sys.modules[name] = module
    from tensorflowjs.converters import keras_tfjs_loader  # noqa: PLC0415

    return keras_tfjs_loader


def main():
    try:
        import numpy as np  # noqa: PLC0415
        import tf_keras  # noqa: PLC0415

        loader = load_converter()
    except ImportError as error:
        print(json.dumps({'absent': f'python cannot import what the converter needs: {error}'}))
        return
    if loader is None:
        print(json.dumps({'absent': "Python's tensorflowjs is not installed (pip install tensorflowjs)"}))
        return
    folder, images, n, h, w, c = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:7])
    import tensorflow as tf  # noqa: PLC0415

    with tempfile.TemporaryDirectory() as tmp:
        h5 = os.path.join(tmp, 'model.h5')
        # As tensorflowjs_converter's dispatch_tensorflowjs_to_keras_h5_conversion does.
        with tf.Graph().as_default(), tf.compat.v1.Session():
            loader.load_keras_model(os.path.join(folder, 'model.json')).save(h5)
        model = tf_keras.models.load_model(h5)
    x = np.fromfile(images, dtype='<f4').reshape(n, h, w, c)
    probabilities = model.predict(x, verbose=0).astype('float64').reshape(-1).tolist()
    print(json.dumps({'probabilities': probabilities, 'keras': type(model).__module__}))


main()
