"""Each seed of a sweep as its single run starts it: its data, its initial weights, and the state
of torch's generator that its fit() draws the batch order from; and that batch order, replayed.

"Seed s" means what `scen run <scenario> --seed s --backend torch` means: the data of
`make_data(config, s)`, the initial weights of the Keras model built after seeding with s, and
the batch order Keras's torch DataLoader draws after seeding with s.
* Initial weights: the Keras model is built once per configuration; each seed's weights come
  from re-running its initializers with the default seeds Python's random draws after seeding
  with s (checked against real builds of two seeds; every seed is built if they ever differ).
* Batch order: each seed has its own torch generator, started from the state a run's fit()
  finds, and replays scen.native.Trainer's draws (Keras's DataLoader: one int64 per iterator,
  a randperm seeded by another), for all seeds at once (BatchOrders); a thread prepares the next
  epochs' orders (Prefetch).
* Setting up reseeds the global generators as a run does; global_generators_kept() restores
  them afterwards.
"""

from __future__ import annotations

import contextlib
import copy
import random
import sys

import numpy as np

from scen.scenario import ScenError


def keras_on_torch():
    """Keras, imported on its torch backend (chosen now if Keras is not imported yet)."""
    import os

    if "keras" not in sys.modules:
        os.environ["KERAS_BACKEND"] = "torch"
    import keras

    if keras.backend.backend() != "torch":
        raise ScenError("the vectorised sweep needs Keras on its torch backend; this process "
                        f"imported Keras on {keras.backend.backend()}")
    return keras


class BatchOrders:
    """Every seed's batch order: scen.native.Trainer's draws from torch's global generator,
    replayed from each seed's own generator. The seeds draw in lockstep (the same fit, so the
    same sequence of draws), so the bookkeeping is done once for all of them. The int64 draws
    come in blocks (one random_ over k elements draws what k scalar random_ calls draw); each
    randperm has its own generator, seeded by one of them, as Keras's RandomSampler does."""

    BLOCK = 256

    def __init__(self, generators, n: int, batches: int, steps: int, carry: bool,
                 shuffle: bool):
        import torch

        self.torch, self.generators = torch, generators
        self.n, self.batches, self.steps = n, batches, steps
        self.carry, self.shuffle = carry, shuffle
        self.buf, self.pos = None, 0
        self.order, self.seen, self.fresh = None, 0, True
        self.perm_gen = torch.Generator()

    def _draw(self) -> np.ndarray:
        """The next int64 of every seed's generator."""
        torch = self.torch
        if self.buf is None or self.pos == self.BLOCK:
            self.buf = np.stack([torch.empty((self.BLOCK,), dtype=torch.int64)
                                 .random_(generator=g).numpy() for g in self.generators])
            self.pos = 0
        self.pos += 1
        return self.buf[:, self.pos - 1]

    def _new_iterator(self) -> None:
        self._draw()
        self.order, self.seen = None, 0

    def _draw_order(self):
        torch = self.torch
        if not self.shuffle:
            return torch.arange(self.n).expand(len(self.generators), self.n)
        g, n = self.perm_gen, self.n
        perms = []
        for seed in self._draw().tolist():
            g.manual_seed(seed)
            perms.append(torch.randperm(n, generator=g))
        return torch.stack(perms)

    def start(self) -> None:
        """fit() peeks at one batch to build the model, then resets the iterator."""
        self._new_iterator()
        self._draw_order()
        self.order, self.seen, self.fresh = None, 0, True

    def epoch(self):
        """(orders (S, n), first batch, number of batches) of the next epoch:
        Trainer._epoch_batches, which stops where the pass runs out of batches."""
        if self.fresh or not self.carry:
            self._new_iterator()
            self.fresh = False
        first = self.seen
        count = min(self.steps, self.batches - self.seen)
        if count > 0 and self.order is None:
            self.order = self._draw_order()
        self.seen += count
        order = self.order
        if self.seen >= self.batches:
            self._new_iterator()
        return order, first, count

    def evaluate(self) -> None:
        self._draw()  # evaluate's iterator, and the one made at the end of its pass
        self._draw()



