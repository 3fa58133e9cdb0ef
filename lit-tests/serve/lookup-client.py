#!/usr/bin/env python3
"""A greedy completion from the server at TERN_URL (with-server.py), the
prompt read from argv[1], argv[2] tokens; writes the text to argv[3] and
prints the server's prompt-lookup counters from /metrics."""
import json
import os
import sys
import urllib.request

url = os.environ["TERN_URL"]
prompt = open(sys.argv[1]).read()
body = json.dumps({"prompt": prompt, "max_tokens": int(sys.argv[2]),
                   "temperature": 0}).encode()
req = urllib.request.Request(url + "/v1/completions", data=body,
                             headers={"Content-Type": "application/json"})
reply = json.load(urllib.request.urlopen(req))
with open(sys.argv[3], "w") as out:
    out.write(reply["choices"][0]["text"] + "\n")
metrics = urllib.request.urlopen(url + "/metrics").read().decode()
for line in metrics.splitlines():
    if line.startswith("tern_draft_"):
        print(line)
