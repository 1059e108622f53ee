#!/usr/bin/env python3
"""Local HTTP server for curl_http_client_test.cc (stdlib only).

Binds 127.0.0.1 on an ephemeral port, prints the port on stdout, then serves
until killed or until stdin closes. Endpoints:
  /schedule?key=K&seq=503,500,throttle,200  answers seq[n] on the n-th call
                                            for key K (last entry repeats)
  /slow?ms=N      sleeps N ms, then 200
  /large?n=N      200 with N bytes, byte i = i % 251
  /close          closes the connection without any response
  /peer           200, body = client port (shows connection reuse)
  /echo           200, body = "<method> <X-Test header> <request body>"
"""
import http.server
import json
import sys
import threading
import time
import urllib.parse

_counts = {}
_lock = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def _send(self, status, body=b"", content_type="text/plain", extra=()):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _handle(self):
        url = urllib.parse.urlparse(self.path)
        q = dict(urllib.parse.parse_qsl(url.query))
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if url.path == "/schedule":
            seq = q["seq"].split(",")
            with _lock:
                n = _counts.get(q["key"], 0)
                _counts[q["key"]] = n + 1
            step = seq[min(n, len(seq) - 1)]
            if step == "throttle":
                self._send(400, json.dumps({"__type": "com.amazonaws#ThrottlingException",
                                            "message": "Rate exceeded"}).encode(),
                           "application/x-amz-json-1.0")
            elif step == "slowdown":
                self._send(503, b"<Error><Code>SlowDown</Code></Error>", "application/xml")
            else:
                self._send(int(step), ("step %d" % n).encode())
        elif url.path == "/slow":
            time.sleep(int(q.get("ms", "2000")) / 1000.0)
            self._send(200, b"slow")
        elif url.path == "/large":
            n = int(q["n"])
            pattern = bytes(i % 251 for i in range(251 * 64))
            self.send_response(200)
            self.send_header("Content-Length", str(n))
            self.end_headers()
            sent = 0
            while sent < n:
                chunk = pattern[: min(len(pattern), n - sent)]
                self.wfile.write(chunk)
                sent += len(chunk)
        elif url.path == "/close":
            self.close_connection = True
        elif url.path == "/peer":
            self._send(200, str(self.client_address[1]).encode())
        elif url.path == "/echo":
            text = "%s %s " % (self.command, self.headers.get("X-Test", ""))
            self._send(200, text.encode() + body, extra=[("X-Reply", "yes")])
        else:
            self._send(404, b"not found")

    def _guarded(self):
        try:
            self._handle()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client went away (abort, timeout)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _guarded


def main():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sys.stdin.read()  # returns when the test closes our stdin or exits


if __name__ == "__main__":
    main()
