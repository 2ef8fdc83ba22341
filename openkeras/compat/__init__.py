"""Running Keras 2 code unchanged: the ``keras`` import alias, ``openkeras run`` and ``check``.

``install_keras_alias()`` makes ``import keras`` (and ``keras.layers.core``,
``keras.utils.np_utils``, ``keras.backend``, ...) import openkeras in the current process;
``openkeras.compat.runner`` runs a script with it (``openkeras run``);
``openkeras.compat.check`` reports the Keras APIs a script uses (``openkeras check``);
``openkeras.compat.site_alias`` installs the alias for a whole environment with a ``.pth``
file (``openkeras alias install|uninstall|status``).
"""

from openkeras.compat.alias import install_keras_alias, is_installed, uninstall_keras_alias

__all__ = ["install_keras_alias", "uninstall_keras_alias", "is_installed"]
