"""Batched UDP I/O on Linux: up to 64 datagrams per `recvmmsg`/`sendmmsg` system call.

asyncio makes one callback and one system call per datagram; at tracker rates that, not the
swarm logic, is the ceiling (one core managed ~13k announces/s that way). Here the buffers and
`mmsghdr` arrays are allocated once and read through memoryviews, and the syscalls are made
through ctypes. `BatchSocket.available()` is False where this cannot work (not Linux, no libc),
and the caller falls back to asyncio's datagram endpoint.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import socket
import struct
import sys

BATCH = 64
BUFFER_SIZE = 2048  # a BEP 15 request is at most ~100 bytes plus BEP 41 options (< 256)
_ADDRESS_SIZE = 28  # sizeof(struct sockaddr_in6)
_MSG_DONTWAIT = 0x40

# struct msghdr (x86-64/aarch64 LP64): name, namelen, iov, iovlen, control, controllen, flags;
# struct mmsghdr: msghdr + unsigned int msg_len (+ padding) = 64 bytes.
_MMSGHDR = struct.Struct("=QI4xQQQQi4xI4x")  # pointers as 64-bit: LP64 only
_IOVEC = struct.Struct("=QQ")
_MSG_LEN_OFFSET = 56
_NAMELEN_OFFSET = 8
_IOV_LEN_OFFSET = 8


class _Libc:
    handle: ctypes.CDLL | None = None

    @classmethod
    def get(cls) -> ctypes.CDLL | None:
        if (
            cls.handle is None
            and sys.platform.startswith("linux")
            and ctypes.sizeof(ctypes.c_void_p) == 8
        ):
            name = ctypes.util.find_library("c")
            if name:
                libc = ctypes.CDLL(name, use_errno=True)
                if hasattr(libc, "recvmmsg") and hasattr(libc, "sendmmsg"):
                    libc.recvmmsg.argtypes = [
                        ctypes.c_int, ctypes.c_void_p, ctypes.c_uint, ctypes.c_int, ctypes.c_void_p
                    ]  # fmt: skip
                    libc.sendmmsg.argtypes = [
                        ctypes.c_int, ctypes.c_void_p, ctypes.c_uint, ctypes.c_int
                    ]  # fmt: skip
                    cls.handle = libc
        return cls.handle


class _Arrays:
    """One batch's worth of mmsghdr entries, iovecs, data buffers and address buffers."""

    def __init__(self) -> None:
        self.headers = bytearray(_MMSGHDR.size * BATCH)
        self.iovecs = bytearray(_IOVEC.size * BATCH)
        self.data = bytearray(BUFFER_SIZE * BATCH)
        self.names = bytearray(_ADDRESS_SIZE * BATCH)
        self._keep = [
            (ctypes.c_char * len(b)).from_buffer(b)
            for b in (self.headers, self.iovecs, self.data, self.names)
        ]
        headers, iovecs, data, names = (ctypes.addressof(k) for k in self._keep)
        self.headers_address = headers
        for i in range(BATCH):
            _IOVEC.pack_into(self.iovecs, i * _IOVEC.size, data + i * BUFFER_SIZE, BUFFER_SIZE)
            _MMSGHDR.pack_into(
                self.headers,
                i * _MMSGHDR.size,
                names + i * _ADDRESS_SIZE,
                _ADDRESS_SIZE,
                iovecs + i * _IOVEC.size,
                1,
                0,
                0,
                0,
                0,
            )


