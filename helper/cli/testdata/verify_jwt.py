"""Independent check of a tdjwt token with PyJWT (Debian's python3-jwt).

usage: /usr/bin/python3 verify_jwt.py SPEC_JSON < token
SPEC_JSON: {"pem": path, "kid": str, "sub": str, "iss": str, "org_claim": str,
            "org": str, "pat": str, "lifetime": seconds, "iat": "backdate:N"|"now"|"zero"|"omit"}
Prints "ok" or fails with a message that names the claim, never its value.
"""
import json
import sys
import time

import jwt
from cryptography.hazmat.primitives import serialization

spec = json.loads(sys.argv[1])
token = sys.stdin.read().strip()
with open(spec["pem"], "rb") as f:
    public = serialization.load_pem_private_key(f.read(), None).public_key()

header = jwt.get_unverified_header(token)
assert header == {"alg": "RS256", "kid": spec["kid"], "typ": "JWT"}, "header: %r" % sorted(header)

claims = jwt.decode(
    token, public, algorithms=["RS256"], audience="td:service:authentication",
    options={"require": ["exp", "aud", "sub", "iss"], "verify_iat": False},
)
now = int(time.time())
want_keys = {"aud", "iss", "multi-use", spec["org_claim"], "pat", "sub", "exp"}
if spec["iat"] != "omit":
    want_keys.add("iat")
assert set(claims) == want_keys, "claim names: %r" % sorted(claims)
assert claims["aud"] == ["td:service:authentication"], "aud must be a one-element array"
assert claims["multi-use"] is True, "multi-use must be JSON true"
assert claims["iss"] == spec["iss"], "iss"
assert claims["sub"] == spec["sub"], "sub"
assert claims[spec["org_claim"]] == spec["org"], "org claim"
assert claims["pat"] == spec["pat"], "pat differs"
assert abs(claims["exp"] - (now + spec["lifetime"])) <= 5, "exp is not now + lifetime"
iat = spec["iat"]
if iat == "zero":
    assert claims["iat"] == 0, "iat must be 0"
elif iat == "now":
    assert abs(claims["iat"] - now) <= 5, "iat must be now"
elif iat.startswith("backdate:"):
    assert abs(claims["iat"] - (now - int(iat.split(":")[1]))) <= 5, "iat must be backdated"
for k in ("exp", "iat"):
    if k in claims:
        assert type(claims[k]) is int, k + " must be an integer"
print("ok")
