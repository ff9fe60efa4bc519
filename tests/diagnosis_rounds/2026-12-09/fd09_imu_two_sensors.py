# Gesture detection from a wrist IMU: accelerometer and gyroscope come as two
# separate (64, 3) streams, each goes through its own Conv1D stem and then I merge
# them. Loss sits at 0.693 and train and val accuracy stay around 50% for all epochs.
# Each sensor alone is pretty noisy, but together the gesture should be obvious.
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(31)
rng = np.random.default_rng(31)

n, T = 1800, 64
t = np.linspace(0, 2, T)
accel = rng.normal(0, 1.0, size=(n, T, 3))
gyro = rng.normal(0, 1.0, size=(n, T, 3))
# a "twist" gesture: the wrist rotation (gyro z) moves together with accel x;
# for other movements they're out of sync
label = rng.integers(0, 2, n)
freq = rng.uniform(1.0, 3.0, size=(n, 1))
phase = rng.uniform(0, 2 * np.pi, size=(n, 1))
motion = np.sin(2 * np.pi * freq * t + phase)
accel[:, :, 0] += 1.5 * motion
gyro[:, :, 2] += 1.5 * np.where(label[:, None] == 1, motion, -motion)
accel, gyro = accel.astype("float32"), gyro.astype("float32")
y = label.astype("float32")

acc_in = keras.Input(shape=(T, 3), name="accel")
gyr_in = keras.Input(shape=(T, 3), name="gyro")
a = layers.Conv1D(16, 5, padding="same", activation="relu")(acc_in)
g = layers.Conv1D(16, 5, padding="same", activation="relu")(gyr_in)
merged = layers.Concatenate(axis=1)([a, g])
x = layers.Conv1D(32, 5, padding="same", activation="relu")(merged)
x = layers.GlobalAveragePooling1D()(x)
x = layers.Dense(16, activation="relu")(x)
out = layers.Dense(1, activation="sigmoid")(x)
model = keras.Model([acc_in, gyr_in], out)

model.compile(optimizer=keras.optimizers.Adam(2e-3), loss="binary_crossentropy",
              metrics=["accuracy"])
model.fit({"accel": accel[:1500], "gyro": gyro[:1500]}, y[:1500],
          validation_data=({"accel": accel[1500:], "gyro": gyro[1500:]}, y[1500:]),
          epochs=6, batch_size=64, verbose=2)
print("val accuracy:",
      model.evaluate({"accel": accel[1500:], "gyro": gyro[1500:]}, y[1500:], verbose=0)[1])