class BatchSocket:
    """A non-blocking UDP socket read and written 64 datagrams per system call."""

    def __init__(self, sock: socket.socket) -> None:
        libc = _Libc.get()
        if libc is None:
            raise OSError(errno.ENOSYS, "recvmmsg/sendmmsg are not available")
        self._libc = libc
        self.sock = sock
        self.fd = sock.fileno()
        self._in = _Arrays()
        self._out = _Arrays()
        self._data_view = memoryview(self._in.data)
        self._names_view = memoryview(self._in.names)
        self._used = 0  # entries whose namelen the last receive() let the kernel change

    @staticmethod
    def available() -> bool:
        return _Libc.get() is not None

    def receive(self) -> list[tuple[bytes, bytes]]:
        """Return up to 64 waiting datagrams as (data, raw sockaddr); [] when none wait."""
        arrays = self._in
        # reset namelen where the last call used it (the kernel shrinks it to what it wrote)
        headers = arrays.headers
        for i in range(self._used):
            struct.pack_into("=I", headers, i * 64 + _NAMELEN_OFFSET, _ADDRESS_SIZE)
        self._used = 0
        count = self._libc.recvmmsg(self.fd, arrays.headers_address, BATCH, _MSG_DONTWAIT, None)
        if count < 0:
            code = ctypes.get_errno()
            if code in (errno.EAGAIN, errno.EWOULDBLOCK, errno.EINTR):
                return []
            raise OSError(code, "recvmmsg failed")
        self._used = count
        data, names = self._data_view, self._names_view
        out = []
        for i in range(count):
            base = i * 64
            length = int.from_bytes(headers[base + _MSG_LEN_OFFSET : base + 60], "little")
            namelen = int.from_bytes(headers[base + 8 : base + 12], "little")
            start = i * BUFFER_SIZE
            at = i * _ADDRESS_SIZE
            out.append((bytes(data[start : start + length]), bytes(names[at : at + namelen])))
        return out

    def send(self, replies: list[tuple[bytes, bytes]]) -> int:
        """Send (data, raw sockaddr) replies; return how many the kernel took.

        A reply larger than a batch buffer (a big numwant over IPv6) goes out on its own.
        """
        if any(len(payload) > BUFFER_SIZE for payload, _ in replies):
            small = [r for r in replies if len(r[0]) <= BUFFER_SIZE]
            big = [r for r in replies if len(r[0]) > BUFFER_SIZE]
            return self.send(small) + sum(self._send_one(p, name) for p, name in big)
        arrays = self._out
        sent = 0
        while sent < len(replies):
            chunk = replies[sent : sent + BATCH]
            for i, (payload, name) in enumerate(chunk):
                size = len(payload)
                start = i * BUFFER_SIZE
                arrays.data[start : start + size] = payload
                arrays.names[i * _ADDRESS_SIZE : i * _ADDRESS_SIZE + len(name)] = name
                struct.pack_into("=I", arrays.iovecs, i * _IOVEC.size + _IOV_LEN_OFFSET, size)
                struct.pack_into("=I", arrays.headers, i * 64 + _NAMELEN_OFFSET, len(name))
            done = self._libc.sendmmsg(self.fd, arrays.headers_address, len(chunk), _MSG_DONTWAIT)
            if done <= 0:
                return sent  # the socket buffer is full: drop the rest, as UDP may
            sent += done
        return sent

    def _send_one(self, payload: bytes, name: bytes) -> int:
        address = address_of(name)
        if address is None:
            return 0
        try:
            self.sock.sendto(payload, address)
        except OSError:  # full buffer, or too big for a datagram: dropped, as UDP may
            return 0
        return 1


def address_of(name: bytes) -> tuple[str, int] | None:
    """Return the (host, port) of a raw sockaddr, as socket.sendto takes it."""
    family = int.from_bytes(name[:2], "little")
    port = int.from_bytes(name[2:4], "big")
    if family == socket.AF_INET:
        return socket.inet_ntop(socket.AF_INET, name[4:8]), port
    if family == socket.AF_INET6:
        return socket.inet_ntop(socket.AF_INET6, name[8:24]), port
    return None


def endpoint_of(name: bytes) -> bytes | None:
    """Return the packed IP + port of a raw sockaddr (IPv4-mapped IPv6 becomes IPv4)."""
    family = int.from_bytes(name[:2], "little")
    port = name[2:4]
    if family == socket.AF_INET:
        return name[4:8] + port
    if family == socket.AF_INET6:
        address = name[8:24]
        if address[:12] == b"\0" * 10 + b"\xff\xff":
            return address[12:] + port
        return address + port
    return None
