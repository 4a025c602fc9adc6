"""Fake credential makers for tests/corpus/generate.py.

Everything here is FAKE: random characters in the shape of a real format
(with a valid checksum where the format carries one), or keys freshly made
by openssl/ssh-keygen for the corpus alone.
"""
import base64
import json
import os
import random
import shutil
import string
import subprocess
import tempfile
import uuid
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "secrets")
R = random.Random(20261124)

ALNUM = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64URL = ALNUM + "-_"


def pick(alphabet, n):
    return "".join(R.choice(alphabet) for _ in range(n))


def alnum(n):
    return pick(ALNUM, n)


def hexs(n):
    return pick("0123456789abcdef", n)


def digits(n):
    return pick(string.digits, n)


def b64(nbytes):
    return base64.b64encode(R.randbytes(nbytes)).decode()


def b64url(nbytes):
    return base64.urlsafe_b64encode(R.randbytes(nbytes)).decode().rstrip("=")


def password(n=None):
    n = n or R.randint(14, 24)
    symbols = "!#%^*-_+=.~@"
    while True:
        p = pick(ALNUM + symbols, n)
        if (any(c.islower() for c in p) and any(c.isupper() for c in p)
                and any(c.isdigit() for c in p) and p[0] in ALNUM):
            return p


def urlpass(n=None):
    """A password that needs no escaping inside a URI."""
    n = n or R.randint(14, 22)
    while True:
        p = pick(ALNUM + "-_.~", n)
        if any(c.isdigit() for c in p) and any(c.isupper() for c in p):
            return p


def crc_b62(body):
    crc = zlib.crc32(body.encode())
    out = ""
    for _ in range(6):
        out = B62[crc % 62] + out
        crc //= 62
    return out


def github(prefix="ghp"):
    body = alnum(30)
    return "%s_%s%s" % (prefix, body, crc_b62(body))


def npm():
    body = alnum(30)
    return "npm_%s%s" % (body, crc_b62(body))


def aws_id(prefix="AKIA"):
    return prefix + pick(string.ascii_uppercase + "234567", 16)


def aws_secret():
    return pick(ALNUM + "+/", 40)


def gcp_api_key():
    return "AIza" + pick(B64URL, 35)


def azure_storage_key():
    return base64.b64encode(R.randbytes(64)).decode()


def azure_client_secret():
    return alnum(3) + digits(1) + "Q~" + pick(ALNUM + "_~.-", 34)


def slack_bot():
    return "xoxb-%s-%s-%s" % (digits(12), digits(13), alnum(24))


def slack_user():
    return "xoxp-%s-%s-%s-%s" % (digits(12), digits(12), digits(13),
                                 hexs(32))


def slack_webhook():
    return "https://hooks.slack.com/services/T%s/B%s/%s" % (
        pick(string.ascii_uppercase + string.digits, 8),
        pick(string.ascii_uppercase + string.digits, 10), alnum(24))


def stripe(kind="sk_live"):
    return "%s_%s" % (kind, alnum(99 if R.random() < 0.5 else 24))


def sendgrid():
    return "SG.%s.%s" % (pick(B64URL, 22), pick(B64URL, 43))


def discord_bot():
    uid = str(R.randint(10**17, 10**18))
    head = base64.b64encode(uid.encode()).decode().rstrip("=")
    return "%s.%s.%s" % (head, pick(B64URL, 6), pick(B64URL, 38))


def telegram():
    return "%s:AA%s" % (digits(10), pick(B64URL, 33))


def openai_proj():
    return "sk-proj-%sT3BlbkFJ%s" % (pick(B64URL, 74), pick(B64URL, 74))


def openai_legacy():
    return "sk-%sT3BlbkFJ%s" % (alnum(20), alnum(20))


def anthropic():
    return "sk-ant-api03-%sAA" % pick(B64URL, 93)


def hf():
    return "hf_" + pick(string.ascii_letters, 34)


def jwt(alg="HS256", claims=None):
    header = {"alg": alg, "typ": "JWT"}
    claims = claims or {
        "sub": str(uuid.UUID(int=R.getrandbits(128))),
        "iat": 1763900000 + R.randint(0, 10**6),
        "exp": 1763990000 + R.randint(0, 10**6),
        "role": R.choice(["admin", "service", "user"]),
    }

    def enc(obj):
        raw = json.dumps(obj, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")
    sig = b64url(256 if alg.startswith("RS") else 32)
    return "%s.%s.%s" % (enc(header), enc(claims), sig)


BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def bech32_polymod(values):
    gen = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3]
    chk = 1
    for v in values:
        b = chk >> 25
        chk = (chk & 0x1ffffff) << 5 ^ v
        for i in range(5):
            chk ^= gen[i] if ((b >> i) & 1) else 0
    return chk


