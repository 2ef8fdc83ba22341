"""Time-series regression with one and two stacked LSTM layers, stopped early on val_loss.

From the seed tutorial "Keras 学习笔记" (3.2 LSTM): a single-layer LSTM(100) model and
the stacked `build_model` (LSTM(100, return_sequences=True) then LSTM(60)), trained with
`losses.mean_squared_error`, Adam, the 'mae' metric and
`EarlyStopping(monitor='val_loss', patience=10)`. The tutorial's series is not given;
here it is a noisy sine wave scaled to [0, 1] (the tutorial's `MinMaxScaler`, by hand).

Run: openkeras run examples/lstm_regression.py --epochs 30 --samples 1000
"""

import argparse

import numpy as np
from keras import losses
from keras.callbacks import EarlyStopping
from keras.layers import LSTM, Activation, Dense, Dropout
from keras.models import Sequential

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--epochs", type=int, default=30)
parser.add_argument("--samples", type=int, default=1000, help="number of training windows")
parser.add_argument("--batch-size", type=int, default=100)
parser.add_argument("--timesteps", type=int, default=20, help="length of each input window")
args = parser.parse_args()

# A noisy sine wave, scaled to [0, 1]; each sample is a window of `timesteps` values and
# its target the value that follows.
n_test = max(args.samples // 4, 1)
length = args.samples + n_test + args.timesteps
series = np.sin(np.arange(length) * 0.1) + 0.1 * np.random.randn(length)
low, high = series.min(), series.max()
scaled = (series - low) / (high - low)
windows = np.array([scaled[i:i + args.timesteps] for i in range(length - args.timesteps)])
targets = scaled[args.timesteps:].reshape(-1, 1)
x_train, y_train = windows[: args.samples], targets[: args.samples]
x_test, y_test = windows[args.samples:], targets[args.samples:]

# (samples, timesteps) -> (samples, timesteps, features)
x_train = np.reshape(x_train, (x_train.shape[0], x_train.shape[1], 1))
x_test = np.reshape(x_test, (x_test.shape[0], x_test.shape[1], 1))
print(x_train.shape)


def build_model(x_train, y_train):
    """The tutorial's stacked model: two LSTM layers, dropout, one relu output."""
    model = Sequential()
    model.add(LSTM(100, input_shape=(x_train.shape[1], x_train.shape[2]),
                   return_sequences=True))
    model.add(LSTM(60, return_sequences=False))
    model.add(Dropout(0.2))
    model.add(Dense(1))
    model.add(Activation("relu"))
    model.compile(loss=losses.mean_squared_error, optimizer="adam", metrics=["mae"])
    model.summary()
    return model


# One LSTM layer of 100 units
single = Sequential()
single.add(LSTM(100, input_shape=(x_train.shape[1], x_train.shape[2])))
single.add(Dropout(0.25))
single.add(Dense(1))
single.add(Activation("relu"))
single.compile(loss=losses.mean_squared_error, optimizer="adam", metrics=["mae"])

for name, model in (("single LSTM", single), ("stacked LSTM", build_model(x_train, y_train))):
    history = model.fit(x_train, y_train, epochs=args.epochs, batch_size=args.batch_size,
                        validation_data=(x_test, y_test),
                        callbacks=[EarlyStopping(monitor="val_loss", patience=10)],
                        verbose=1, shuffle=True)
    print(name, "trained for", len(history.history["loss"]), "epochs;",
          "last val_mae:", history.history["val_mae"][-1])

    # Predict, then undo the scaling
    test_predict = model.predict(x_test) * (high - low) + low
    truth = y_test * (high - low) + low
    print(name, "test RMSE:", float(np.sqrt(np.mean((test_predict - truth) ** 2))))
