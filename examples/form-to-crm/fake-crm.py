#!/usr/bin/env python3
"""A stand-in CRM for trying the example: POST /leads answers 201 {"id": N}, but the first request fails with 503
so that you can watch the engine retry."""
import json
from http.server import BaseHTTPRequestHandler, HTTPServer

count = 0


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        global count
        count += 1
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        print(f"request {count}: {self.headers.get('Authorization')} {body.decode()}")
        if count == 1:
            self.send_response(503)
            self.send_header("Retry-After", "1")
            self.end_headers()
            return
        out = json.dumps({"id": 1000 + count}).encode()
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)


HTTPServer(("127.0.0.1", 8099), Handler).serve_forever()
