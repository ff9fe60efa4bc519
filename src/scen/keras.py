"""`from scen.keras import TensorBoard`: Keras's TensorBoard callback on every backend.

`keras.callbacks.TensorBoard` writes through `tensorflow.summary`, so on the torch and JAX
backends it needs TensorFlow installed (keras-team/keras#19121). This callback takes the same
arguments and writes the same tags in the same layout with torch's SummaryWriter (scen.tensorboard),
which needs no TensorFlow, plus a histogram of each weight's gradient:

    from scen.keras import TensorBoard
    model.fit(x, y, epochs=5, validation_split=0.2,
              callbacks=[TensorBoard(log_dir="logs", histogram_freq=1)])

What it writes (as Keras's callback does, read from keras/src/callbacks/tensorboard.py):
  <log_dir>/train       epoch_<metric> and epoch_learning_rate (step: the epoch, from 0);
                        batch_<metric> every `update_freq` batches (step: the batch, from 1);
                        epoch_/batch_steps_per_second with write_steps_per_second;
                        <weight path>/histogram (and /image with write_images) every
                        `histogram_freq` epochs; `keras`, the model's JSON (the Graphs tab's
                        conceptual graph), with write_graph for Sequential and Functional models.
  <log_dir>/validation  epoch_<metric> of the val_ logs; evaluation_<metric>_vs_iterations
                        (step: optimizer.iterations) at the end of every evaluation.
scen adds <weight path>/gradient beside each trainable weight's /histogram: the gradient of the
last training batch (torch keeps it on the weight; TF and JAX keep none, so it is recomputed on
`gradient_sample`, and left out when none is given).

Differences from Keras's callback: the TF train-function graph (Keras writes it on the
TensorFlow backend only) is not written; `profile_batch` is checked as Keras checks it and
otherwise ignored (the profilers are per backend: use torch.profiler or jax.profiler); weight
images are scaled to [0, 1] per weight rather than clipped; with an integer `update_freq`,
Keras on TensorFlow also drops the epoch and evaluation scalars of any epoch whose last batch is
not a multiple of it (its batch-recording condition stays on), where this callback writes them all.
"""

from __future__ import annotations

import os
import time
import warnings

import keras
import numpy as np

from scen.diagnose import recomputed_gradients, to_numpy
from scen.tensorboard import summary_writer_class


