#!/usr/bin/env python3
"""Runs a command against a running `serve`.

    with-server.py SERVE_COMMAND... -- CLIENT_COMMAND...

Starts SERVE_COMMAND with --port 0, reads the address it prints, runs
CLIENT_COMMAND with TERN_URL (http://127.0.0.1:PORT) and TERN_SERVER_PID
in its environment, then stops the server with SIGTERM and checks that it
drained and exited with status 0. Exits with the client's status (or 1
when the server misbehaved); the server's stderr is printed at the end.
"""
import os
import re
import signal
import subprocess
import sys
import time


def main():
    argv = sys.argv[1:]
    if "--" not in argv:
        sys.exit("usage: with-server.py SERVE_COMMAND... -- CLIENT_COMMAND...")
    split = argv.index("--")
    serve, client = argv[:split] + ["--port", "0"], argv[split + 1:]
    log = open(os.environ.get("TMPDIR", "/tmp") + f"/serve-{os.getpid()}.log", "w+")
    server = subprocess.Popen(serve, stderr=log, stdout=subprocess.DEVNULL)
    url = None
    deadline = time.time() + 120
    while time.time() < deadline and server.poll() is None:
        log.seek(0)
        m = re.search(r"on (http://127\.0\.0\.1:\d+)", log.read())
        if m:
            url = m.group(1)
            break
        time.sleep(0.05)
    if url is None:
        server.kill()
        log.seek(0)
        sys.stderr.write(log.read())
        sys.exit("with-server: the server did not start")
    env = dict(os.environ, TERN_URL=url, TERN_SERVER_PID=str(server.pid))
    try:
        rc = subprocess.run(client, env=env, timeout=600).returncode
    except subprocess.TimeoutExpired:
        rc = 124
        print("with-server: the client ran past 600 s", file=sys.stderr)
    server.send_signal(signal.SIGTERM)
    try:
        server_rc = server.wait(timeout=60)
    except subprocess.TimeoutExpired:
        server.kill()
        server_rc = "hung"
    log.seek(0)
    text = log.read()
    if server_rc != 0 or "stopped" not in text:
        sys.stderr.write(text)
        print(f"with-server: the server ended with {server_rc} after SIGTERM",
              file=sys.stderr)
        sys.exit(1)
    print("server drained and stopped")
    sys.exit(rc)


if __name__ == "__main__":
    main()
