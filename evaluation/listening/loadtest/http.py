"""A minimal HTTP/1.1 keep-alive client: the load generator must cost less CPU than the server."""

from __future__ import annotations

import asyncio
import json


class Down(Exception):
    """The server did not answer (refused, reset, closed mid-response): it may be restarting."""


#: uvicorn closes a keep-alive connection idle for 5 s; a browser then opens a new one, and so do we.
IDLE_S = 4.0


class Conn:
    def __init__(self, host: str, port: int, *, timeout: float = 60.0) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.used = 0.0

    async def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        """``(status, JSON body)``; raises :class:`Down` when the connection fails (then reconnects next time)."""
        try:
            return await asyncio.wait_for(self._request(method, path, body), self.timeout)
        except (TimeoutError, OSError, EOFError, asyncio.IncompleteReadError, IndexError, ValueError) as e:
            self.close()
            raise Down(f"{type(e).__name__}: {e}") from None

    async def _request(self, method: str, path: str, body: dict | None) -> tuple[int, dict]:
        loop = asyncio.get_running_loop()
        if self.writer is not None and loop.time() - self.used > IDLE_S:
            self.close()
        self.used = loop.time()
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        data = json.dumps(body).encode() if body is not None else b""
        head = f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Length: {len(data)}\r\n"
        if body is not None:
            head += "Content-Type: application/json\r\n"
        self.writer.write(head.encode() + b"\r\n" + data)
        status_line = await self.reader.readline()
        if not status_line:
            raise EOFError("connection closed")
        status = int(status_line.split()[1])
        length, chunked = 0, False
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
            elif name.lower() == "transfer-encoding" and "chunked" in value:
                chunked = True
        payload = await self._chunked() if chunked else await self.reader.readexactly(length)
        self.used = loop.time()
        try:
            return status, json.loads(payload) if payload else {}
        except ValueError:
            return status, {"error": payload[:200].decode(errors="replace")}

    async def _chunked(self) -> bytes:
        out = b""
        while (size := int((await self.reader.readline()).strip() or b"0", 16)) > 0:
            out += await self.reader.readexactly(size)
            await self.reader.readline()
        await self.reader.readline()
        return out

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None
