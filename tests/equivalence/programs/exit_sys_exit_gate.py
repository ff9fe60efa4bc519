"""A CI-style training script: fit y = 2x + 1 from a 1-D x with plain "sgd", stop once the loss
is small (a user callback), then sys.exit(3) because the slope check "fails" by design."""
# kinds: exit.sys_exit, data.x_1d, callbacks.custom_stop_training, optimizers.sgd_string, metrics.names

import sys

import numpy as np
import keras

keras.utils.set_random_seed(67)


class StopWhenGoodEnough(keras.callbacks.Callback):
    def __init__(self, threshold):
        super().__init__()
        self.threshold = threshold

    def on_epoch_end(self, epoch, logs=None):
        if logs["loss"] < self.threshold:
            print("loss below", self.threshold, "at epoch", epoch)
            self.model.stop_training = True


rng = np.random.default_rng(67)
x = rng.uniform(-1, 1, size=256).astype("float32")   # shape (256,)
y = (2 * x + 1 + 0.05 * rng.normal(size=256)).astype("float32")

model = keras.Sequential([keras.Input(shape=(1,)), keras.layers.Dense(1)])
model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
history = model.fit(x, y, epochs=40, batch_size=16, callbacks=[StopWhenGoodEnough(0.05)],
                    verbose=0)

slope = float(model.get_weights()[0][0, 0])
print("epochs run", len(history.history["loss"]))
print("slope", round(slope, 2))
if abs(slope - 2.0) > 0.001:  # an over-strict acceptance check, as in many CI scripts
    print("slope check failed")
    sys.exit(3)
print("slope check passed")
