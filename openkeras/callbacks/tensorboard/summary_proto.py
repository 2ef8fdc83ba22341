"""Hand-written protobuf encoding of TensorBoard's Event and Summary messages.

Only what the TensorBoard callback writes is encoded (field numbers from tensorboard's
``event.proto``, ``summary.proto``, ``tensor.proto``):

- Event: wall_time (1, double), step (2, int64), file_version (3, string), summary (5).
- Summary: value (1, repeated Value).
- Value: tag (1), simple_value (2, float), image (4), histo (5), tensor (8), metadata (9).
- HistogramProto: min 1, max 2, num 3, sum 4, sum_squares 5 (doubles), bucket_limit 6 and
  bucket 7 (packed doubles).
- Image: height 1, width 2, colorspace 3 (int32), encoded_image_string 4 (bytes).
- SummaryMetadata: plugin_data (1): PluginData plugin_name (1, string), content (2, bytes).
- TensorProto: dtype (1, enum; DT_STRING = 7), tensor_shape (2), string_val (8, bytes).
"""

import struct

import numpy as np

_VARINT, _FIXED64, _BYTES, _FIXED32 = 0, 1, 2, 5
_DT_STRING = 7


def varint(value: int) -> bytes:
    """Base-128 varint; negative int64 values take ten bytes (two's complement), as protobuf."""
    value &= (1 << 64) - 1
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _key(field: int, wire_type: int) -> bytes:
    return varint(field << 3 | wire_type)


def int_field(field: int, value: int) -> bytes:
    return _key(field, _VARINT) + varint(int(value))


def double_field(field: int, value: float) -> bytes:
    return _key(field, _FIXED64) + struct.pack("<d", value)


def float_field(field: int, value: float) -> bytes:
    return _key(field, _FIXED32) + struct.pack("<f", value)


def bytes_field(field: int, value) -> bytes:
    if isinstance(value, str):
        value = value.encode("utf-8")
    return _key(field, _BYTES) + varint(len(value)) + value


def packed_doubles(field: int, values) -> bytes:
    return bytes_field(field, np.asarray(values, dtype="<f8").tobytes())


def event(wall_time: float, step: int, *, file_version=None, values=()) -> bytes:
    """An Event message: a file-version marker, or a Summary holding the encoded ``values``."""
    out = double_field(1, wall_time) + int_field(2, step)
    if file_version is not None:
        out += bytes_field(3, file_version)
    if values:
        out += bytes_field(5, b"".join(bytes_field(1, v) for v in values))
    return out


def scalar_value(tag: str, value: float) -> bytes:
    """A Summary.Value holding ``simple_value`` (TensorBoard's scalars)."""
    return bytes_field(1, tag) + float_field(2, value)


def histogram_value(tag: str, values, bins: int = 30) -> bytes:
    """A Summary.Value holding a HistogramProto of ``values`` with ``bins`` equal-width buckets.

    ``bucket_limit[i]`` is the right edge of bucket ``i``; the left edge of the first bucket is
    ``min``. Equal values make one bucket.
    """
    x = np.asarray(values, dtype=np.float64).ravel()
    x = x[np.isfinite(x)]
    if x.size == 0:
        lo = hi = 0.0
        limits, counts = [0.0], [0.0]
    else:
        lo, hi = float(x.min()), float(x.max())
        if lo == hi:
            limits, counts = [hi], [float(x.size)]
        else:
            counts, edges = np.histogram(x, bins=bins, range=(lo, hi))
            limits = edges[1:]
    histo = (double_field(1, lo) + double_field(2, hi) + double_field(3, float(x.size))
             + double_field(4, float(x.sum())) + double_field(5, float(np.dot(x, x)))
             + packed_doubles(6, limits) + packed_doubles(7, counts))
    return bytes_field(1, tag) + bytes_field(5, histo)


def image_value(tag: str, png: bytes, height: int, width: int, channels: int = 1) -> bytes:
    """A Summary.Value holding an Image (an encoded PNG)."""
    image = (int_field(1, height) + int_field(2, width) + int_field(3, channels)
             + bytes_field(4, png))
    return bytes_field(1, tag) + bytes_field(4, image)


def string_tensor_value(tag: str, text: str, plugin_name: str, content: bytes) -> bytes:
    """A Summary.Value holding a scalar string tensor with plugin metadata (e.g. a model graph)."""
    plugin_data = bytes_field(1, plugin_name) + bytes_field(2, content)
    metadata = bytes_field(1, plugin_data)
    tensor = int_field(1, _DT_STRING) + bytes_field(2, b"") + bytes_field(8, text)
    return bytes_field(1, tag) + bytes_field(8, tensor) + bytes_field(9, metadata)
