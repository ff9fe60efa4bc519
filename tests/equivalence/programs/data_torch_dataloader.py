"""Keras 3 on the torch backend trained from torch.utils.data.DataLoader objects over
TensorDatasets (an Embedding + GlobalAveragePooling1D text classifier), logging to a CSV."""
# kinds: data.dataloader, models.embedding_text, callbacks.csv_logger, data.validation_data, files.write

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset
import keras
from keras import layers

keras.utils.set_random_seed(41)

rng = np.random.default_rng(41)
vocab, length, n = 200, 12, 640
tokens = rng.integers(1, vocab, size=(n, length))
labels = (np.isin(tokens, np.arange(1, 20)).sum(axis=1) >= 1).astype("float32")  # "good words"

train_ds = TensorDataset(torch.tensor(tokens[:512], dtype=torch.int64),
                         torch.tensor(labels[:512]).reshape(-1, 1))
val_ds = TensorDataset(torch.tensor(tokens[512:], dtype=torch.int64),
                       torch.tensor(labels[512:]).reshape(-1, 1))
train_loader = DataLoader(train_ds, batch_size=32, shuffle=True,
                          generator=torch.Generator().manual_seed(0))
val_loader = DataLoader(val_ds, batch_size=64)

model = keras.Sequential([
    keras.Input(shape=(length,), dtype="int64"),
    layers.Embedding(vocab, 16),
    layers.GlobalAveragePooling1D(),
    layers.Dense(16, activation="relu"),
    layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
history = model.fit(train_loader, validation_data=val_loader, epochs=5,
                    callbacks=[keras.callbacks.CSVLogger("history.csv")], verbose=0)

print("losses", [round(v, 3) for v in history.history["loss"]])
print("final val accuracy", round(history.history["val_accuracy"][-1], 3))
with open("history.csv") as f:
    print("csv lines", len(f.read().strip().splitlines()))
print("history keys", sorted(history.history))
