# Asks the instance metadata service from inside a guest and prints what happened as JSON.
#   imds-probe.py get PATH [TOKEN]     a GET (IMDSv1 without a token)
#   imds-probe.py put TTL [FORWARDED]  a token PUT (with X-Forwarded-For when FORWARDED is given)
#   imds-probe.py ttl                  (root) a token PUT, with the IP TTLs of the packets that
#                                      came back from 169.254.169.254 (read on a raw socket)
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


cmd = sys.argv[1]
if cmd == "get":
    headers = {"X-aws-ec2-metadata-token": sys.argv[3]} if len(sys.argv) > 3 else {}
    out = request("GET", sys.argv[2], headers)
elif cmd == "put":
    out = put(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None)
elif cmd == "ttl":
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
else:
    raise SystemExit("usage: imds-probe.py get PATH [TOKEN] | put TTL [FORWARDED] | ttl")
print(json.dumps(out))
