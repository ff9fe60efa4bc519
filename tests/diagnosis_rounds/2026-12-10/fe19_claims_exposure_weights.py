import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)

# Motor insurance: predict claim frequency, weight each policy by its exposure (years insured)


def make_policies(n):
    driver_age = rng.uniform(18, 80, n)
    vehicle_power = rng.integers(4, 15, n).astype(float)
    bonus_malus = rng.uniform(50, 150, n)
    density = rng.lognormal(6, 1.2, n)
    exposure = rng.uniform(0.05, 1.0, n)
    log_rate = (
        -1.2
        + 1.5 * np.exp(-(driver_age - 18) / 8)
        + 0.10 * (vehicle_power - 8)
        + 0.02 * (bonus_malus - 100)
        + 0.30 * (np.log(density) - 6)
    )
    claims = rng.poisson(np.exp(log_rate) * exposure)
    frequency = claims / exposure
    numeric = np.column_stack([driver_age, vehicle_power, bonus_malus, np.log(density), exposure])
    return numeric, frequency.astype("float32")


num_train, freq_train = make_policies(4000)
num_test, freq_test = make_policies(1000)

# standardize the numeric columns
mu, sigma = num_train.mean(axis=0), num_train.std(axis=0)
num_train = (num_train - mu) / sigma
num_test = (num_test - mu) / sigma

x_train, w_train = num_train[:, :4].astype("float32"), num_train[:, 4].astype("float32")
x_test, w_test = num_test[:, :4].astype("float32"), num_test[:, 4].astype("float32")

model = keras.Sequential(
    [
        keras.Input(shape=(4,)),
        layers.Dense(32, activation="relu"),
        layers.Dense(16, activation="relu"),
        layers.Dense(1, activation="exponential"),
    ]
)
model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="poisson")
model.fit(
    x_train,
    freq_train,
    sample_weight=w_train,
    batch_size=64,
    epochs=10,
    validation_split=0.2,
    verbose=2,
)
test_loss = model.evaluate(x_test, freq_test, sample_weight=w_test, verbose=0)
pred = model.predict(x_test, verbose=0).ravel()
print(f"weighted test poisson loss {test_loss:.4f}")
print(f"mean predicted frequency {pred.mean():.4f}  vs observed {freq_test.mean():.4f}")
