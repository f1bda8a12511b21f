#!/usr/bin/env python3
"""A flooding source for tests/e2e/flood.sh: sends COUNT OPTIONS requests (each its own
transaction) to the proxy at RATE per second from BIND_IP, then waits for the last answers and
prints "answered=N ok=N limited=N" (limited: 503 with a Retry-After header).

usage: flood_source.py PROXY_IP PROXY_PORT BIND_IP COUNT RATE
"""
import socket
import sys
import time


def main():
    proxy_ip, proxy_port, bind_ip = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    count, rate = int(sys.argv[4]), float(sys.argv[5])
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((bind_ip, 0))
    s.setblocking(False)
    port = s.getsockname()[1]
    ok = limited = answered = 0

    def drain():
        nonlocal ok, limited, answered
        while True:
            try:
                data = s.recv(65535).decode("latin-1")
            except BlockingIOError:
                return
            answered += 1
            first = data.split("\r\n", 1)[0]
            if first.startswith("SIP/2.0 200"):
                ok += 1
            elif first.startswith("SIP/2.0 503") and "\r\nRetry-After:" in data:
                limited += 1

    start = time.monotonic()
    for i in range(count):
        msg = (f"OPTIONS sip:{proxy_ip}:{proxy_port} SIP/2.0\r\n"
               f"Via: SIP/2.0/UDP {bind_ip}:{port};branch=z9hG4bKflood{i}\r\n"
               "Max-Forwards: 70\r\n"
               f"From: <sip:flood@{bind_ip}>;tag=f{i}\r\nTo: <sip:{proxy_ip}>\r\n"
               f"Call-ID: flood-{i}@{bind_ip}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n")
        s.sendto(msg.encode(), (proxy_ip, proxy_port))
        drain()
        delay = start + (i + 1) / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline and answered < count:
        drain()
        time.sleep(0.01)
    print(f"answered={answered} ok={ok} limited={limited}")


if __name__ == "__main__":
    main()
