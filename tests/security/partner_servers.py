"""Small servers on loopback that play a partner's JWKS URI, well or badly (issue 21)."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time

from cryptography.hazmat.primitives.asymmetric import ec
from joserfc.jwk import ECKey


def new_key() -> ECKey:
    return ECKey.import_key(ec.generate_private_key(ec.SECP256R1()))


def public_jwk(key: ECKey) -> dict:
    return {**key.as_dict(private=False), "kid": key.thumbprint()}


class RawServer:
    """Accepts connections on 127.0.0.1 and hands each to ``handler(conn, server)`` in a thread.

    ``connections`` counts accepted connections; ``sent`` the bytes handlers managed to write.
    """

    def __init__(self, handler):
        self.handler = handler
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.requests = 0
        self.sent = 0
        self.finished = False
        self.lock = threading.Lock()
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def url(self, path: str = "/jwks.json", host: str = "127.0.0.1", scheme: str = "http") -> str:
        return f"{scheme}://{host}:{self.port}{path}"

    def _serve(self):
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            with self.lock:
                self.connections += 1
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn):
        with contextlib.closing(conn):
            conn.settimeout(10)
            data = b""
            with contextlib.suppress(OSError):
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(4096)
                    if not chunk:
                        return
                    data += chunk
            with self.lock:
                self.requests += 1
            with contextlib.suppress(OSError):
                self.handler(conn, self)

    def write(self, conn, data: bytes) -> None:
        conn.sendall(data)
        with self.lock:
            self.sent += len(data)

    def close(self):
        self._stop.set()
        self.thread.join(2)
        self.sock.close()


def jwks_answer(keys: list[dict], *, delay: float = 0.0, cache_control: str = "max-age=600"):
    body = json.dumps({"keys": keys}).encode()

    def handler(conn, server):
        if delay:
            time.sleep(delay)
        server.write(conn, b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                     + f"Content-Length: {len(body)}\r\nCache-Control: {cache_control}\r\n"
                       "Connection: close\r\n\r\n".encode() + body)

    return handler