def reference_build(keras, scenario, config: dict, seed: int):
    """Build the Keras model as scen.native.run does (seed, float32, make_data, build), noting
    which initializer made each weight and which initializers drew a default seed."""
    from keras.src.backend.common import variables
    from keras.src.initializers import random_initializers

    from scen.keras_run import seed_everything

    created, made = [], {}
    original_init = random_initializers.RandomInitializer.__init__
    original_make = variables.Variable._initialize_with_initializer

    def record_init(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        created.append(self)

    def record_make(self, initializer):
        made[id(self)] = initializer
        return original_make(self, initializer)

    keras.backend.clear_session(free_memory=False)  # as a run does, less its gc.collect()
    seed_everything(keras, seed)
    keras.config.set_dtype_policy("float32")
    random_initializers.RandomInitializer.__init__ = record_init
    variables.Variable._initialize_with_initializer = record_make
    try:
        model, data = built(keras, scenario, config, seed)
    finally:
        random_initializers.RandomInitializer.__init__ = original_init
        variables.Variable._initialize_with_initializer = original_make
    return model, data, created, made


def seed_cpu(seed: int) -> None:
    """scen.keras_run.seed_everything on Keras-torch, for the CPU generator only: torch's
    manual_seed also queues a lazy seeding of every accelerator, with a stack trace each time
    (~1 ms, and memory, per seed)."""
    import torch
    from keras.src.backend.common import global_state
    from keras.src.random import seed_generator
    from keras.src.utils import rng_utils

    global_state.set_global_attribute(rng_utils.GLOBAL_RANDOM_SEED, seed)
    global_state.set_global_attribute(seed_generator.GLOBAL_SEED_GENERATOR, None)
    random.seed(seed)
    np.random.seed(seed)
    torch.default_generator.manual_seed(seed)


def built(keras, scenario, config: dict, seed: int):
    """(model, data) of a seed, everything seeded: a scenario makes its data, then builds its
    model; a script (scen.sweep.script_program) runs its preamble, which does both."""
    if hasattr(scenario, "build"):
        return scenario.build(config, seed)
    data = scenario.make_data(config, seed)
    with keras.device("cpu"):
        return scenario.build_model(config), data


def build_weights(keras, scenario, config, seed) -> list[np.ndarray]:
    """A seed's initial weights the slow, sure way: a Keras build."""
    from scen.keras_run import seed_everything

    seed_everything(keras, seed)
    return [np.asarray(w) for w in built(keras, scenario, config, seed)[0].get_weights()]


class InitialWeights:
    """Every seed's initial weights without building a Keras model per seed (a build costs
    ~10 ms): after seed_everything(s) and make_data(config, s), draw the
    initializers' default seeds from Python's random in the order the build created them
    (RandomInitializer calls random.randint(1, 1e9) when given no seed), then call each weight's
    initializer as Keras's Variable does. Checked against real builds by the caller."""

    def __init__(self, keras, model, created, made):
        from keras.src.initializers import random_initializers

        self.keras = keras
        self.defaults = [i for i in created
                         if isinstance(i, random_initializers.RandomInitializer)
                         and i._init_seed is None]
        self.weights = [(v, made.get(id(v))) for v in model.weights]
        self.ok = all(init is not None for _, init in self.weights)

    def after_seeding(self) -> list[np.ndarray]:
        drawn = {id(i): random.randint(1, int(1e9)) for i in self.defaults}  # creation order
        out = []
        with self.keras.device("cpu"):
            for v, init in self.weights:
                if id(init) in drawn:
                    seed = drawn[id(init)]
                    init = copy.copy(init)
                    init.seed = seed
                value = init(tuple(v.shape), dtype=v.dtype)
                out.append(np.array(self.keras.ops.convert_to_numpy(value)))
        return out


def same(a, b) -> bool:
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a is b or (np.shape(a) == np.shape(b) and np.array_equal(a, b))



class Prefetch:
    """Runs a generator in a thread, up to `depth` items ahead; errors come out of next()."""

    _END = object()

    def __init__(self, source, depth: int = 2):
        import queue
        import threading

        self.queue = queue.Queue(maxsize=depth)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(source,), daemon=True,
                                       name="scen-sweep-prefetch")
        self.thread.start()

    def _put(self, item) -> bool:
        import queue

        while not self.stop.is_set():
            try:
                self.queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _run(self, source) -> None:
        try:
            for item in source:
                if not self._put((True, item)):
                    return
            self._put((True, self._END))
        except BaseException as e:  # handed to the consumer
            self._put((False, e))

    def __next__(self):
        ok, item = self.queue.get()
        if not ok:
            raise item
        if item is self._END:
            raise StopIteration
        return item

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=5)



@contextlib.contextmanager
def global_generators_kept():
    """Python's, NumPy's and torch's CPU generator as they were: setting up a sweep reseeds them
    for every seed, as a run does."""
    import torch

    py_state, np_state = random.getstate(), np.random.get_state()
    try:
        with torch.random.fork_rng(devices=[]):
            yield
    finally:
        random.setstate(py_state)
        np.random.set_state(np_state)
