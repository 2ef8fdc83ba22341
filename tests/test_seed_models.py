"""The model definitions of the tutorials in shared/seeds build with the shapes they show."""

import numpy as np

import openkeras as ok
from openkeras.layers import (
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    Input,
    MaxPool2D,
    MaxPooling2D,
    concatenate,
)

SEED_004_SUMMARY = """\
Model: "sequential"
_________________________________________________________________
Layer (type)                 Output Shape              Param #   
=================================================================
conv2d (Conv2D)              (None, 26, 26, 32)        320       
_________________________________________________________________
conv2d_1 (Conv2D)            (None, 24, 24, 32)        9248      
_________________________________________________________________
max_pooling2d (MaxPooling2D) (None, 12, 12, 32)        0         
_________________________________________________________________
dropout (Dropout)            (None, 12, 12, 32)        0         
_________________________________________________________________
flatten (Flatten)            (None, 4608)              0         
_________________________________________________________________
dense (Dense)                (None, 128)               589952    
_________________________________________________________________
dropout_1 (Dropout)          (None, 128)               0         
_________________________________________________________________
dense_1 (Dense)              (None, 10)                1290      
=================================================================
Total params: 600,810
Trainable params: 600,810
Non-trainable params: 0
_________________________________________________________________"""


def test_seed_004_mnist_cnn_summary_is_the_one_shown():
    model = ok.Sequential()
    model.add(Conv2D(32, kernel_size=(3, 3), activation="relu", input_shape=(28, 28, 1)))
    model.add(Conv2D(32, kernel_size=(3, 3), activation="relu"))
    model.add(MaxPool2D(pool_size=(2, 2)))
    model.add(Dropout(0.25))
    model.add(Flatten())
    model.add(Dense(128, activation="relu"))
    model.add(Dropout(0.5))
    model.add(Dense(10, activation="softmax"))
    lines = []
    model.summary(print_fn=lines.append)
    assert "\n".join(lines) == SEED_004_SUMMARY
    assert model(np.zeros((2, 28, 28, 1), "float32")).shape == (2, 10)


def test_seed_001_cnn_shapes_are_real_keras_shapes():
    # The tutorial's comments say (None, 49, 49, 32) and (None, 76832): that is one Conv2D
    # before the pooling. With the two Conv2D it shows, real Keras (tf_keras 2.21) gives
    # 100 -> 98 -> 96 -> 48, i.e. (None, 48, 48, 32) and (None, 73728), and so do we.
    model = ok.Sequential()
    model.add(Conv2D(32, (3, 3), activation="relu", input_shape=(100, 100, 3)))
    model.add(MaxPooling2D(pool_size=(2, 2)))
    assert model.output_shape == (None, 49, 49, 32)
    model.add(Flatten())
    assert model.output_shape == (None, 76832)
    model = ok.Sequential()
    model.add(Conv2D(32, (3, 3), activation="relu", input_shape=(100, 100, 3)))
    model.add(Conv2D(32, (3, 3), activation="relu"))
    model.add(MaxPooling2D(pool_size=(2, 2)))
    assert model.output_shape == (None, 48, 48, 32)
    model.add(Flatten())
    assert model.output_shape == (None, 73728)
    model.add(Dense(256, activation="relu"))
    model.add(Dropout(0.5))
    model.add(Dense(10, activation="softmax"))
    assert model.output_shape == (None, 10)


def test_seed_001_shared_vision_model():
    digit_input = Input(shape=(27, 27, 1))
    x = Conv2D(64, (3, 3))(digit_input)
    x = Conv2D(64, (3, 3))(x)
    x = MaxPooling2D((2, 2))(x)
    out = Flatten()(x)
    vision_model = ok.Model(digit_input, out)
    digit_a = Input(shape=(27, 27, 1))
    digit_b = Input(shape=(27, 27, 1))
    out_a = vision_model(digit_a)
    out_b = vision_model(digit_b)
    concatenated = concatenate([out_a, out_b])
    out = Dense(1, activation="sigmoid")(concatenated)
    classification_model = ok.Model([digit_a, digit_b], out)
    assert out_a.shape == (None, 11 * 11 * 64)
    assert classification_model.count_params() == vision_model.count_params() + 2 * 11 * 11 * 64 + 1
    a = np.random.rand(2, 27, 27, 1).astype("float32")
    pa = classification_model([a, a]).detach().numpy()
    assert pa.shape == (2, 1) and np.all((pa > 0) & (pa < 1))


def test_seed_001_inception_module():
    input_img = Input(shape=(32, 32, 3))
    tower_1 = Conv2D(8, (1, 1), padding="same", activation="relu")(input_img)
    tower_1 = Conv2D(8, (3, 3), padding="same", activation="relu")(tower_1)
    tower_2 = Conv2D(8, (1, 1), padding="same", activation="relu")(input_img)
    tower_2 = Conv2D(8, (5, 5), padding="same", activation="relu")(tower_2)
    tower_3 = MaxPooling2D((3, 3), strides=(1, 1), padding="same")(input_img)
    tower_3 = Conv2D(8, (1, 1), padding="same", activation="relu")(tower_3)
    output = concatenate([tower_1, tower_2, tower_3], axis=1)
    assert output.shape == (None, 96, 32, 8)
    model = ok.Model(input_img, output)
    assert model(np.zeros((1, 32, 32, 3), "float32")).shape == (1, 96, 32, 8)
