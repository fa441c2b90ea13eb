#!/usr/bin/python3
"""A loopback receiver for the notification tests: records what the runner sends.

  notify_receiver.py http --record FILE --port-file FILE [--status N] [--silent]
                          [--echo-auth N]
  notify_receiver.py smtp --record FILE --port-file FILE --cert PEM --key PEM
                          [--user U --password P] [--smtps]

It listens on 127.0.0.1 on a port of the system's choosing (or --port) and writes that port to
--port-file (atomically) once it accepts connections; the test waits for that file. Each
request or mail received is one JSON line appended to --record:
  http: {"method", "path", "headers": {lower-case name: value}, "body"}
  smtp: {"mail_from", "rcpt_tos", "data", "tls", "login"}
--status makes the HTTP receiver answer that status; --silent makes it accept connections
and never answer (a receiver that hangs; it records {"connected": N} as it accepts each); --echo-auth N puts the first N characters of the
Authorization header in a refusal (as receivers that say which token they refused do). The SMTP receiver requires STARTTLS (or speaks
TLS from the start with --smtps) and, with --user, a login over TLS. It runs until killed.
"""
import argparse
import asyncio
import http.server
import json
import os
import socket
import ssl
import sys
import threading


def record(path, entry):
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(entry) + "\n")
        f.flush()


def announce(port_file, port):
    tmp = port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(port))
    os.replace(tmp, port_file)


def serve_http(args):
    class Handler(http.server.BaseHTTPRequestHandler):
        def handle_one(self):
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length).decode("utf-8", "replace") if length else ""
            record(args.record, {"method": self.command, "path": self.path,
                                 "headers": {k.lower(): v for k, v in self.headers.items()},
                                 "body": body})
            self.send_response(args.status)
            answer = b"ok" if args.status < 300 else b"the receiver refused it"
            if args.status >= 300 and args.echo_auth:
                auth = self.headers.get("Authorization", "")[:args.echo_auth]
                answer += (" (token " + auth + "...)").encode("utf-8")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        do_POST = handle_one
        do_GET = handle_one
        do_CONNECT = handle_one  # a browser's HTTPS request through this as its proxy

        def log_message(self, *a):
            pass

    if args.silent:
        sock = socket.socket()
        sock.bind(("127.0.0.1", args.port))
        sock.listen(16)
        announce(args.port_file, sock.getsockname()[1])
        held = []
        while True:
            conn, _ = sock.accept()
            held.append(conn)  # read nothing, answer nothing, close nothing
            record(args.record, {"connected": len(held)})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    announce(args.port_file, server.server_address[1])
    server.serve_forever()


def serve_smtp(args):
    from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(args.cert, args.key)

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            record(args.record, {"mail_from": envelope.mail_from,
                                 "rcpt_tos": envelope.rcpt_tos,
                                 "data": envelope.content.decode("utf-8", "replace"),
                                 "tls": session.ssl is not None or server.transport
                                 .get_extra_info("ssl_object") is not None,
                                 "login": session.auth_data.decode()
                                 if isinstance(session.auth_data, bytes) else ""})
            return "250 OK"

    def authenticate(server, session, envelope, mechanism, auth_data):
        if isinstance(auth_data, LoginPassword) and auth_data.login.decode() == args.user \
                and auth_data.password.decode() == args.password:
            return AuthResult(success=True, auth_data=auth_data.login)
        return AuthResult(success=False, handled=False)

    def factory():
        kwargs = dict(hostname="localhost", timeout=30)
        if not args.smtps:
            kwargs.update(tls_context=context, require_starttls=True)
        if args.user:
            kwargs.update(authenticator=authenticate, auth_required=True, auth_require_tls=True)
        return SMTP(Handler(), **kwargs)

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    server = loop.run_until_complete(loop.create_server(
        factory, host="127.0.0.1", port=args.port, ssl=context if args.smtps else None))
    announce(args.port_file, server.sockets[0].getsockname()[1])
    loop.run_forever()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("kind", choices=["http", "smtp"])
    p.add_argument("--record", required=True)
    p.add_argument("--port-file", required=True)
    p.add_argument("--port", type=int, default=0, help="this port (a receiver coming back)")
    p.add_argument("--status", type=int, default=200)
    p.add_argument("--silent", action="store_true")
    p.add_argument("--echo-auth", type=int, default=0)
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--user")
    p.add_argument("--password")
    p.add_argument("--smtps", action="store_true")
    args = p.parse_args()
    (serve_http if args.kind == "http" else serve_smtp)(args)


if __name__ == "__main__":
    sys.exit(main())
