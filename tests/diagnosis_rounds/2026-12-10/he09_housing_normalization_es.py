import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)


def make_district(n):
    median_income = rng.lognormal(1.3, 0.45, n)
    house_age = rng.uniform(1, 52, n)
    rooms = rng.normal(5.3, 1.2, n).clip(1.5, 12)
    population = rng.lognormal(7.0, 0.7, n)
    latitude = rng.uniform(32.5, 42.0, n)
    longitude = rng.uniform(-124.3, -114.3, n)
    coastal = np.exp(-((longitude + 122.0) ** 2) / 4.0)
    value = (
        0.45 * median_income
        + 0.006 * house_age
        + 0.08 * rooms
        - 0.05 * np.log(population)
        + 1.2 * coastal
        - 0.03 * (latitude - 36) ** 2 * 0.2
        + rng.normal(0, 0.15, n)
    )
    x = np.column_stack([median_income, house_age, rooms, population, latitude, longitude])
    return x.astype("float32"), value.astype("float32")


x_train, y_train = make_district(4000)
x_test, y_test = make_district(800)

normalizer = layers.Normalization()
normalizer.adapt(x_train)

model = keras.Sequential(
    [
        keras.Input(shape=(6,)),
        normalizer,
        layers.Dense(64, activation="relu"),
        layers.Dense(64, activation="relu"),
        layers.Dense(1),
    ]
)
model.compile(optimizer=keras.optimizers.Adam(2e-3), loss="mse", metrics=["mae"])
early_stop = keras.callbacks.EarlyStopping(
    monitor="val_loss", patience=4, restore_best_weights=True
)
history = model.fit(
    x_train,
    y_train,
    batch_size=64,
    epochs=30,
    validation_split=0.2,
    callbacks=[early_stop],
    verbose=2,
)
mse, mae = model.evaluate(x_test, y_test, verbose=0)
print(f"stopped after {len(history.history['loss'])} epochs")
print(f"test mse {mse:.4f}  test mae {mae:.4f}  (target variance {y_test.var():.4f})")
