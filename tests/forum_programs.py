"""Twenty small programs of the kinds people post when training fails, for the port's parity
table: each gives (model, inputs, targets, loss, optimizer) on tiny random data."""

from __future__ import annotations

import keras
import numpy as np

L = keras.layers
N = 64  # samples; train_parity cycles over them in batches of 16


def _rng(seed):
    return np.random.default_rng(seed)


def images(shape, classes, seed):
    r = _rng(seed)
    return r.uniform(0, 1, size=(N, *shape)).astype("float32"), r.integers(0, classes, N).astype("float32")


def tokens(length, vocab, seed, pad=False):
    r = _rng(seed)
    x = r.integers(1, vocab, size=(N, length)).astype("float32")
    if pad:  # sequences of different lengths, zero-padded at the end
        for i, n in enumerate(r.integers(2, length + 1, N)):
            x[i, n:] = 0
    return x, r.integers(0, 2, N).astype("float32").reshape(-1, 1)


def series(length, features, seed):
    r = _rng(seed)
    x = r.normal(size=(N, length, features)).astype("float32")
    return x, x.mean(axis=(1, 2)).reshape(-1, 1).astype("float32") + 0.1


def onehot(labels, classes):
    return np.eye(classes, dtype="float32")[labels.astype(int)]


def mnist_convnet():
    x, y = images((12, 12, 1), 10, 1)
    m = keras.Sequential([keras.Input((12, 12, 1)), L.Conv2D(8, 3, activation="relu"),
                          L.MaxPooling2D(), L.Conv2D(8, 3, activation="relu"), L.Flatten(),
                          L.Dense(10, activation="softmax")])
    return m, [x], y, "sparse_categorical_crossentropy", "adam"


def cifar_like_bn_dropout():
    r = _rng(2)
    x = r.integers(0, 256, size=(N, 8, 8, 3)).astype("float32")
    y = onehot(r.integers(0, 4, N), 4)
    m = keras.Sequential([keras.Input((8, 8, 3)), L.Rescaling(1 / 255.0),
                          L.Conv2D(8, 3, padding="same"), L.BatchNormalization(), L.ReLU(),
                          L.MaxPooling2D(), L.Dropout(0.25), L.Flatten(),
                          L.Dense(4, activation="softmax")])
    return m, [x], y, "categorical_crossentropy", keras.optimizers.SGD(0.05, momentum=0.9)


def text_lstm():
    x, y = tokens(10, 30, 3)
    m = keras.Sequential([keras.Input((10,)), L.Embedding(30, 8), L.LSTM(8),
                          L.Dense(1, activation="sigmoid")])
    return m, [x], y, "binary_crossentropy", "adam"


def text_lstm_masked():
    x, y = tokens(10, 30, 4, pad=True)
    m = keras.Sequential([keras.Input((10,)), L.Embedding(30, 8, mask_zero=True), L.LSTM(8),
                          L.Dense(1, activation="sigmoid")])
    return m, [x], y, "binary_crossentropy", "adam"


def batchnorm_mlp():
    r = _rng(5)
    x = r.normal(size=(N, 12)).astype("float32")
    y = onehot(r.integers(0, 3, N), 3)
    m = keras.Sequential([keras.Input((12,)), L.Dense(32), L.BatchNormalization(),
                          L.Activation("relu"), L.Dropout(0.3), L.Dense(3, activation="softmax")])
    return m, [x], y, "categorical_crossentropy", "sgd"


def conv1d_timeseries():
    x, y = series(16, 2, 6)
    m = keras.Sequential([keras.Input((16, 2)), L.Conv1D(8, 3, activation="relu"),
                          L.MaxPooling1D(), L.Conv1D(8, 3, padding="same", activation="relu"),
                          L.GlobalAveragePooling1D(), L.Dense(1)])
    return m, [x], y, "mse", "adam"


def gru_sequence():
    x, y = series(8, 3, 7)
    m = keras.Sequential([keras.Input((8, 3)), L.GRU(8, return_sequences=True), L.GRU(4),
                          L.Dense(1)])
    return m, [x], y, "mse", "rmsprop"


def dense_autoencoder():
    x = _rng(8).uniform(0, 1, size=(N, 32)).astype("float32")
    m = keras.Sequential([keras.Input((32,)), L.Dense(16, activation="relu"),
                          L.Dense(4, activation="relu"), L.Dense(16, activation="relu"),
                          L.Dense(32, activation="sigmoid")])
    return m, [x], x, "binary_crossentropy", "adam"


def conv_autoencoder():
    x = _rng(9).uniform(0, 1, size=(N, 8, 8, 1)).astype("float32")
    m = keras.Sequential([keras.Input((8, 8, 1)), L.Conv2D(8, 3, padding="same", activation="relu"),
                          L.MaxPooling2D(), L.Conv2D(4, 3, padding="same", activation="relu"),
                          L.UpSampling2D(), L.Conv2D(1, 3, padding="same", activation="sigmoid")])
    return m, [x], x, "mse", "adam"


