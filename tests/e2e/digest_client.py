#!/usr/bin/env python3
"""sipwire's own digest client for tests/e2e/auth.sh: SHA-256 digest authentication over the
wire (RFC 7616, RFC 8760), which Debian's sipp 3.6 cannot do.

REGISTERs sip:USER@DOMAIN at the proxy, answers the 401's SHA-256 challenge (qop=auth) with
PASSWORD, and prints one line per response received: "401 SHA-256,MD5" for the challenge
(the algorithms offered, in order), then the final status ("200"). With --nc-replay it then
sends the same authorized REGISTER again (same nonce and nonce-count) and prints that answer.

usage: digest_client.py PROXY_IP PROXY_PORT DOMAIN USER PASSWORD [--nc-replay]
"""
import hashlib
import os
import re
import socket
import sys

# The address to send from: the peers' (tests/e2e/lib.sh exports it).
LOCAL = os.environ.get("E2E_LOCAL_IP", "127.0.0.1")


def sha256(text):
    return hashlib.sha256(text.encode()).hexdigest()


def main():
    proxy_ip, proxy_port, domain, user, password = sys.argv[1:6]
    replay = "--nc-replay" in sys.argv[6:]
    proxy_port = int(proxy_port)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((LOCAL, 0))
    s.settimeout(5)
    port = s.getsockname()[1]
    uri = f"sip:{domain}"
    call_id = f"digest-{port}@{LOCAL}"

    def register(cseq, authorization=""):
        msg = (f"REGISTER {uri} SIP/2.0\r\n"
               f"Via: SIP/2.0/UDP {LOCAL}:{port};branch=z9hG4bKdig{cseq}\r\n"
               "Max-Forwards: 70\r\n"
               f"From: <sip:{user}@{domain}>;tag=d{port}\r\nTo: <sip:{user}@{domain}>\r\n"
               f"Call-ID: {call_id}\r\nCSeq: {cseq} REGISTER\r\n"
               f"Contact: <sip:{user}@{LOCAL}:{port}>\r\nExpires: 600\r\n"
               f"{authorization}Content-Length: 0\r\n\r\n")
        s.sendto(msg.encode(), (proxy_ip, proxy_port))
        data = s.recv(65535).decode("latin-1")
        return data

    first = register(1)
    status = first.split(" ", 2)[1]
    challenges = re.findall(r"\r\nWWW-Authenticate:\s*Digest ([^\r]*)", first, re.I)
    algorithms = [re.search(r'algorithm=([A-Za-z0-9-]+)', c).group(1) for c in challenges]
    print(status, ",".join(algorithms))
    sha = next(c for c in challenges if "algorithm=SHA-256" in c)
    realm = re.search(r'realm="([^"]*)"', sha).group(1)
    nonce = re.search(r'nonce="([^"]*)"', sha).group(1)
    opaque = re.search(r'opaque="([^"]*)"', sha)
    nc, cnonce, qop = "00000001", "0a4f113b", "auth"
    ha1 = sha256(f"{user}:{realm}:{password}")
    ha2 = sha256(f"REGISTER:{uri}")
    response = sha256(f"{ha1}:{nonce}:{nc}:{cnonce}:{qop}:{ha2}")
    auth = (f'Authorization: Digest username="{user}", realm="{realm}", nonce="{nonce}", '
            f'uri="{uri}", response="{response}", algorithm=SHA-256, qop={qop}, nc={nc}, '
            f'cnonce="{cnonce}"' + (f', opaque="{opaque.group(1)}"' if opaque else "") + "\r\n")
    print(register(2, auth).split(" ", 2)[1])
    if replay:
        print(register(3, auth).split(" ", 2)[1])


if __name__ == "__main__":
    main()
