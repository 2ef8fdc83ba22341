"""Sentiment classification of IMDB reviews with a 1D convnet (our version of imdb_cnn).

An Embedding, one Conv1D of 250 filters of width 3, global max pooling and a small dense
head. Keras's original reports about 0.89 test accuracy after 2 epochs.

Run: openkeras run examples/imdb_cnn.py
"""

import argparse

from keras.datasets import imdb
from keras.layers import Activation, Conv1D, Dense, Dropout, Embedding, GlobalMaxPooling1D
from keras.models import Sequential
from keras.preprocessing import sequence

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--epochs", type=int, default=2)
parser.add_argument("--samples", type=int, default=25000, help="use this many reviews per split")
parser.add_argument("--batch-size", type=int, default=32)
parser.add_argument("--maxlen", type=int, default=400, help="cut texts after this many words")
args = parser.parse_args()

# set parameters:
max_features = 5000
maxlen = args.maxlen
embedding_dims = 50
filters = 250
kernel_size = 3
hidden_dims = 250

print("Loading data...")
(x_train, y_train), (x_test, y_test) = imdb.load_data(num_words=max_features)
x_train, y_train = x_train[: args.samples], y_train[: args.samples]
x_test, y_test = x_test[: args.samples], y_test[: args.samples]
print(len(x_train), "train sequences")
print(len(x_test), "test sequences")

print("Pad sequences (samples x time)")
x_train = sequence.pad_sequences(x_train, maxlen=maxlen)
x_test = sequence.pad_sequences(x_test, maxlen=maxlen)
print("x_train shape:", x_train.shape)
print("x_test shape:", x_test.shape)

print("Build model...")
model = Sequential()

# we start off with an efficient embedding layer which maps
# our vocab indices into embedding_dims dimensions
model.add(Embedding(max_features, embedding_dims, input_length=maxlen))
model.add(Dropout(0.2))

# we add a Convolution1D, which will learn filters
# word group filters of size filter_length:
model.add(Conv1D(filters, kernel_size, padding="valid", activation="relu", strides=1))
# we use max pooling:
model.add(GlobalMaxPooling1D())

# We add a vanilla hidden layer:
model.add(Dense(hidden_dims))
model.add(Dropout(0.2))
model.add(Activation("relu"))

# We project onto a single unit output layer, and squash it with a sigmoid:
model.add(Dense(1))
model.add(Activation("sigmoid"))

model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
model.fit(x_train, y_train, batch_size=args.batch_size, epochs=args.epochs,
          validation_data=(x_test, y_test))
score, acc = model.evaluate(x_test, y_test, batch_size=args.batch_size, verbose=0)
print("Test score:", score)
print("Test accuracy:", acc)