def simple_rnn_classifier():
    x, _ = series(6, 2, 10)
    y = (x[:, :, 0].sum(1) > 0).astype("float32")
    m = keras.Sequential([keras.Input((6, 2)), L.SimpleRNN(8), L.Dense(2, activation="softmax")])
    return m, [x], y, "sparse_categorical_crossentropy", "adam"


def embedding_average_classifier():
    x, y = tokens(12, 40, 11, pad=True)
    m = keras.Sequential([keras.Input((12,)), L.Embedding(40, 8, mask_zero=True),
                          L.GlobalAveragePooling1D(), L.Dense(8, activation="relu"),
                          L.Dense(1, activation="sigmoid")])
    return m, [x], y, "binary_crossentropy", "adam"


def lstm_encoder_decoder():
    x, _ = series(5, 2, 12)
    y = x[:, ::-1, :1].copy()
    m = keras.Sequential([keras.Input((5, 2)), L.LSTM(8), L.RepeatVector(5),
                          L.LSTM(8, return_sequences=True), L.Dense(1)])
    return m, [x], y, "mse", "adam"


def wide_and_deep():
    r = _rng(13)
    a, b = r.normal(size=(N, 4)).astype("float32"), r.normal(size=(N, 6)).astype("float32")
    y = (a.sum(1, keepdims=True) - b[:, :1]).astype("float32")
    ia, ib = keras.Input((4,)), keras.Input((6,))
    deep = L.Dense(8, activation="relu")(L.Dense(8, activation="relu")(ib))
    m = keras.Model([ia, ib], L.Dense(1)(L.Concatenate()([ia, deep])))
    return m, [a, b], y, "mse", "adam"


def residual_mlp():
    r = _rng(14)
    x = r.normal(size=(N, 8)).astype("float32")
    y = np.tanh(x[:, :1] * x[:, 1:2]).astype("float32")
    i = keras.Input((8,))
    h = L.Dense(16, activation="relu")(i)
    h = L.LayerNormalization()(L.Add()([h, L.Dense(16, activation="relu")(h)]))
    return keras.Model(i, L.Dense(1)(h)), [x], y, "mse", "adam"


def siamese_cosine():
    r = _rng(15)
    a, b = r.normal(size=(N, 6)).astype("float32"), r.normal(size=(N, 6)).astype("float32")
    y = ((a * b).sum(1, keepdims=True) > 0).astype("float32")
    ia, ib = keras.Input((6,)), keras.Input((6,))
    enc = L.Dense(8, activation="tanh")
    sim = L.Dot(axes=1, normalize=True)([enc(ia), enc(ib)])
    return keras.Model([ia, ib], L.Dense(1, activation="sigmoid")(sim)), [a, b], y, "binary_crossentropy", "adam"


def normalized_regressor():
    r = _rng(16)
    x = (r.normal(size=(N, 5)) * [1, 10, 100, 0.1, 5] + [0, 50, -3, 1, 7]).astype("float32")
    y = (x[:, :1] / 1 + x[:, 1:2] / 10).astype("float32")
    norm = L.Normalization()
    norm.adapt(x)
    m = keras.Sequential([keras.Input((5,)), norm, L.Dense(16, activation="relu"), L.Dense(1)])
    return m, [x], y, "mse", "adam"


def leaky_convnet():
    x, y = images((10, 10, 2), 3, 17)
    m = keras.Sequential([keras.Input((10, 10, 2)), L.Conv2D(8, 3, strides=2, padding="same"),
                          L.LeakyReLU(), L.Conv2D(8, 3), L.ELU(), L.GlobalMaxPooling2D(),
                          L.Dense(3, activation="softmax")])
    return m, [x], y, "sparse_categorical_crossentropy", "rmsprop"


def conv_lstm_hybrid():
    x, y = series(12, 3, 18)
    m = keras.Sequential([keras.Input((12, 3)), L.Conv1D(8, 3, activation="relu"),
                          L.MaxPooling1D(), L.LSTM(8), L.Dense(1)])
    return m, [x], y, "mse", "adam"


def noisy_regressor():
    r = _rng(19)
    x = r.normal(size=(N, 6)).astype("float32")
    y = np.sin(x[:, :1]).astype("float32")
    m = keras.Sequential([keras.Input((6,)), L.GaussianNoise(0.1), L.Dense(16, activation="tanh"),
                          L.Dense(1)])
    return m, [x], y, "mse", "adam"


def text_cnn():
    x, y = tokens(12, 40, 20)
    m = keras.Sequential([keras.Input((12,)), L.Embedding(40, 8), L.SpatialDropout1D(0.2),
                          L.Conv1D(8, 3, activation="relu"), L.GlobalMaxPooling1D(),
                          L.Dense(1, activation="sigmoid")])
    return m, [x], y, "binary_crossentropy", "adam"


PROGRAMS = {f.__name__: f for f in [
    mnist_convnet, cifar_like_bn_dropout, text_lstm, text_lstm_masked, batchnorm_mlp,
    conv1d_timeseries, gru_sequence, dense_autoencoder, conv_autoencoder, simple_rnn_classifier,
    embedding_average_classifier, lstm_encoder_decoder, wide_and_deep, residual_mlp,
    siamese_cosine, normalized_regressor, leaky_convnet, conv_lstm_hybrid, noisy_regressor,
    text_cnn]}
