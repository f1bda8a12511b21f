#!/usr/bin/env python3
"""A UAC that sends its INVITE twice, byte for byte, back to back, then completes the call.

usage: dup_invite_uac.py LOCAL_PORT PROXY_HOST PROXY_PORT USER

sipp cannot do this: it sends consecutive <send>s on separate scheduler ticks, and a 100 Trying
arriving in between is an unexpected message for it. From 127.0.0.1:LOCAL_PORT (the address is
$E2E_LOCAL_IP if set: the peers' address of the DPDK runs) this sends INVITE
sip:USER@PROXY (no body) twice with the same branch, as a retransmission, before reading
anything; then reads responses: each 2xx for the INVITE is ACKed (ACK to sip:USER@PROXY, as
uac.xml does: the proxy routes it by the Request-URI), and after the first one a BYE is sent
(retransmitted every 500 ms until answered, 7 times at most). Done when the BYE gets its 200.

Every message received is printed as "received <first line> | <CSeq>", every message sent as
"sent <first line>", so a test can count them. Exit status 0 when the call completed (2xx for
the INVITE, 2xx for the BYE) within 20 s, 1 otherwise. Standard library only.
"""
import os
import socket
import sys
import time
import uuid

DEADLINE_S = 20.0


def header(msg, name):
    for line in msg.split('\r\n')[1:]:
        if not line:
            break
        k, _, v = line.partition(':')
        if k.strip().lower() == name.lower():
            return v.strip()
    return ''


def main():
    local_port, host, port, user = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    local_ip = os.environ.get('E2E_LOCAL_IP', '127.0.0.1')
    sock.bind((local_ip, local_port))
    peer = (host, port)
    me = f'{local_ip}:{local_port}'
    uri = f'sip:{user}@{host}:{port}'
    tag = uuid.uuid4().hex[:10]
    call_id = f'{uuid.uuid4().hex}@{local_ip}'
    from_ = f'From: dup <sip:dup@{me}>;tag={tag}'

    def request(method, cseq, to, branch):
        return (f'{method} {uri} SIP/2.0\r\n'
                f'Via: SIP/2.0/UDP {me};branch={branch}\r\n'
                f'{from_}\r\nTo: {to}\r\nCall-ID: {call_id}\r\nCSeq: {cseq} {method}\r\n'
                f'Contact: <sip:dup@{me}>\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n')

    def send(msg):
        sock.sendto(msg.encode(), peer)
        print('sent', msg.split('\r\n', 1)[0], flush=True)

    invite = request('INVITE', 1, f'<{uri}>', 'z9hG4bK-' + uuid.uuid4().hex).encode()
    sock.sendto(invite, peer)
    sock.sendto(invite, peer)
    first_line = invite.split(b'\r\n', 1)[0].decode()
    print('sent', first_line, flush=True)
    print('sent', first_line, flush=True)

    bye = None
    bye_sent_at, bye_sends = 0.0, 0
    end = time.monotonic() + DEADLINE_S
    while time.monotonic() < end:
        now = time.monotonic()
        if bye is not None and now - bye_sent_at >= 0.5:
            if bye_sends == 7:
                break
            send(bye)
            bye_sent_at, bye_sends = now, bye_sends + 1
        sock.settimeout(0.1)
        try:
            data, _ = sock.recvfrom(65535)
        except socket.timeout:
            continue
        msg = data.decode('utf-8', 'replace')
        first = msg.split('\r\n', 1)[0]
        cseq = header(msg, 'CSeq')
        print('received', first, '|', cseq, flush=True)
        parts = first.split(' ')
        if parts[0] != 'SIP/2.0' or len(parts) < 2 or not parts[1].isdigit():
            continue
        code = int(parts[1])
        if cseq.endswith('INVITE') and 200 <= code < 300:
            to = header(msg, 'To')
            send(request('ACK', 1, to, 'z9hG4bK-' + uuid.uuid4().hex))
            if bye is None:
                bye = request('BYE', 2, to, 'z9hG4bK-' + uuid.uuid4().hex)
        elif cseq.endswith('BYE') and code >= 200:
            return 0 if code < 300 else 1
    print('no final response to the BYE' if bye else 'no 2xx for the INVITE', flush=True)
    return 1


if __name__ == '__main__':
    sys.exit(main())
