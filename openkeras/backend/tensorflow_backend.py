"""``keras.backend.tensorflow_backend``: Keras 2's old module path, the same backend API.

``from keras.backend.tensorflow_backend import set_session`` maps here; see
``openkeras.backend.session`` for what a TensorFlow session's options become on torch.
"""

from openkeras.backend import *  # noqa: F403
from openkeras.backend import __getattr__  # noqa: F401  (the lazily resolved Keras 2 names)
from openkeras.backend.session import _get_available_gpus, get_session, set_session  # noqa: F401
