"""A variational autoencoder on MNIST digits (our version of variational_autoencoder).

An MLP encoder maps each image to the mean and log-variance of a 2-D Gaussian; a Lambda
layer samples from it with the reparameterization trick (`K.random_normal`), and an MLP
decoder rebuilds the image. The VAE loss (reconstruction + KL divergence) is written
as Keras 2.2 writes it: `keras.losses.binary_crossentropy` (or `mse`) and backend functions
applied to the model's graph tensors, attached with `vae.add_loss`, so `compile` takes no
loss and `fit` no targets. Keras's example plots the latent space with matplotlib;
this one prints a few latent means and decodes a point instead.

Run: openkeras run examples/variational_autoencoder.py
"""

import argparse

import numpy as np
from keras import backend as K
from keras.datasets import mnist
from keras.layers import Dense, Input, Lambda
from keras.losses import binary_crossentropy, mse
from keras.models import Model

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--epochs", type=int, default=50)
parser.add_argument("--samples", type=int, default=60000, help="use this many training images")
parser.add_argument("--batch-size", type=int, default=128)
parser.add_argument("-w", "--weights", help="load h5 model trained weights instead of training")
parser.add_argument("-m", "--mse", action="store_true",
                    help="use mse loss instead of binary cross entropy (default)")
args = parser.parse_args()


# reparameterization trick
# instead of sampling from Q(z|X), sample epsilon = N(0,I)
# z = z_mean + sqrt(var) * epsilon
def sampling(args):
    """Reparameterization trick by sampling from an isotropic unit Gaussian.

    Args:
        args: mean and log of variance of Q(z|X).

    Returns:
        z: sampled latent vector.
    """
    z_mean, z_log_var = args
    batch = K.shape(z_mean)[0]
    dim = K.int_shape(z_mean)[1]
    # by default, random_normal has mean = 0 and std = 1.0
    epsilon = K.random_normal(shape=(batch, dim))
    return z_mean + K.exp(0.5 * z_log_var) * epsilon


# MNIST dataset
(x_train, y_train), (x_test, y_test) = mnist.load_data()
x_train = x_train[: args.samples]
x_test, y_test = x_test[: max(args.samples // 6, 1)], y_test[: max(args.samples // 6, 1)]

image_size = x_train.shape[1]
original_dim = image_size * image_size
x_train = np.reshape(x_train, [-1, original_dim]).astype("float32") / 255
x_test = np.reshape(x_test, [-1, original_dim]).astype("float32") / 255

# network parameters
input_shape = (original_dim, )
intermediate_dim = 512
latent_dim = 2

# VAE model = encoder + decoder
# build encoder model
inputs = Input(shape=input_shape, name="encoder_input")
x = Dense(intermediate_dim, activation="relu")(inputs)
z_mean = Dense(latent_dim, name="z_mean")(x)
z_log_var = Dense(latent_dim, name="z_log_var")(x)

# use reparameterization trick to push the sampling out as input
z = Lambda(sampling, output_shape=(latent_dim,), name="z")([z_mean, z_log_var])

# instantiate encoder model
encoder = Model(inputs, [z_mean, z_log_var, z], name="encoder")
encoder.summary()

# build decoder model
latent_inputs = Input(shape=(latent_dim,), name="z_sampling")
x = Dense(intermediate_dim, activation="relu")(latent_inputs)
outputs = Dense(original_dim, activation="sigmoid")(x)

# instantiate decoder model
decoder = Model(latent_inputs, outputs, name="decoder")
decoder.summary()


# instantiate VAE model
outputs = decoder(encoder(inputs)[2])
vae = Model(inputs, outputs, name="vae_mlp")

# VAE loss = mse_loss or xent_loss + kl_loss, written on the graph tensors as Keras 2.2 does
if args.mse:
    reconstruction_loss = mse(inputs, outputs)
else:
    reconstruction_loss = binary_crossentropy(inputs, outputs)
reconstruction_loss *= original_dim
kl_loss = 1 + z_log_var - K.square(z_mean) - K.exp(z_log_var)
kl_loss = K.sum(kl_loss, axis=-1)
kl_loss *= -0.5
vae_loss = K.mean(reconstruction_loss + kl_loss)
vae.add_loss(vae_loss)
vae.compile(optimizer="adam")
vae.summary()

if args.weights:
    vae.load_weights(args.weights)
else:
    # train the autoencoder
    vae.fit(x_train, epochs=args.epochs, batch_size=args.batch_size,
            validation_data=(x_test, None))
    vae.save_weights("vae_mlp_mnist.h5")

# where the test digits land in the latent space
z_mean_test, _, _ = encoder.predict(x_test, batch_size=args.batch_size)
for digit in range(3):
    points = z_mean_test[y_test == digit]
    if len(points):
        print("digit %d: mean latent position %s" % (digit, np.round(points.mean(axis=0), 3)))

# a digit generated from the center of the latent space
generated = decoder.predict(np.zeros((1, latent_dim)))
print("Generated image:", generated.reshape(image_size, image_size).shape)