def age_secret():
    hrp = "age-secret-key-"
    data = [R.randrange(32) for _ in range(52)]
    values = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    pm = bech32_polymod(values + data + [0] * 6) ^ 1
    chk = [(pm >> 5 * (5 - i)) & 31 for i in range(6)]
    return ("AGE-SECRET-KEY-1" +
            "".join(BECH32[d] for d in data + chk).upper())


def wireguard_key():
    k = bytearray(R.randbytes(32))
    k[0] &= 248
    k[31] = (k[31] & 127) | 64
    return base64.b64encode(bytes(k)).decode()


TMP = tempfile.mkdtemp(prefix="gfs-corpus-")


def openssl(*args):
    return subprocess.run(["openssl", *args], check=True, capture_output=True,
                          text=True).stdout


def pem_key(kind):
    """A fresh private key for this corpus only."""
    path = os.path.join(TMP, "k.pem")
    if kind == "rsa-pkcs1":
        openssl("genpkey", "-algorithm", "RSA", "-pkeyopt",
                "rsa_keygen_bits:2048", "-out", path)
        return openssl("pkey", "-in", path, "-traditional")
    if kind == "rsa":
        return openssl("genpkey", "-algorithm", "RSA", "-pkeyopt",
                       "rsa_keygen_bits:2048")
    if kind == "ec":
        openssl("genpkey", "-algorithm", "EC", "-pkeyopt",
                "ec_paramgen_curve:P-256", "-out", path)
        return openssl("pkey", "-in", path, "-traditional")
    if kind == "ed25519":
        return openssl("genpkey", "-algorithm", "ED25519")
    if kind == "encrypted":
        return openssl("genpkey", "-algorithm", "RSA", "-pkeyopt",
                       "rsa_keygen_bits:2048", "-aes-256-cbc", "-pass",
                       "pass:corpus-only")
    if kind == "dsa":
        openssl("genpkey", "-genparam", "-algorithm", "DSA", "-pkeyopt",
                "dsa_paramgen_bits:1024", "-out", path + ".param")
        openssl("genpkey", "-paramfile", path + ".param", "-out", path)
        return openssl("pkey", "-in", path, "-traditional")
    raise ValueError(kind)


def ssh_key(kind="ed25519"):
    path = os.path.join(TMP, "id_%s" % kind)
    for p in (path, path + ".pub"):
        if os.path.exists(p):
            os.unlink(p)
    subprocess.run(["ssh-keygen", "-q", "-t", kind, "-N", "", "-C",
                    "dev@laptop", "-f", path], check=True)
    with open(path) as f, open(path + ".pub") as g:
        return f.read(), g.read()


def certificate():
    key = os.path.join(TMP, "c.key")
    return openssl("req", "-x509", "-newkey", "ec", "-pkeyopt",
                   "ec_paramgen_curve:P-256", "-nodes", "-keyout", key,
                   "-days", "365", "-subj", "/CN=corpus.example.test")


def pgp_armour(kind):
    body = base64.b64encode(R.randbytes(R.randint(900, 1400))).decode()
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    crc = base64.b64encode(R.randbytes(3)).decode()
    return ("-----BEGIN PGP %s KEY BLOCK-----\n\n%s\n=%s\n"
            "-----END PGP %s KEY BLOCK-----\n" % (kind, "\n".join(lines), crc,
                                                  kind))


FILES = []


def w(rel, text):
    path = os.path.join(OUT, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    FILES.append(rel)


def notebook(cells):
    nb = {"cells": [], "metadata": {"kernelspec": {
        "display_name": "Python 3", "language": "python", "name": "python3"}},
        "nbformat": 4, "nbformat_minor": 5}
    for src in cells:
        nb["cells"].append({"cell_type": "code", "execution_count": None,
                            "id": hexs(8), "metadata": {}, "outputs": [],
                            "source": [l + "\n" for l in src.split("\n")]})
    return json.dumps(nb, indent=1) + "\n"


