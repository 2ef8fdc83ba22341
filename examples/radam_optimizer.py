"""A custom optimizer written the way Keras 2 add-on libraries write one: RAdam.

In the style of keras-radam's `RAdam`: a `keras.optimizers.Optimizer` subclass whose
`__init__` takes Keras 2 arguments and passes the rest to `super().__init__(**kwargs)`,
creates its variables with `K.variable` inside `K.name_scope`, and whose `get_updates(loss,
params)` builds the step with backend functions (`get_gradients`, `K.zeros` moments,
`K.switch`, `K.update`) and records `self.updates` and `self.weights`. The model is
compiled with `optimizer=RAdam()`, trained with `fit`, saved, and reloaded with
`custom_objects` (the optimizer's state included).

Rectified Adam (Liu et al., 2019): Adam whose step is scaled by r_t while the variance
estimate is reliable (the approximated SMA length sma_t >= sma_threshold), and plain
momentum SGD before that.

Run: openkeras run examples/radam_optimizer.py --epochs 20 --samples 1000
"""

import argparse

import keras
import numpy as np
from keras import backend as K
from keras.layers import Dense
from keras.models import Sequential, load_model

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--epochs", type=int, default=20)
parser.add_argument("--samples", type=int, default=1000, help="number of training samples")
parser.add_argument("--batch-size", type=int, default=32)
args = parser.parse_args()


class RAdam(keras.optimizers.Optimizer):
    """Rectified Adam.

    Args:
        lr: learning rate.
        beta_1, beta_2: decay rates of the first and second moment estimates.
        epsilon: fuzz factor; `K.epsilon()` when None.
        decay: time-based learning rate decay per update.
        sma_threshold: the SMA length from which the adaptive (rectified) step is taken.
    """

    def __init__(self, lr=0.001, beta_1=0.9, beta_2=0.999, epsilon=None, decay=0.,
                 sma_threshold=5.0, **kwargs):
        super(RAdam, self).__init__(**kwargs)
        with K.name_scope(self.__class__.__name__):
            self.iterations = K.variable(0, dtype="int64", name="iterations")
            self.lr = K.variable(lr, name="lr")
            self.beta_1 = K.variable(beta_1, name="beta_1")
            self.beta_2 = K.variable(beta_2, name="beta_2")
            self.decay = K.variable(decay, name="decay")
        if epsilon is None:
            epsilon = K.epsilon()
        self.epsilon = epsilon
        self.initial_decay = decay
        self.sma_threshold = sma_threshold

    def get_updates(self, loss, params):
        grads = self.get_gradients(loss, params)
        self.updates = [K.update_add(self.iterations, 1)]

        lr = self.lr
        if self.initial_decay > 0:
            lr = lr * (1. / (1. + self.decay * K.cast(self.iterations, K.dtype(self.decay))))

        t = K.cast(self.iterations, K.floatx()) + 1
        ms = [K.zeros(K.int_shape(p), dtype=K.dtype(p), name="m_" + str(i))
              for i, p in enumerate(params)]
        vs = [K.zeros(K.int_shape(p), dtype=K.dtype(p), name="v_" + str(i))
              for i, p in enumerate(params)]
        self.weights = [self.iterations] + ms + vs

        beta_1_t = K.pow(self.beta_1, t)
        beta_2_t = K.pow(self.beta_2, t)
        sma_inf = 2.0 / (1.0 - self.beta_2) - 1.0
        sma_t = sma_inf - 2.0 * t * beta_2_t / (1.0 - beta_2_t)

        for p, g, m, v in zip(params, grads, ms, vs, strict=True):
            m_t = (self.beta_1 * m) + (1. - self.beta_1) * g
            v_t = (self.beta_2 * v) + (1. - self.beta_2) * K.square(g)
            m_corr_t = m_t / (1.0 - beta_1_t)
            v_corr_t = K.sqrt(v_t / (1.0 - beta_2_t))
            # r_t is only defined (and only used) once sma_t > 4
            r_t = K.sqrt(K.relu(sma_t - 4.0) / (sma_inf - 4.0) * (sma_t - 2.0)
                         / (sma_inf - 2.0) * sma_inf / sma_t)
            p_t = K.switch(sma_t >= self.sma_threshold,
                           r_t * m_corr_t / (v_corr_t + self.epsilon), m_corr_t)
            new_p = p - lr * p_t
            if getattr(p, "constraint", None) is not None:
                new_p = p.constraint(new_p)
            self.updates.append(K.update(m, m_t))
            self.updates.append(K.update(v, v_t))
            self.updates.append(K.update(p, new_p))
        return self.updates

    def get_config(self):
        config = {
            "lr": float(K.get_value(self.lr)),
            "beta_1": float(K.get_value(self.beta_1)),
            "beta_2": float(K.get_value(self.beta_2)),
            "decay": float(K.get_value(self.decay)),
            "epsilon": self.epsilon,
            "sma_threshold": self.sma_threshold,
        }
        base_config = super(RAdam, self).get_config()
        return dict(list(base_config.items()) + list(config.items()))


rng = np.random.RandomState(0)
true_w = rng.normal(size=(10, 1))


def make_data(n):
    x = rng.normal(size=(n, 10)).astype("float32")
    y = (np.tanh(x @ true_w) + 0.05 * rng.normal(size=(n, 1))).astype("float32")
    return x, y


x_train, y_train = make_data(args.samples)
x_test, y_test = make_data(max(args.samples // 4, 8))

model = Sequential([Dense(16, activation="tanh", input_shape=(10,)), Dense(1)])
model.compile(optimizer=RAdam(lr=0.01), loss="mse")
before = model.evaluate(x_test, y_test, verbose=0)
history = model.fit(x_train, y_train, batch_size=args.batch_size, epochs=args.epochs,
                    verbose=0)
after = model.evaluate(x_test, y_test, verbose=0)
print("Epoch losses: " + " ".join("{:.4f}".format(v) for v in history.history["loss"]))
print("Test loss: {:.4f} -> {:.4f}".format(before, after))
print("Test loss went down: {}".format(after < before))
print("Optimizer steps taken: {}".format(int(K.get_value(model.optimizer.iterations))))

model.save("radam_model.h5")
reloaded = load_model("radam_model.h5", custom_objects={"RAdam": RAdam})
print("Reloaded optimizer: {} lr={:.3g}".format(
    type(reloaded.optimizer).__name__, float(K.get_value(reloaded.optimizer.lr))))
same = np.allclose(model.predict(x_test), reloaded.predict(x_test), atol=1e-6)
print("Reloaded with custom_objects, same predictions: {}".format(same))
# one more step on each from the same state gives the same weights if the RAdam moments and
# step count came back with the file
model.train_on_batch(x_train[:8], y_train[:8])
reloaded.train_on_batch(x_train[:8], y_train[:8])
same = all(np.allclose(a, b, atol=1e-6)
           for a, b in zip(model.get_weights(), reloaded.get_weights(), strict=True))
print("Optimizer state reloaded, same next step: {}".format(same))
