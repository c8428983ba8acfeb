#!/usr/bin/env python3
"""A node of a chat-server cluster killed mid-run (SPEC.md Deployments, issue #14).

cluster_node_death.py --kill-pid PID --expiry-ms MS URL0 URL1 URL2
Clients a, b, c join one room through URL0, URL1 and URL2; the node behind URL2 (PID) is then
killed with SIGKILL. Passes when a's and b's nodes still serve them (a message from a reaches
b, and is in the history at URL1) and both list the room with 2 clients within NODE_EXPIRY_MS
(plus 1 s of polling slack) of the kill. Every wait has a deadline. Exit 0 pass, 1 fail.
"""
import argparse
import base64
import json
import os
import signal
import socket
import struct
import sys
import time
import urllib.parse
import urllib.request


def fail(why):
    print("FAIL: " + why)
    sys.exit(1)


class WsClient:
    """Just enough RFC 6455 for this test: the upgrade, masked text frames out, frames in."""

    def __init__(self, url, room, user, timeout=5.0):
        u = urllib.parse.urlparse(url)
        self.sock = socket.create_connection((u.hostname, u.port), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        q = urllib.parse.urlencode({"room": room, "user": user})
        self.sock.sendall((f"GET /ws?{q} HTTP/1.1\r\nHost: {u.hostname}:{u.port}\r\n"
                           "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                           f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                fail(f"{url}: the connection closed during the upgrade")
            head += chunk
        head, self.buf = head.split(b"\r\n\r\n", 1)
        if not head.startswith(b"HTTP/1.1 101"):
            fail(f"{url}: upgrade answered {head[:60]!r}")

    def send(self, content):
        payload = json.dumps({"content": content}).encode()
        mask = os.urandom(4)
        header = bytes([0x81])
        n = len(payload)
        if n < 126:
            header += bytes([0x80 | n])
        else:
            header += bytes([0x80 | 126]) + struct.pack("!H", n)
        body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(header + mask + body)

    def _read(self, n, deadline):
        while len(self.buf) < n:
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def receive(self, timeout):
        """The next text message as a dict; None on silence until the deadline."""
        deadline = time.monotonic() + timeout
        try:
            while True:
                b0, b1 = self._read(2, deadline)
                n = b1 & 0x7F
                if n == 126:
                    n = struct.unpack("!H", self._read(2, deadline))[0]
                elif n == 127:
                    n = struct.unpack("!Q", self._read(8, deadline))[0]
                payload = self._read(n, deadline)
                if b0 & 0x0F == 1:
                    return json.loads(payload)
        except (socket.timeout, TimeoutError):
            return None


def rooms(url):
    with urllib.request.urlopen(url + "/api/rooms", timeout=3) as r:
        return {e["name"]: e["clients"] for e in json.load(r)["data"]["rooms"]}


def wait_clients(url, room, want, within_s):
    deadline = time.monotonic() + within_s
    seen = None
    while time.monotonic() < deadline:
        seen = rooms(url).get(room)
        if seen == want:
            return
        time.sleep(0.05)
    fail(f"{url} lists room {room} with clients {seen}, not {want}, {within_s:.1f} s on")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--kill-pid", type=int, required=True)
    p.add_argument("--expiry-ms", type=int, required=True)
    p.add_argument("urls", nargs=3)
    a = p.parse_args()
    room = "cluster-death-" + base64.b32encode(os.urandom(5)).decode().lower()
    clients = [WsClient(u, room, name) for u, name in zip(a.urls, "abc")]
    for u in a.urls:
        wait_clients(u, room, 3, 3.0)

    os.kill(a.kill_pid, signal.SIGKILL)
    killed = time.monotonic()

    # The other nodes still serve their clients: a's message reaches b and the history.
    clients[0].send("after the kill")
    for c, name in ((clients[1], "b"), (clients[0], "a")):
        m = c.receive(3.0)
        if not m or m.get("content") != "after the kill":
            fail(f"{name} did not receive the message sent after the kill (got {m})")
    with urllib.request.urlopen(a.urls[1] + "/api/rooms/" + urllib.parse.quote(room) +
                                "/messages", timeout=3) as r:
        history = [m["content"] for m in json.load(r)["data"]["messages"]]
    if history != ["after the kill"]:
        fail(f"the history at {a.urls[1]} is {history}")

    # The dead node's client leaves the counts within NODE_EXPIRY_MS.
    budget = a.expiry_ms / 1000 + 1.0
    for u in a.urls[:2]:
        wait_clients(u, room, 2, budget - (time.monotonic() - killed))
    took = time.monotonic() - killed
    print(f"PASS: served after the kill; counts right {took * 1000:.0f} ms after the kill "
          f"(NODE_EXPIRY_MS {a.expiry_ms})")


if __name__ == "__main__":
    main()
