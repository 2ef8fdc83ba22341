"""Visual question answering: a convnet encodes the image, an LSTM the question.

From the seed tutorials "Keras 模型 API" and "Sequential 与 Model 模型" (案例六: 视觉问答
模型): a Sequential vision model called on an image input, an Embedding + LSTM over a
100-word question, both vectors concatenated under a 1000-way softmax over answers.
The tutorial stops at the model ("the next stage would be training this model on actual
data"); here it trains briefly on random images, questions and answers.

Run: openkeras run examples/vqa_model.py --epochs 1 --samples 32
"""

import argparse

import keras
import numpy as np
from keras.layers import LSTM, Conv2D, Dense, Embedding, Flatten, Input, MaxPooling2D
from keras.models import Model, Sequential

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--epochs", type=int, default=1)
parser.add_argument("--samples", type=int, default=32)
parser.add_argument("--batch-size", type=int, default=8)
parser.add_argument("--image-size", type=int, default=224,
                    help="height and width of the images (at least 30)")
parser.add_argument("--maxlen", type=int, default=100, help="words per question")
args = parser.parse_args()
size, maxlen = args.image_size, args.maxlen

# First, let's define a vision model using a Sequential model.
# This model will encode an image into a vector.
vision_model = Sequential()
vision_model.add(Conv2D(64, (3, 3), activation="relu", padding="same",
                        input_shape=(size, size, 3)))
vision_model.add(Conv2D(64, (3, 3), activation="relu"))
vision_model.add(MaxPooling2D((2, 2)))
vision_model.add(Conv2D(128, (3, 3), activation="relu", padding="same"))
vision_model.add(Conv2D(128, (3, 3), activation="relu"))
vision_model.add(MaxPooling2D((2, 2)))
vision_model.add(Conv2D(256, (3, 3), activation="relu", padding="same"))
vision_model.add(Conv2D(256, (3, 3), activation="relu"))
vision_model.add(Conv2D(256, (3, 3), activation="relu"))
vision_model.add(MaxPooling2D((2, 2)))
vision_model.add(Flatten())

# Now let's get a tensor with the output of our vision model:
image_input = Input(shape=(size, size, 3))
encoded_image = vision_model(image_input)

# Next, let's define a language model to encode the question into a vector.
# Each question will be at most `maxlen` words long,
# and we will index words as integers from 1 to 9999.
question_input = Input(shape=(maxlen,), dtype="int32")
embedded_question = Embedding(input_dim=10000, output_dim=256, input_length=maxlen)(question_input)
encoded_question = LSTM(256)(embedded_question)

# Let's concatenate the question vector and the image vector:
merged = keras.layers.concatenate([encoded_question, encoded_image])

# And let's train a logistic regression over 1000 words on top:
output = Dense(1000, activation="softmax")(merged)

# This is our final model:
vqa_model = Model(inputs=[image_input, question_input], outputs=output)
vqa_model.summary()

vqa_model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
images = np.random.random((args.samples, size, size, 3))
questions = np.random.randint(1, 10000, size=(args.samples, maxlen))
answers = np.random.randint(1000, size=(args.samples, 1))
vqa_model.fit([images, questions], answers, epochs=args.epochs, batch_size=args.batch_size)
print("Answer probabilities:", vqa_model.predict([images[:2], questions[:2]]).shape)
