"""A WGAN-GP trained with K.function and Optimizer.get_updates, as Keras 2 GAN code does.

The critic's loss holds the gradient penalty: the gradient of the critic's score w.r.t.
random interpolates of real and generated samples (`K.gradients`), whose norm is pushed to
1; its training step differentiates through that gradient (second order). Each network
trains with `K.function(inputs, [loss], updates=Adam().get_updates(loss, weights))`. The
"real" data are points on a ring, so the script needs no download.

Run: openkeras run examples/wgan_gp.py --epochs 2000 --samples 256
"""

import argparse

import numpy as np
from keras import backend as K
from keras.layers import Dense, Input
from keras.models import Model
from keras.optimizers import Adam

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--epochs", type=int, default=2000, help="generator steps")
parser.add_argument("--samples", type=int, default=256, help="samples per step")
parser.add_argument("--critic-steps", type=int, default=5)
parser.add_argument("--gp-weight", type=float, default=10.0)
args = parser.parse_args()

latent_dim = 8


def make_generator():
    z = Input((latent_dim,))
    h = Dense(64, activation="relu")(z)
    h = Dense(64, activation="relu")(h)
    return Model(z, Dense(2)(h), name="generator")


def make_critic():
    x = Input((2,))
    h = Dense(64, activation="relu")(x)
    h = Dense(64, activation="relu")(h)
    return Model(x, Dense(1)(h), name="critic")


generator, critic = make_generator(), make_critic()
real = K.placeholder(shape=(None, 2))
noise = K.placeholder(shape=(None, latent_dim))
fake = generator(noise)

# Gradient penalty on random interpolates between real and generated samples.
alpha = K.random_uniform((K.shape(real)[0], 1))
interpolates = alpha * real + (1 - alpha) * fake
gradients = K.gradients(critic(interpolates), [interpolates])[0]
slopes = K.sqrt(K.sum(K.square(gradients), axis=1))
gradient_penalty = K.mean(K.square(slopes - 1.0))

critic_loss = K.mean(critic(fake)) - K.mean(critic(real)) + args.gp_weight * gradient_penalty
critic_updates = Adam(lr=1e-4, beta_1=0.5, beta_2=0.9).get_updates(
    critic_loss, critic.trainable_weights)
train_critic = K.function([real, noise], [critic_loss, gradient_penalty], critic_updates)

generator_loss = -K.mean(critic(generator(noise)))
generator_updates = Adam(lr=1e-4, beta_1=0.5, beta_2=0.9).get_updates(
    generator_loss, generator.trainable_weights)
train_generator = K.function([noise], [generator_loss], generator_updates)

rng = np.random.default_rng(0)


def real_batch(n):
    angle = rng.uniform(0, 2 * np.pi, n)
    ring = np.stack([np.cos(angle), np.sin(angle)], axis=1) * 2.0
    return (ring + rng.normal(0, 0.05, (n, 2))).astype("float32")


def noise_batch(n):
    return rng.standard_normal((n, latent_dim)).astype("float32")


for step in range(args.epochs):
    for _ in range(args.critic_steps):
        d_loss, penalty = train_critic([real_batch(args.samples), noise_batch(args.samples)])
    g_loss = train_generator([noise_batch(args.samples)])[0]
    if step % max(1, args.epochs // 10) == 0 or step == args.epochs - 1:
        print(f"step {step}: critic loss {float(d_loss):.4f} (penalty {float(penalty):.4f}), "
              f"generator loss {float(g_loss):.4f}")

samples = generator.predict(noise_batch(512))
radius = np.sqrt((samples ** 2).sum(axis=1))
print(f"Generated samples: {samples.shape}, mean radius {radius.mean():.3f} (real: 2.0)")