class TensorBoard(keras.callbacks.Callback):
    """Keras's TensorBoard callback without TensorFlow. Arguments as keras.callbacks.TensorBoard:

    log_dir: where `train/` and `validation/` go.
    histogram_freq: every this many epochs (0: never), histograms of every weight and gradient.
    write_graph: the model's JSON as the `keras` tag (the TF train-function graph is not written).
    write_images: each weight as an image, `<weight path>/image`.
    write_steps_per_second: also log steps per second, per epoch and per logged batch.
    update_freq: "epoch", "batch" (= 1) or N: log batch_<metric> every N training batches.
    profile_batch: validated as Keras validates it, then ignored (see the module docstring).
    embeddings_freq, embeddings_metadata: as Keras (projector_config.pbtxt, weight checkpoints).
    gradient_sample: scen's addition, an (x, y) batch on which TF and JAX recompute gradients for
        the gradient histograms; torch needs none. Raises ValueError for a bad update_freq or
        profile_batch, as Keras does.
    """

    def __init__(self, log_dir="logs", histogram_freq=0, write_graph=True, write_images=False,
                 write_steps_per_second=False, update_freq="epoch", profile_batch=0,
                 embeddings_freq=0, embeddings_metadata=None, gradient_sample=None):
        super().__init__()
        self.log_dir = str(log_dir)
        self.histogram_freq = histogram_freq
        self.write_graph = write_graph
        self.write_images = write_images
        self.write_steps_per_second = write_steps_per_second
        self.update_freq = 1 if update_freq == "batch" else update_freq
        if self.update_freq != "epoch" and not (isinstance(self.update_freq, int)
                                                and self.update_freq > 0):
            raise ValueError(f"update_freq must be 'epoch', 'batch' or a positive integer, "
                             f"not {update_freq!r}")
        self.profile_batch = check_profile_batch(profile_batch)
        self.embeddings_freq = embeddings_freq
        self.embeddings_metadata = embeddings_metadata
        self.gradient_sample = gradient_sample
        self._writers = {}
        self._global_train_batch = 0
        self._batch_start = self._epoch_start = 0.0
        self._epoch_start_iterations = 0

    # -- writers: made on first use, as Keras does, so no empty event files are left --

    def _writer(self, run: str):
        if run not in self._writers:
            path = os.path.join(self.log_dir, run)
            # flush_secs: an interrupted run keeps all but its last few seconds.
            self._writers[run] = summary_writer_class()(path, flush_secs=5)
        return self._writers[run]

    def set_model(self, model):
        super().set_model(model)
        self._close()  # a new model: new event files, as Keras resets its writers
        if self.write_graph and type(model).__name__ in ("Functional", "Sequential"):
            write_model_json(self._writer("train"), model)
        if self.embeddings_freq:
            self._configure_embeddings()

    # -- training --

    def on_train_begin(self, logs=None):
        self._global_train_batch = 0

    def on_train_batch_begin(self, batch, logs=None):
        self._global_train_batch += 1
        if self.write_steps_per_second:
            self._batch_start = time.time()

    def on_train_batch_end(self, batch, logs=None):
        step = self._global_train_batch
        if self.update_freq == "epoch" or step % self.update_freq:
            return
        writer = self._writer("train")
        if self.write_steps_per_second:
            seconds = time.time() - self._batch_start
            writer.add_scalar("batch_steps_per_second", 1.0 / max(seconds, 1e-9), step)
        for name, value in (logs if isinstance(logs, dict) else {}).items():
            writer.add_scalar(f"batch_{name}", _float(value), step)

    def on_epoch_begin(self, epoch, logs=None):
        if self.write_steps_per_second:
            self._epoch_start_iterations = self._iterations()
            self._epoch_start = time.time()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        train = {k: v for k, v in logs.items() if not k.startswith("val_")}
        train.update(learning_rates(self.model.optimizer))
        if self.write_steps_per_second:
            steps = self._iterations() - self._epoch_start_iterations
            train["steps_per_second"] = steps / max(time.time() - self._epoch_start, 1e-9)
        for name, value in train.items():
            self._writer("train").add_scalar(f"epoch_{name}", _float(value), epoch)
        for name, value in logs.items():
            if name.startswith("val_"):
                self._writer("validation").add_scalar(f"epoch_{name[4:]}", _float(value), epoch)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._log_weights(epoch)
        if self.embeddings_freq and epoch % self.embeddings_freq == 0:
            path = os.path.join(self.log_dir, "train", f"keras_embedding.ckpt-{epoch}.weights.h5")
            self.model.save_weights(path)

    def on_train_end(self, logs=None):
        self._close()

    # -- evaluation (fit's validation, or model.evaluate with this callback) --

    def on_test_end(self, logs=None):
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is None or not hasattr(optimizer, "iterations"):
            return
        step = self._iterations()
        for name, value in (logs or {}).items():
            self._writer("validation").add_scalar(f"evaluation_{name}_vs_iterations",
                                                  _float(value), step)

    # -- helpers --

    def _iterations(self) -> int:
        return int(to_numpy(self.model.optimizer.iterations))

    def _log_weights(self, epoch: int) -> None:
        writer = self._writer("train")
        grads = self._gradients()
        for layer in self.model.layers:
            for weight in layer.weights:
                name = weight.path.replace(":", "_")
                value = to_numpy(weight)
                if np.all(np.isfinite(value)):  # one NaN makes a histogram unreadable
                    writer.add_histogram(f"{name}/histogram", value, epoch)
                if weight.path in grads and np.all(np.isfinite(grads[weight.path])):
                    writer.add_histogram(f"{name}/gradient", grads[weight.path], epoch)
                if self.write_images:
                    image = weight_image(value)
                    if image is not None:
                        writer.add_images(f"{name}/image", image, epoch, dataformats="NHWC")
        writer.flush()

    def _gradients(self) -> dict[str, np.ndarray]:
        """The last batch's gradients by weight path (unscaled for fp16); {} where unknown."""
        scale = getattr(self.model.optimizer, "dynamic_scale", None)
        scale = 1.0 if scale is None else float(to_numpy(scale))
        if keras.backend.backend() == "torch":
            return {v.path: v.value.grad.detach().float().cpu().numpy() / scale
                    for v in self.model.trainable_weights
                    if getattr(v.value, "grad", None) is not None}
        if self.gradient_sample is None:
            return {}
        try:
            return recomputed_gradients(self.model, *self.gradient_sample)
        except Exception as e:  # a histogram is never worth breaking the training for
            warnings.warn(f"scen.keras.TensorBoard: no gradient histograms ({e})")
            self.gradient_sample = None
            return {}

    def _configure_embeddings(self) -> None:
        """projector_config.pbtxt, exactly as Keras writes it."""
        from google.protobuf import text_format
        from tensorboard.plugins import projector

        config = projector.ProjectorConfig()
        metadata = self.embeddings_metadata
        metadata = dict(metadata) if isinstance(metadata, dict) else metadata
        for layer in self.model.layers:
            if isinstance(layer, keras.layers.Embedding):
                embedding = config.embeddings.add()
                embedding.tensor_name = "layer_with_weights-0/embeddings/.ATTRIBUTES/VARIABLE_VALUE"
                if isinstance(metadata, str):
                    embedding.metadata_path = metadata
                elif metadata and layer.name in metadata:
                    embedding.metadata_path = metadata.pop(layer.name)
        if metadata and not isinstance(metadata, str):
            raise ValueError("Unrecognized `Embedding` layer names passed to `TensorBoard` "
                             f"`embeddings_metadata` argument: {metadata.keys()}")
        os.makedirs(self.log_dir, exist_ok=True)
        with open(os.path.join(self.log_dir, "projector_config.pbtxt"), "w") as f:
            f.write(text_format.MessageToString(config))

    def _close(self) -> None:
        for writer in self._writers.values():
            writer.close()
        self._writers = {}


