"""Learn to add numbers given as strings with a sequence-to-sequence LSTM (our addition_rnn).

The question '535+61' is read, reversed, by an encoder LSTM; RepeatVector feeds its
summary to a decoder LSTM that writes the answer '596' one character per step through
TimeDistributed(Dense(softmax)). For 3-digit numbers Keras's original reports 99%+
validation accuracy after about 30 iterations of one epoch.

Run: openkeras run examples/addition_rnn.py --epochs 30 --samples 50000
"""

import argparse

import numpy as np
from keras import layers
from keras.models import Sequential

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--epochs", type=int, default=200, help="iterations of one epoch each")
parser.add_argument("--samples", type=int, default=50000, help="distinct questions")
parser.add_argument("--batch-size", type=int, default=128)
parser.add_argument("--digits", type=int, default=3, help="maximum digits of each number")
args = parser.parse_args()


class CharacterTable(object):
    """One-hot encode strings over a fixed alphabet, and decode model outputs back."""

    def __init__(self, chars):
        self.chars = sorted(set(chars))
        self.char_indices = dict((c, i) for i, c in enumerate(self.chars))
        self.indices_char = dict((i, c) for i, c in enumerate(self.chars))

    def encode(self, C, num_rows):
        """The string `C` as a (num_rows, alphabet size) one-hot matrix."""
        x = np.zeros((num_rows, len(self.chars)))
        for i, c in enumerate(C):
            x[i, self.char_indices[c]] = 1
        return x

    def decode(self, x, calc_argmax=True):
        """The string of a one-hot (or probability) matrix, or of indices if not calc_argmax."""
        if calc_argmax:
            x = x.argmax(axis=-1)
        return "".join(self.indices_char[i] for i in x)


class colors:
    ok = "\033[92m"
    fail = "\033[91m"
    close = "\033[0m"


# Parameters for the model and dataset.
TRAINING_SIZE = args.samples
DIGITS = args.digits
REVERSE = True

# Maximum length of input is 'int + int' (e.g., '345+678'). Maximum length of
# int is DIGITS.
MAXLEN = DIGITS + 1 + DIGITS

# All the numbers, plus sign and space for padding.
chars = "0123456789+ "
ctable = CharacterTable(chars)


def random_number():
    """A random number of 1 to DIGITS digits."""
    return int("".join(np.random.choice(list("0123456789"))
                       for _ in range(np.random.randint(1, DIGITS + 1))))


questions = []
expected = []
seen = set()
print("Generating data...")
max_pairs = (10 ** DIGITS) * (10 ** DIGITS + 1) // 2
while len(questions) < min(TRAINING_SIZE, max_pairs):
    a, b = random_number(), random_number()
    # Skip any addition questions we've already seen
    # Also skip any such that x+Y == Y+x (hence the sorting).
    key = tuple(sorted((a, b)))
    if key in seen:
        continue
    seen.add(key)
    # Pad the data with spaces such that it is always MAXLEN.
    q = "{}+{}".format(a, b)
    query = q + " " * (MAXLEN - len(q))
    ans = str(a + b)
    # Answers can be of maximum size DIGITS + 1.
    ans += " " * (DIGITS + 1 - len(ans))
    if REVERSE:
        # Reverse the query, e.g., '12+345  ' becomes '  543+21'. (Note the
        # space used for padding.)
        query = query[::-1]
    questions.append(query)
    expected.append(ans)
print("Total addition questions:", len(questions))

print("Vectorization...")
x = np.zeros((len(questions), MAXLEN, len(chars)), dtype=bool)
y = np.zeros((len(questions), DIGITS + 1, len(chars)), dtype=bool)
for i, sentence in enumerate(questions):
    x[i] = ctable.encode(sentence, MAXLEN)
for i, sentence in enumerate(expected):
    y[i] = ctable.encode(sentence, DIGITS + 1)

# Shuffle (x, y) in unison as the later parts of x will almost all be larger digits.
indices = np.arange(len(y))
np.random.shuffle(indices)
x = x[indices]
y = y[indices]

# Explicitly set apart 10% for validation data that we never train over.
split_at = len(x) - max(len(x) // 10, 1)
(x_train, x_val) = x[:split_at], x[split_at:]
(y_train, y_val) = y[:split_at], y[split_at:]

print("Training Data:")
print(x_train.shape)
print(y_train.shape)

print("Validation Data:")
print(x_val.shape)
print(y_val.shape)

# Try replacing LSTM with GRU or SimpleRNN.
RNN = layers.LSTM
HIDDEN_SIZE = 128
BATCH_SIZE = args.batch_size
LAYERS = 1

print("Build model...")
model = Sequential()
# "Encode" the input sequence using an RNN, producing an output of HIDDEN_SIZE.
model.add(RNN(HIDDEN_SIZE, input_shape=(MAXLEN, len(chars))))
# As the decoder RNN's input, repeatedly provide with the last output of
# RNN for each time step. Repeat 'DIGITS + 1' times as that's the maximum
# length of output, e.g., when DIGITS=3, max output is 999+999=1998.
model.add(layers.RepeatVector(DIGITS + 1))
# The decoder RNN could be multiple layers stacked or a single layer.
for _ in range(LAYERS):
    # By setting return_sequences to True, return not only the last output but
    # all the outputs so far in the form of (num_samples, timesteps,
    # output_dim). This is necessary as TimeDistributed in the below expects
    # the first dimension to be the timesteps.
    model.add(RNN(HIDDEN_SIZE, return_sequences=True))

# Apply a dense layer to every temporal slice of an input. For each step
# of the output sequence, decide which character should be chosen.
model.add(layers.TimeDistributed(layers.Dense(len(chars), activation="softmax")))
model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
model.summary()

# Train the model each generation and show predictions against the validation
# dataset.
for iteration in range(1, args.epochs + 1):
    print()
    print("-" * 50)
    print("Iteration", iteration)
    model.fit(x_train, y_train, batch_size=BATCH_SIZE, epochs=1,
              validation_data=(x_val, y_val))
    # Select 10 samples from the validation set at random so we can visualize
    # errors.
    for _ in range(10):
        ind = np.random.randint(0, len(x_val))
        rowx, rowy = x_val[np.array([ind])], y_val[np.array([ind])]
        preds = model.predict_classes(rowx, verbose=0)
        q = ctable.decode(rowx[0])
        correct = ctable.decode(rowy[0])
        guess = ctable.decode(preds[0], calc_argmax=False)
        print("Q", q[::-1] if REVERSE else q, end=" ")
        print("T", correct, end=" ")
        if correct == guess:
            print(colors.ok + "☑" + colors.close, end=" ")
        else:
            print(colors.fail + "☒" + colors.close, end=" ")
        print(guess)
