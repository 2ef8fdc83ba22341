"""A small training run with shuffling, Dropout and noise, used by the exact-resume tests.

Run as a script (``python resume_script.py BACKUP_DIR OUT.npz [KILL_AT_BACKUP]``) it trains
with ``BackupAndRestore``; with ``KILL_AT_BACKUP=k`` the k-th backup write stops half-way
(the temporary file is open and partly written), touches ``BACKUP_DIR.writing`` and waits to be
killed.
"""

import sys
import time

import numpy as np
import torch

import openkeras as ok
from openkeras import layers
from openkeras.utils import set_random_seed

EPOCHS = 4


def data():
    rng = np.random.default_rng(0)
    return rng.random((20, 5), dtype=np.float32), rng.random((20, 3), dtype=np.float32)


def make_model(seed=1):
    """A compiled model; ``seed`` sets the generators before the weights are drawn."""
    set_random_seed(seed)
    model = ok.Sequential([layers.Dense(8, activation="relu", input_shape=(5,)),
                           layers.Dropout(0.3), layers.GaussianNoise(0.1),
                           layers.AlphaDropout(0.2), layers.Dense(3)])
    schedule = ok.optimizers.schedules.ExponentialDecay(0.01, decay_steps=3, decay_rate=0.9)
    model.compile(optimizer=ok.optimizers.Adam(schedule), loss="mse")
    return model


def fit(model, callbacks=(), epochs=EPOCHS, initial_epoch=0, shuffle=True):
    x, y = data()
    model.fit(x, y, batch_size=6, epochs=epochs, initial_epoch=initial_epoch, shuffle=shuffle,
              callbacks=list(callbacks), verbose=0)
    return model


def main(backup_dir, out, kill_at=0):
    from openkeras.saving import training_state

    torch.set_num_threads(1)
    if kill_at:
        write, count = training_state.write, [0]

        def write_then_hang(f, model, state=None, name=training_state.GROUP):
            write(f, model, state, name)
            count[0] += 1
            if count[0] == kill_at:
                f.flush()
                open(backup_dir + ".writing", "w").close()
                time.sleep(60)  # the test kills the process here

        training_state.write = write_then_hang
    model = fit(make_model(), [ok.callbacks.BackupAndRestore(backup_dir)])
    np.savez(out, *model.get_weights())


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 0)
