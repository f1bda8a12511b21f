#!/usr/bin/env python3
"""A minimal SIP UAS for tests/e2e/failover_probe.sh: unlike a sipp UAS it answers OPTIONS
(health probes) besides calls. OPTIONS -> 200; INVITE -> 180, 200 (with a Contact); ACK ->
nothing; BYE -> 200; anything else -> 200. Responses copy every Via, From, To (tagged), Call-ID
and CSeq, and go to the source of the request. After each INVITE it rewrites COUNT_FILE with
the number of INVITEs answered (retransmissions not counted).

usage: mini_uas.py IP PORT COUNT_FILE
"""
import re
import socket
import sys


def main():
    ip, port, count_file = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((ip, port))
    seen = set()
    with open(count_file, "w") as f:
        f.write("0\n")
    while True:
        data, peer = s.recvfrom(65535)
        text = data.decode("latin-1")
        head = text.split("\r\n\r\n", 1)[0].split("\r\n")
        first = head[0].split(" ")
        if len(first) < 3 or first[0].startswith("SIP/"):
            continue  # a response: nothing to do
        method = first[0]
        lines = head[1:]

        def values(name, compact):
            out = []
            for line in lines:
                m = re.match(r"([A-Za-z-]+)\s*:\s*(.*)", line)
                if m and m.group(1).lower() in (name, compact):
                    out.append(m.group(2))
            return out

        vias = values("via", "v")
        to = (values("to", "t") or [""])[0]
        if method != "ACK" and ";tag=" not in to:
            to += ";tag=uas" + str(port)
        common = ("".join(f"Via: {v}\r\n" for v in vias) +
                  f"From: {(values('from', 'f') or [''])[0]}\r\nTo: {to}\r\n"
                  f"Call-ID: {(values('call-id', 'i') or [''])[0]}\r\n"
                  f"CSeq: {(values('cseq', '') or [''])[0]}\r\n")

        def reply(code, reason, extra=""):
            s.sendto((f"SIP/2.0 {code} {reason}\r\n{common}{extra}Content-Length: 0\r\n\r\n")
                     .encode(), peer)

        if method == "ACK":
            continue
        if method == "INVITE":
            reply(180, "Ringing")
            reply(200, "OK", f"Contact: <sip:uas@{ip}:{port}>\r\n")
            call_id = (values("call-id", "i") or [""])[0]
            if call_id not in seen:
                seen.add(call_id)
                with open(count_file, "w") as f:
                    f.write(f"{len(seen)}\n")
            continue
        reply(200, "OK")


if __name__ == "__main__":
    main()