def check_profile_batch(profile_batch):
    """Keras's rule: a non-negative int, a (start, stop) pair, or "start,stop"; ValueError else."""
    value = profile_batch
    if isinstance(value, str):
        value = [int(v) for v in value.split(",")]
    if isinstance(value, int):
        start = stop = value
    elif isinstance(value, (tuple, list)) and len(value) == 2:
        start, stop = value
    else:
        start = stop = -1
    if start < 0 or stop < start:
        raise ValueError("profile_batch must be a non-negative integer or 2-tuple of positive "
                         f"integers. Found: {profile_batch}")
    if stop:
        warnings.warn("scen.keras.TensorBoard does not profile (profile_batch is ignored): use "
                      "torch.profiler or jax.profiler")
    return (start, stop)


def learning_rates(optimizer) -> dict[str, float]:
    """learning_rate (or learning_rate_<name> per optimizer of a multi-optimizer), as Keras logs
    it; a LossScaleOptimizer is looked through."""
    optimizer = getattr(optimizer, "inner_optimizer", optimizer)
    if hasattr(optimizer, "optimizers"):
        return {f"learning_rate_{o.name}": float(to_numpy(o.learning_rate))
                for o in optimizer.optimizers}
    if isinstance(optimizer, keras.optimizers.Optimizer):
        return {"learning_rate": float(to_numpy(optimizer.learning_rate))}
    return {}


def weight_image(w: np.ndarray) -> np.ndarray | None:
    """A weight as Keras shapes it for an image (N, H, W, 1), scaled to [0, 1]; None for shapes
    Keras does not draw (4-D kernels and up)."""
    w = np.squeeze(w).astype(np.float32)
    if w.ndim == 1:  # a bias: one row
        w = w.reshape(1, 1, -1, 1)
    elif w.ndim == 2:  # a dense kernel, the long side across
        w = (w.T if w.shape[0] > w.shape[1] else w)[None, :, :, None]
    elif w.ndim == 3:  # a 1-D conv kernel: one image per channel
        if keras.config.image_data_format() == "channels_last":
            w = np.transpose(w, (2, 0, 1))
        w = w[..., None]
    else:
        return None
    finite = np.isfinite(w)
    if not finite.any():
        return None
    low, high = w[finite].min(), w[finite].max()
    return np.where(finite, (w - low) / (high - low if high > low else 1.0), 0.0)


def write_model_json(writer, model) -> None:
    """The model's JSON as the `keras` tag with Keras's graph_keras_model plugin data: what
    TensorBoard's Graphs tab draws as the conceptual graph."""
    from tensorboard.compat.proto.summary_pb2 import Summary, SummaryMetadata
    from tensorboard.compat.proto.tensor_pb2 import TensorProto
    from tensorboard.compat.proto.tensor_shape_pb2 import TensorShapeProto
    from tensorboard.compat.proto.types_pb2 import DT_STRING

    try:
        text = model.to_json()
    except Exception as e:  # as Keras: a model that cannot serialize is not drawn
        warnings.warn(f"Model failed to serialize as JSON. Ignoring... {e}")
        return
    metadata = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(
        plugin_name="graph_keras_model", content=b"1"))
    tensor = TensorProto(dtype=DT_STRING, tensor_shape=TensorShapeProto(),
                         string_val=[text.encode()])
    summary = Summary(value=[Summary.Value(tag="keras", metadata=metadata, tensor=tensor)])
    writer.file_writer.add_summary(summary, 0)


def _float(value) -> float:
    return float(to_numpy(value)) if not isinstance(value, (int, float)) else float(value)


__all__ = ["TensorBoard", "check_profile_batch", "learning_rates", "weight_image",
           "write_model_json"]
