"""TensorBoard event files: TFRecord framing with CRC32C checksums, written without TensorFlow.

A record is: length (uint64 little-endian), masked CRC32C of those 8 bytes (uint32), the data,
masked CRC32C of the data. The first record of a file is an Event with file_version
'brain.Event:2'.
"""

import itertools
import os
import socket
import struct
import time

from openkeras.callbacks.tensorboard import summary_proto


def _make_table():
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_TABLE = _make_table()
_FILE_COUNTER = itertools.count()


def crc32c(data: bytes) -> int:
    """CRC-32C (Castagnoli), as TFRecord files use; crc32c(b'123456789') == 0xE3069283."""
    crc = 0xFFFFFFFF
    table = _TABLE
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked_crc32c(data: bytes) -> int:
    """TFRecord's masked checksum: the CRC rotated right by 15 bits plus 0xA282EAD8."""
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def tfrecord(data: bytes) -> bytes:
    """``data`` framed as one TFRecord."""
    length = struct.pack("<Q", len(data))
    return (length + struct.pack("<I", masked_crc32c(length)) + data
            + struct.pack("<I", masked_crc32c(data)))


class EventFileWriter:
    """Append Events to 'events.out.tfevents.<time>.<hostname>.<pid>.<n>.v2' in ``logdir``.

    The file (and ``logdir``) is created at the first write; ``close`` closes it and a later
    write appends to the same file.

    Args:
        logdir: directory of the event file (one TensorBoard run).
    """

    def __init__(self, logdir):
        self.logdir = os.fspath(logdir)
        self.path = None
        self._file = None

    def _open(self):
        if self.path is None:
            os.makedirs(self.logdir, exist_ok=True)
            now = time.time()
            name = (f"events.out.tfevents.{int(now):010d}.{socket.gethostname()}."
                    f"{os.getpid()}.{next(_FILE_COUNTER)}.v2")
            self.path = os.path.join(self.logdir, name)
            self._file = open(self.path, "wb")
            self._file.write(tfrecord(summary_proto.event(now, 0, file_version="brain.Event:2")))
        elif self._file is None:
            self._file = open(self.path, "ab")
        return self._file

    def write(self, step: int, values) -> None:
        """Write one Event at ``step`` holding the encoded Summary ``values``."""
        if values:
            self._open().write(tfrecord(summary_proto.event(time.time(), step, values=values)))

    def flush(self) -> None:
        if self._file is not None:
            self._file.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
