import numpy as np
import keras
from keras import layers, ops

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)

# Ratings log: raw user ids come from the accounts database (sparse ids),
# movie ids are already 0..n_movies-1
n_users_true, n_movies, n_ratings = 600, 200, 6000
raw_user_ids = rng.choice(20000, n_users_true, replace=False)
user_bias = rng.normal(0, 1.0, n_users_true)
movie_bias = rng.normal(0, 0.5, n_movies)
u_f = rng.normal(0, 0.5, (n_users_true, 3))
m_f = rng.normal(0, 0.5, (n_movies, 3))

u_idx = rng.integers(0, n_users_true, n_ratings)
m_idx = rng.integers(0, n_movies, n_ratings)
ratings = (3.0 + user_bias[u_idx] + movie_bias[m_idx] + np.sum(u_f[u_idx] * m_f[m_idx], axis=1)
           + rng.normal(0, 0.2, n_ratings))
ratings = np.clip(ratings, 0.5, 5.5).astype("float32")

user_col = raw_user_ids[u_idx]
movie_col = m_idx

num_users = len(np.unique(user_col))
num_movies = len(np.unique(movie_col))
user_col = np.clip(user_col, 0, num_users - 1)
print("num_users", num_users, "num_movies", num_movies)

x = np.stack([user_col, movie_col], axis=1).astype("int32")
y = ratings
x_train, x_val = x[:5000], x[5000:]
y_train, y_val = y[:5000], y[5000:]


class RecommenderNet(keras.Model):
    def __init__(self, num_users, num_movies, embedding_size, **kwargs):
        super().__init__(**kwargs)
        self.user_embedding = layers.Embedding(num_users, embedding_size,
                                               embeddings_regularizer=keras.regularizers.l2(1e-5))
        self.user_bias = layers.Embedding(num_users, 1)
        self.movie_embedding = layers.Embedding(num_movies, embedding_size,
                                                embeddings_regularizer=keras.regularizers.l2(1e-5))
        self.movie_bias = layers.Embedding(num_movies, 1)
        self.global_bias = self.add_weight(shape=(1,), initializer=keras.initializers.Constant(3.0),
                                           name="global_bias")

    def call(self, inputs):
        u = self.user_embedding(inputs[:, 0])
        m = self.movie_embedding(inputs[:, 1])
        dot = ops.sum(u * m, axis=1, keepdims=True)
        return dot + self.user_bias(inputs[:, 0]) + self.movie_bias(inputs[:, 1]) + self.global_bias


model = RecommenderNet(num_users, num_movies, 8)
model.compile(optimizer=keras.optimizers.Adam(5e-3), loss="mse", metrics=["mae"])
model.fit(x_train, y_train, batch_size=64, epochs=12, validation_data=(x_val, y_val), verbose=2)
print("rating variance (val):", float(np.var(y_val)))
print("val [mse, mae]:", model.evaluate(x_val, y_val, verbose=0))
