#!/usr/bin/env python3
"""A loopback HTTP server for the zoo pull tests: Range requests, redirects, sha256 ETags,
and faults on demand. Binds 127.0.0.1 on a free port and prints the port on stdout.

  /files/NAME[?cut=N|stall=N|slow=1|etag=1]  serve ROOT/NAME
      cut=N    a request without Range gets the full Content-Length but only N bytes
      stall=N  send N bytes, then nothing for 60 s
      slow=1   send in 64 KiB pieces with a pause between them
      etag=1   publish ETag: "<sha256>"
  /redirect/NAME?QUERY                      302 to /files/NAME?QUERY
  /ORG/REPO/resolve/REV/FILE                Hugging Face hub layout, served from ROOT/hf/ORG/REPO/FILE;
                                            *.safetensors answer 302 to /files/hf/... with X-Linked-Etag
Every request is appended to LOG as: METHOD PATH RANGE.
Usage: zoo_http_server.py ROOT LOG
"""
import hashlib
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

ROOT, LOG = sys.argv[1], sys.argv[2]


def sha256_of(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def record(self):
        with open(LOG, "a") as f:
            f.write(f"{self.command} {self.path} {self.headers.get('Range', '-')}\n")

    def do_HEAD(self):
        self.handle_request(body=False)

    def do_GET(self):
        self.handle_request(body=True)

    def handle_request(self, body):
        self.record()
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        parts = url.path.split("/")
        if url.path.startswith("/redirect/"):
            return self.redirect("/files/" + url.path[len("/redirect/"):] + ("?" + url.query if url.query else ""))
        if len(parts) >= 6 and parts[3] == "resolve":
            org, repo, file = parts[1], parts[2], "/".join(parts[5:])
            local = os.path.join(ROOT, "hf", org, repo, file)
            if not os.path.isfile(local):
                return self.send_error(404)
            if file.endswith(".safetensors"):
                return self.redirect(f"/files/hf/{org}/{repo}/{file}", {"X-Linked-Etag": f'"{sha256_of(local)}"'})
            return self.serve(local, {}, body, {"ETag": '"0123abc"'})
        if url.path.startswith("/files/"):
            name = url.path[len("/files/"):]
            if ".." in name.split("/"):
                return self.send_error(403)
            return self.serve(os.path.join(ROOT, name), query, body, {})
        self.send_error(404)

    def redirect(self, location, extra=None):
        self.send_response(302)
        self.send_header("Location", location)
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def serve(self, path, query, body, extra):
        if not os.path.isfile(path):
            return self.send_error(404)
        size = os.path.getsize(path)
        start = 0
        ranged = self.headers.get("Range")
        if ranged and ranged.startswith("bytes="):
            start = int(ranged[6:].split("-")[0])
            if start >= size:
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{size}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{size - 1}/{size}")
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(size - start))
        self.send_header("Accept-Ranges", "bytes")
        if query.get("etag"):
            self.send_header("ETag", f'"{sha256_of(path)}"')
        for k, v in extra.items():
            self.send_header(k, v)
        self.end_headers()
        if not body:
            return
        with open(path, "rb") as f:
            f.seek(start)
            data = f.read()
        if "cut" in query and not ranged:
            self.wfile.write(data[: int(query["cut"])])
            self.wfile.flush()
            self.close_connection = True
            return
        if "stall" in query:
            self.wfile.write(data[: int(query["stall"])])
            self.wfile.flush()
            time.sleep(60)
            return
        piece = 64 * 1024 if query.get("slow") else len(data) or 1
        for offset in range(0, len(data), piece):
            self.wfile.write(data[offset: offset + piece])
            if query.get("slow"):
                self.wfile.flush()
                time.sleep(0.02)


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
print(server.server_address[1], flush=True)
server.serve_forever()
