"""Train a tiny model with a TensorBoard callback and read back every tag with its steps.

`python tensorboard_probe.py keras|scen|scen-without-tf LOGDIR` prints {run: {tag: [steps]}}
as JSON; the tests run Keras's own callback this way on the TensorFlow backend, in a
process of its own.
"""

import json
import os
import sys

import numpy as np

ARGS = dict(histogram_freq=1, write_images=True, write_steps_per_second=True, update_freq="batch")


def train_and_read(which: str, logdir: str) -> dict:
    import keras

    keras.backend.clear_session()  # layer names, and so tags, from 'sequential/dense' on
    # Not keras.utils.set_random_seed: on torch it imports TensorFlow, which must stay out.
    x = np.random.default_rng(0).random((64, 3)).astype("float32")
    y = (x.sum(1) > 1.5).astype("int32")
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="relu"),
                              keras.layers.Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    if which == "keras":
        callback = keras.callbacks.TensorBoard(logdir, **ARGS)
    else:
        from scen.keras import TensorBoard

        callback = TensorBoard(logdir, **ARGS, gradient_sample=(x[:16], y[:16]))
    model.fit(x, y, batch_size=16, epochs=2, validation_split=0.25, callbacks=[callback],
              verbose=0)
    return read(logdir)


def read(logdir: str) -> dict:
    from scen.tensorboard import summary_writer_class

    summary_writer_class()  # TensorBoard's reader without TensorFlow, as the writer
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    out = {}
    for run in ("train", "validation"):
        # purge_orphaned_data off: Keras writes epoch scalars (step: epoch) after batch
        # scalars (step: batch), and the reader would take the step going back for a restart.
        acc = EventAccumulator(os.path.join(logdir, run), purge_orphaned_data=False,
                               size_guidance={"scalars": 0, "histograms": 0, "images": 0,
                                              "tensors": 0})
        acc.Reload()
        tags = acc.Tags()
        events = {}
        for kind, get in (("scalars", acc.Scalars), ("histograms", acc.Histograms),
                          ("images", acc.Images), ("tensors", acc.Tensors)):
            for tag in tags[kind]:
                events[tag] = sorted(e.step for e in get(tag))
        out[run] = events
    return out


class NoTensorFlow:
    """An import finder that makes this process one where TensorFlow is not installed."""

    def find_spec(self, name, path=None, target=None):
        if name == "tensorflow" or name.startswith("tensorflow."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    which, logdir = sys.argv[1:]
    if which == "scen-without-tf":
        sys.meta_path.insert(0, NoTensorFlow())
        which = "scen"
    print(json.dumps(train_and_read(which, logdir)))
