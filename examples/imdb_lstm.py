"""Sentiment classification of IMDB reviews with an LSTM (our version of imdb_lstm).

Reviews are word-index sequences padded to 80 words; an Embedding feeds an LSTM with
input and recurrent dropout, then one sigmoid unit. Keras's original reports about 0.83
test accuracy.

Run: openkeras run examples/imdb_lstm.py
"""

import argparse

from keras.datasets import imdb
from keras.layers import LSTM, Dense, Embedding
from keras.models import Sequential
from keras.preprocessing import sequence

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--epochs", type=int, default=15)
parser.add_argument("--samples", type=int, default=25000, help="use this many reviews per split")
parser.add_argument("--batch-size", type=int, default=32)
parser.add_argument("--maxlen", type=int, default=80, help="cut texts after this many words")
args = parser.parse_args()

max_features = 20000  # the most common words kept

print("Loading data...")
(x_train, y_train), (x_test, y_test) = imdb.load_data(num_words=max_features)
x_train, y_train = x_train[: args.samples], y_train[: args.samples]
x_test, y_test = x_test[: args.samples], y_test[: args.samples]
print(len(x_train), "train sequences")
print(len(x_test), "test sequences")

print("Pad sequences (samples x time)")
x_train = sequence.pad_sequences(x_train, maxlen=args.maxlen)
x_test = sequence.pad_sequences(x_test, maxlen=args.maxlen)
print("x_train shape:", x_train.shape)
print("x_test shape:", x_test.shape)

print("Build model...")
model = Sequential()
model.add(Embedding(max_features, 128))
model.add(LSTM(128, dropout=0.2, recurrent_dropout=0.2))
model.add(Dense(1, activation="sigmoid"))

# try using different optimizers and different optimizer configs
model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])

print("Train...")
model.fit(x_train, y_train, batch_size=args.batch_size, epochs=args.epochs,
          validation_data=(x_test, y_test))
score, acc = model.evaluate(x_test, y_test, batch_size=args.batch_size)
print("Test score:", score)
print("Test accuracy:", acc)
