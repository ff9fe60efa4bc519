import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(24)
np.random.seed(24)

# 3 diagnosis groups from lab values in their natural units
n = 3000
y = np.random.randint(0, 3, n)
glucose = np.random.normal(90 + 25 * y, 15)
chol = np.random.normal(180 + 20 * (y == 2), 30)
bmi = np.random.normal(24 + 3 * y, 4)
sbp = np.random.normal(120 + 10 * (y == 1), 12)
age = np.random.uniform(20, 80, n)
X = np.column_stack([glucose, chol, bmi, sbp, age]).astype("float32")

x_train, x_val = X[:2400], X[2400:]
y_train, y_val = y[:2400], y[2400:]

mean = x_train.mean(axis=0)
std = x_train.std(axis=0)
x_train = (x_train - mean) / std

inputs = keras.Input(shape=(5,))
h = layers.Dense(32, activation="relu")(inputs)
h = layers.Dense(32, activation="relu")(h)
outputs = layers.Dense(3, activation="softmax")(h)
model = keras.Model(inputs, outputs, name="diagnosis_net")
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=15, batch_size=32, validation_data=(x_val, y_val), verbose=2)
print("validation:", model.evaluate(x_val, y_val, verbose=0))
