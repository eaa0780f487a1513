# Asks the instance metadata service from inside a guest and prints what happened as JSON.
# One run does a batch of requests (python starts slowly under TCG), given as base64 of a JSON
# list; it prints a JSON list of results, one per request:
#   {"op": "get", "path": "/latest/meta-data/instance-id", "token": "..."}  a GET (no token: IMDSv1;
#                                                   "token": "last" uses the batch's last token)
#   {"op": "put", "ttl": "60", "forwarded": "10.0.0.9"}   a token PUT (X-Forwarded-For if given)
#   {"op": "ttl"}   (root) a token PUT, with the IP TTLs of the packets that came back from
#                   169.254.169.254 (read on a raw socket)
import base64
import http.client
import json
import socket
import sys

ADDRESS = "169.254.169.254"


def request(method, path, headers):
    try:
        c = http.client.HTTPConnection(ADDRESS, 80, timeout=5)
        c.request(method, path, headers=headers)
        r = c.getresponse()
        return {"status": r.status, "body": r.read().decode("utf-8", "replace")}
    except Exception as e:  # the refusals are the point: report them, do not crash
        return {"error": type(e).__name__}


def put(ttl, forwarded=None):
    headers = {"X-aws-ec2-metadata-token-ttl-seconds": ttl}
    if forwarded:
        headers["X-Forwarded-For"] = forwarded
    return request("PUT", "/latest/api/token", headers)


def ttl_of_put():
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
    raw.settimeout(1)
    out = put("60")
    ttls = set()
    try:
        while True:
            packet, peer = raw.recvfrom(65535)
            if peer[0] == ADDRESS:
                ttls.add(packet[8])
    except socket.timeout:
        pass
    out["ttls"] = sorted(ttls)
    return out


results = []
last_token = None
for step in json.loads(base64.b64decode(sys.argv[1])):
    if step["op"] == "get":
        token = last_token if step.get("token") == "last" else step.get("token")
        headers = {"X-aws-ec2-metadata-token": token} if token else {}
        out = request("GET", step["path"], headers)
    elif step["op"] == "put":
        out = put(step.get("ttl", "21600"), step.get("forwarded"))
        if out.get("status") == 200:
            last_token = out["body"]
    elif step["op"] == "ttl":
        out = ttl_of_put()
    else:
        raise SystemExit("unknown op: " + step["op"])
    results.append(out)
print(json.dumps(results))
