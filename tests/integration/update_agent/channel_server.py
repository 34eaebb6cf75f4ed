#!/usr/bin/env python3
"""A static file server on 127.0.0.1 for the update agent test (DIR/CHANNEL/FILE): honours
"Range: bytes=N-" and can misbehave once per file. A file DIR/.drop lists paths (CHANNEL/FILE) whose next response stops half way
(connection closed); DIR/.stall names whose next response stops half way and then hangs.
Usage: channel_server.py DIR PORTFILE"""
import http.server
import os
import socketserver
import sys
import time

ROOT = sys.argv[1]


def take(flag, name):
    path = os.path.join(ROOT, flag)
    try:
        names = open(path).read().split()
    except FileNotFoundError:
        return False
    if name not in names:
        return False
    names.remove(name)
    open(path, "w").write("\n".join(names))
    return True


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        with open(os.path.join(ROOT, ".log"), "a") as log:
            log.write("%s %s\n" % (self.requestline, self.headers.get("Range", "-")))

    def do_GET(self):
        name = self.path.lstrip("/")
        path = os.path.join(ROOT, name)
        parts = name.split("/")
        if len(parts) > 2 or any(p.startswith(".") or not p for p in parts) or not os.path.isfile(path):
            self.send_error(404)
            return
        body = open(path, "rb").read()
        start = 0
        rng = self.headers.get("Range")
        if rng and rng.startswith("bytes="):
            start = int(rng[6:].split("-")[0])
        if start >= len(body) and start > 0:
            self.send_response(416)
            self.send_header("Content-Range", "bytes */%d" % len(body))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        part = body[start:]
        self.send_response(206 if start else 200)
        if start:
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, len(body) - 1, len(body)))
        self.send_header("Content-Length", str(len(part)))
        self.end_headers()
        if take(".stall", name):
            self.wfile.write(part[: len(part) // 2])
            self.wfile.flush()
            time.sleep(3600)
        if take(".drop", name):
            self.wfile.write(part[: len(part) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(part)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


server = Server(("127.0.0.1", 0), Handler)
with open(sys.argv[2] + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(sys.argv[2] + ".tmp", sys.argv[2])
server.serve_forever()
