"""Stacked stateful LSTMs: states carried from batch to batch, reset by hand.

From the seed tutorials "Keras 模型 API" (a stack of three stateful LSTM layers with a full
`batch_input_shape`, trained with `shuffle=False`) and the Keras FAQ ("如何使用有状态 RNN":
`train_on_batch` on consecutive slices of the same sequences, then `reset_states()`).

Run: openkeras run examples/stateful_lstm.py --epochs 5 --samples 320
"""

import argparse

import numpy as np
from keras.layers import LSTM, Dense
from keras.models import Sequential

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--epochs", type=int, default=5)
parser.add_argument("--samples", type=int, default=320,
                    help="training sequences (rounded down to a multiple of the batch size)")
parser.add_argument("--batch-size", type=int, default=32)
args = parser.parse_args()

data_dim = 16
timesteps = 8
num_classes = 10
batch_size = args.batch_size
n_batches = max(args.samples // batch_size, 1)

# Expected input batch shape: (batch_size, timesteps, data_dim)
# Note that we have to provide the full batch_input_shape since the network is stateful.
# the sample of index i in batch k is the follow-up for the sample i in batch k-1.
model = Sequential()
model.add(LSTM(32, return_sequences=True, stateful=True,
               batch_input_shape=(batch_size, timesteps, data_dim)))
model.add(LSTM(32, return_sequences=True, stateful=True))
model.add(LSTM(32, stateful=True))
model.add(Dense(num_classes, activation="softmax"))

model.compile(loss="categorical_crossentropy", optimizer="rmsprop", metrics=["accuracy"])

# Generate dummy training data
x_train = np.random.random((batch_size * n_batches, timesteps, data_dim))
y_train = np.random.random((batch_size * n_batches, num_classes))

# Generate dummy validation data
x_val = np.random.random((batch_size * 3, timesteps, data_dim))
y_val = np.random.random((batch_size * 3, num_classes))

model.fit(x_train, y_train, batch_size=batch_size, epochs=args.epochs, shuffle=False,
          validation_data=(x_val, y_val))

# From the FAQ: one LSTM layer fed consecutive slices of the same 21-step sequences.
x = np.random.random((batch_size, 21, 16))

model = Sequential()
model.add(LSTM(32, input_shape=(10, 16), batch_size=batch_size, stateful=True))
model.add(Dense(16, activation="softmax"))
model.compile(optimizer="rmsprop", loss="categorical_crossentropy")

# learn to predict step 11 from the first 10 steps
model.train_on_batch(x[:, :10, :], np.reshape(x[:, 10, :], (batch_size, 16)))

# the state of the network has changed: feed the follow-up sequences
model.train_on_batch(x[:, 10:20, :], np.reshape(x[:, 20, :], (batch_size, 16)))
carried = model.predict_on_batch(x[:, 10:20, :])

# reset the states of every layer of the model
model.reset_states()
# or of one layer only
model.layers[0].reset_states()
fresh = model.predict_on_batch(x[:, 10:20, :])
print("Outputs differ once the states are reset:", bool(np.abs(carried - fresh).max() > 0))
