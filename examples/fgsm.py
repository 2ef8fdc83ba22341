"""Adversarial examples with the fast gradient sign method (FGSM).

`K.gradients(loss, model.input)` of a trained classifier, its sign through `K.function`,
and images moved by epsilon along it: accuracy drops on the adversarial images. The model
is an MLP trained on random data with a learnable rule (the class is the sign of a
projection), so the script needs no download.

Run: openkeras run examples/fgsm.py --epochs 10 --samples 2000
"""

import argparse

import numpy as np
from keras import backend as K
from keras.layers import Dense
from keras.models import Sequential
from keras.utils import to_categorical

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--epochs", type=int, default=10)
parser.add_argument("--samples", type=int, default=2000, help="number of training samples")
parser.add_argument("--batch-size", type=int, default=32)
parser.add_argument("--epsilon", type=float, default=0.2)
args = parser.parse_args()

rng = np.random.default_rng(0)
direction = rng.standard_normal(20).astype("float32")
x = rng.uniform(-1, 1, (args.samples, 20)).astype("float32")
y = to_categorical((x @ direction > 0).astype("int64"), 2)

model = Sequential([Dense(32, activation="relu", input_shape=(20,)),
                    Dense(2, activation="softmax")])
model.compile("adam", "categorical_crossentropy", metrics=["accuracy"])
model.fit(x, y, epochs=args.epochs, batch_size=args.batch_size, verbose=2)

target = K.placeholder(shape=(None, 2))
loss = K.categorical_crossentropy(target, model.output)
gradient = K.gradients(loss, model.input)[0]
signed_gradient = K.function([model.input, target], [K.sign(gradient)])

x_adv = np.clip(x + args.epsilon * signed_gradient([x, y])[0], -1, 1)
clean = np.mean(np.argmax(model.predict(x), 1) == np.argmax(y, 1))
adversarial = np.mean(np.argmax(model.predict(x_adv), 1) == np.argmax(y, 1))
print(f"Accuracy on clean inputs: {clean:.3f}")
print(f"Accuracy on FGSM inputs (epsilon={args.epsilon}): {adversarial:.3f}")
