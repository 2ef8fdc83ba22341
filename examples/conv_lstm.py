"""Predict the next frames of movies of moving squares with ConvLSTM2D (our conv_lstm).

Four ConvLSTM2D layers with batch normalization and a Conv3D output read a sequence of
frames and predict, for each, the frame that follows. The movies are generated: 3 to 7
squares move in straight lines over a noisy canvas. After training, the model extends
the first frames of a held-out movie on its own (Keras's example plots them; this one
reports how far the predicted frames are from the true ones).

Run: openkeras run examples/conv_lstm.py --epochs 300 --samples 1200
"""

import argparse

import numpy as np
from keras.layers import BatchNormalization, Conv3D, ConvLSTM2D
from keras.models import Sequential

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--epochs", type=int, default=300)
parser.add_argument("--samples", type=int, default=1200, help="number of movies")
parser.add_argument("--batch-size", type=int, default=10)
parser.add_argument("--size", type=int, default=40, help="height and width of the frames")
parser.add_argument("--frames", type=int, default=15, help="frames per movie")
parser.add_argument("--filters", type=int, default=40, help="filters of each ConvLSTM2D")
args = parser.parse_args()
size = args.size

# A layer taking as input movies of shape (n_frames, width, height, channels)
# and returning a movie of identical shape.
seq = Sequential()
seq.add(ConvLSTM2D(filters=args.filters, kernel_size=(3, 3), input_shape=(None, size, size, 1),
                   padding="same", return_sequences=True))
seq.add(BatchNormalization())

for _ in range(3):
    seq.add(ConvLSTM2D(filters=args.filters, kernel_size=(3, 3), padding="same",
                       return_sequences=True))
    seq.add(BatchNormalization())

seq.add(Conv3D(filters=1, kernel_size=(3, 3, 3), activation="sigmoid", padding="same",
               data_format="channels_last"))
seq.compile(loss="binary_crossentropy", optimizer="adadelta")


def generate_movies(n_samples=1200, n_frames=15):
    """Movies of squares moving over a canvas twice the frame size, cropped to its center.

    Returns the noisy movies and, for each frame, the clean frame that follows it.
    """
    canvas = 2 * size
    noisy_movies = np.zeros((n_samples, n_frames, canvas, canvas, 1), dtype=float)
    shifted_movies = np.zeros((n_samples, n_frames, canvas, canvas, 1), dtype=float)
    for i in range(n_samples):
        for _ in range(np.random.randint(3, 8)):  # 3 to 7 moving squares
            # Initial position, direction of motion and half width of the square
            xstart = np.random.randint(size // 2, size // 2 + size)
            ystart = np.random.randint(size // 2, size // 2 + size)
            directionx = np.random.randint(0, 3) - 1
            directiony = np.random.randint(0, 3) - 1
            w = np.random.randint(2, 4)
            for t in range(n_frames):
                x_shift = xstart + directionx * t
                y_shift = ystart + directiony * t
                noisy_movies[i, t, x_shift - w: x_shift + w, y_shift - w: y_shift + w, 0] += 1
                # Make it more robust by adding noise around the square: the model must
                # learn to ignore it.
                if np.random.randint(0, 2):
                    noise_f = (-1) ** np.random.randint(0, 2)
                    noisy_movies[i, t, x_shift - w - 1: x_shift + w + 1,
                                 y_shift - w - 1: y_shift + w + 1, 0] += noise_f * 0.1
                # The target: the square one step later
                x_shift = xstart + directionx * (t + 1)
                y_shift = ystart + directiony * (t + 1)
                shifted_movies[i, t, x_shift - w: x_shift + w, y_shift - w: y_shift + w, 0] += 1

    # Cut to the central window
    window = slice(size // 2, size // 2 + size)
    noisy_movies = noisy_movies[:, :, window, window, :]
    shifted_movies = shifted_movies[:, :, window, window, :]
    noisy_movies[noisy_movies >= 1] = 1
    shifted_movies[shifted_movies >= 1] = 1
    return noisy_movies, shifted_movies


# Train the network
n_train = max(args.samples * 5 // 6, 1)
noisy_movies, shifted_movies = generate_movies(n_samples=args.samples + 1, n_frames=args.frames)
seq.fit(noisy_movies[:n_train], shifted_movies[:n_train], batch_size=args.batch_size,
        epochs=args.epochs, validation_split=0.05)

# Testing the network on one movie: feed it the first half of the frames, then let it
# predict the rest, one frame at a time, each from the frames so far.
which = args.samples
known = max(args.frames // 2, 1)
track = noisy_movies[which][:known]
for _ in range(args.frames - known):
    new_pos = seq.predict(track[np.newaxis])
    new = new_pos[:, -1]
    track = np.concatenate((track, new), axis=0)

truth = shifted_movies[which][known - 1: args.frames - 1]
error = np.abs(track[known:] - truth).mean()
print("Predicted %d frames; mean absolute error per pixel: %.4f" % (args.frames - known, error))
