# Predicting machine failures (~5% of the logs) from sensor readings. Using
# balanced class weights so the model doesn't just predict "no failure" all the time.
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(12)
rng = np.random.default_rng(12)

n = 8000
temp = rng.normal(70, 8, n)
vibration = rng.gamma(2.0, 1.5, n)
rpm = rng.normal(1500, 200, n)
torque = rng.normal(40, 10, n)
tool_wear = rng.uniform(0, 250, n)
risk = (0.12 * (temp - 70) + 0.5 * (vibration - 3) + 0.004 * (tool_wear - 125)
        + 0.05 * (torque - 40) * (rpm < 1300) + rng.normal(0, 0.8, n))
failure = (risk > np.quantile(risk, 0.95)).astype("float32")

X = np.column_stack([temp, vibration, rpm, torque, tool_wear]).astype("float32")
x_train, y_train = X[:6400], failure[:6400]
x_test, y_test = X[6400:], failure[6400:]
print("failure rate train/test:", y_train.mean(), y_test.mean())

norm = layers.Normalization()
norm.adapt(x_train)

n_pos = y_train.sum()
n_neg = len(y_train) - n_pos
class_weight = {0: len(y_train) / (2 * n_neg), 1: len(y_train) / (2 * n_pos)}
print("class weights:", class_weight)

model = keras.Sequential([
    keras.Input(shape=(5,)),
    norm,
    layers.Dense(32, activation="relu"),
    layers.Dense(16, activation="relu"),
    layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer=keras.optimizers.Adam(2e-3), loss="binary_crossentropy",
              metrics=[keras.metrics.AUC(name="auc"),
                       keras.metrics.Recall(name="recall"),
                       keras.metrics.Precision(name="precision")])
model.fit(x_train, y_train, validation_data=(x_test, y_test), epochs=10,
          batch_size=256, class_weight=class_weight, verbose=2)
res = model.evaluate(x_test, y_test, verbose=0, return_dict=True)
print({k: round(float(v), 4) for k, v in res.items()})
