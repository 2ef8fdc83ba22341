"""``RemoteMonitor``: POST each epoch's logs to an HTTP server (needs ``requests``)."""

import json
import warnings

import numpy as np

from openkeras.callbacks.base import Callback


def _plain(value):
    """A JSON-ready Python number for numpy / torch scalars (other values as they are)."""
    if isinstance(value, (np.ndarray, np.generic)):
        return value.item()
    if hasattr(value, "item") and hasattr(value, "detach"):  # a torch tensor
        return value.detach().cpu().item()
    return value


class RemoteMonitor(Callback):
    """Sends ``{'epoch': epoch, **logs}`` to ``root + path`` with an HTTP POST at each epoch end.

    Args:
        root: the server's root URL.
        path: the path under ``root`` the events go to.
        field: the form field holding the JSON text (when ``send_as_json`` is False).
        headers: optional HTTP headers.
        send_as_json: send the body as ``application/json`` instead of a form.
    """

    def __init__(self, root="http://localhost:9000", path="/publish/epoch/end/", field="data",
                 headers=None, send_as_json=False):
        super().__init__()
        self.root = root
        self.path = path
        self.field = field
        self.headers = headers
        self.send_as_json = send_as_json

    def on_epoch_end(self, epoch, logs=None):
        try:
            import requests  # optional dependency, needed only by this callback
        except ImportError as e:
            raise ImportError("RemoteMonitor requires the `requests` library "
                              "(pip install requests).") from e
        send = {"epoch": epoch}
        for key, value in dict(logs or {}).items():
            send[key] = _plain(value)
        url = self.root + self.path
        try:
            if self.send_as_json:
                requests.post(url, json=send, headers=self.headers)
            else:
                requests.post(url, {self.field: json.dumps(send)}, headers=self.headers)
        except requests.exceptions.RequestException:
            warnings.warn(f"Warning: could not reach RemoteMonitor root server at {self.root}",
                          stacklevel=2)
