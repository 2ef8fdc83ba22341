"""Training from a text file read line by line, with checkpoints and early stopping.

From the seed tutorial "Sequential 与 Model 模型" (fit_generator: `generate_arrays_from_file`
yields arrays made from each line of a file, forever; 8. 更科学地模型训练与模型保存:
`ModelCheckpoint(filepath, monitor='val_loss', verbose=1, save_best_only=True, mode='min')`
and `EarlyStopping(monitor='val_loss', patience=5, verbose=1)` passed to `fit_generator`
with a validation generator). The script first writes a CSV file of random samples
(20 features, then a 0/1 label), then evaluates and predicts from generators too.

Run: openkeras run examples/fit_generator_from_file.py --epochs 10 --samples 10000
"""

import argparse

import numpy as np
from keras.callbacks import EarlyStopping, ModelCheckpoint
from keras.layers import Dense
from keras.models import Sequential

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--epochs", type=int, default=10)
parser.add_argument("--samples", type=int, default=10000, help="lines of the training file")
parser.add_argument("--batch-size", type=int, default=32,
                    help="lines per batch (1 yields one sample per line, as the tutorial)")
parser.add_argument("--data", default="my_file.txt", help="training file to write and read")
args = parser.parse_args()


def write_file(path, n, features=20):
    """Write `n` lines 'x1,...,x20,label' where the label says whether the sum is large."""
    x = np.random.random((n, features))
    y = (x.sum(axis=1) > features / 2).astype(int)
    with open(path, "w") as f:
        for row, label in zip(x, y, strict=True):
            f.write(",".join("%.6f" % v for v in row) + ",%d\n" % label)


def process_line(line):
    """One line of the file -> (inputs of shape (1, 20), label of shape (1, 1))."""
    values = [float(v) for v in line.split(",")]
    return np.array([values[:-1]]), np.array([[values[-1]]])


def generate_arrays_from_file(path, batch_size):
    """Yield batches of (x, y) made from the lines of `path`, starting over at its end."""
    while 1:
        with open(path) as f:
            xs, ys = [], []
            for line in f:
                # create Numpy arrays of input data and labels, from each line in the file
                x, y = process_line(line)
                xs.append(x)
                ys.append(y)
                if len(xs) == batch_size:
                    yield (np.concatenate(xs), np.concatenate(ys))
                    xs, ys = [], []


n_val = max(args.samples // 5, args.batch_size)
write_file(args.data, args.samples)
write_file("val_" + args.data, n_val)

model = Sequential()
model.add(Dense(32, activation="relu", input_dim=20))
model.add(Dense(1, activation="sigmoid"))
model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])

filepath = "model-ep{epoch:03d}-loss{loss:.3f}-val_loss{val_loss:.3f}.h5"
checkpoint = ModelCheckpoint(filepath, monitor="val_loss", verbose=1, save_best_only=True,
                             mode="min")
early_stopping = EarlyStopping(monitor="val_loss", patience=5, verbose=1)

history = model.fit_generator(generate_arrays_from_file(args.data, args.batch_size),
                              steps_per_epoch=args.samples // args.batch_size,
                              epochs=args.epochs,
                              validation_data=generate_arrays_from_file("val_" + args.data,
                                                                        args.batch_size),
                              validation_steps=n_val // args.batch_size,
                              callbacks=[checkpoint, early_stopping])
print(history.history)

score = model.evaluate_generator(generate_arrays_from_file("val_" + args.data, args.batch_size),
                                 steps=n_val // args.batch_size)
print("Test loss:", score[0])
print("Test accuracy:", score[1])
predictions = model.predict_generator(generate_arrays_from_file("val_" + args.data,
                                                                args.batch_size), steps=1)
print("Predicted probabilities for one batch:", predictions.shape)
