"""Drives Debian's python3-cs `cs` module for the workflow tests: one JSON request per stdin line
({"command": ..., "params": {...}}), one JSON answer per stdout line ({"ok": <value>} or {"error": ...}).
The client strips the envelope, polls async jobs (fetch_result) and raises on CloudStack errors itself."""
import json
import os
import sys

from cs import CloudStack, CloudStackApiException, CloudStackException

client = CloudStack(
    endpoint=os.environ["CLOUDSTACK_ENDPOINT"],
    key=os.environ["CLOUDSTACK_KEY"],
    secret=os.environ["CLOUDSTACK_SECRET"],
    method=os.environ.get("CLOUDSTACK_METHOD", "get"),
    timeout=30,
    poll_interval=0.02,
    job_timeout=60,
    fetch_result=True,
)

for line in sys.stdin:
    request = json.loads(line)
    try:
        value = getattr(client, request["command"])(**request["params"])
        answer = {"ok": value}
    except CloudStackApiException as error:
        answer = {"error": error.error, "status": error.response.status_code, "message": str(error.args[0])}
    except CloudStackException as error:
        answer = {"error": None, "status": error.response.status_code, "message": " ".join(str(a) for a in error.args)}
    sys.stdout.write(json.dumps(answer) + "\n")
    sys.stdout.flush()
