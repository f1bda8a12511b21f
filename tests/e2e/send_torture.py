#!/usr/bin/env python3
"""Sends RFC 4475 torture messages to a SIP proxy over UDP and checks its answers.

usage: send_torture.py HOST PORT DATA_DIR [--all] [--max-size N]

Each message goes out byte-exact from its own fresh UDP socket on 127.0.0.1 (or $E2E_LOCAL_IP:
the peers' address of the DPDK runs), and the answer is
read on that same socket: the messages' Via sent-by are addresses like 192.0.2.x, which the
proxy cannot reach, so it answers to the datagram's source address and port (received/rport).
A fresh socket per message keeps a late answer from being taken for the next one's.

 * The invalid requests of RFC 4475 must get their status code (400; badvers 505; mismatch02
   501) within 1 s. Where the top Via cannot be used to answer (malformed, another SIP version,
   or TCP although the request came over UDP), no answer is accepted too, but a wrong code never.
 * The valid requests a proxy answers itself before routing (zeromf, unkscm, novelsc,
   bext01) must get 483 (or 200), 416, 416, 420.
 * The responses (scalarlg, bigcode, noreason, unreason) must get nothing back within 1 s.
 * Beyond RFC 4475: an INVITE with a bare LF in its header block, sent right after a malformed
   response, must get 400 (the parse fails before the start line is read, and what the proxy
   handled before must not decide whether it answers); with --max-size N (the proxy's
   max_message_size), an INVITE of N + 300 bytes must get 513.
 * Last, a well-formed OPTIONS must get any response: the proxy survived all of the above.

The other messages are valid requests a proxy forwards to their Request-URI's host (example.com,
192.0.2.x, ...), which would mean DNS queries and traffic off 127.0.0.0/8, so they are sent only
with --all (for an isolated network namespace). Exit status 0 when every check passes.
Standard library only.
"""
import os
import re
import socket
import sys
import time
import uuid

LOCAL_IP = os.environ.get('E2E_LOCAL_IP', '127.0.0.1')

# Invalid requests (RFC 4475 3.1.2 and insuf, 3.3.15) and the status the proxy answers
# (docs/PARSER.md). mismatch02: RFC 4475 prefers 501 at a proxy, which sipwire answers.
EXPECTED = {name: (400,) for name in (
    'badinv01 clerr ncl scalar02 quotbal ltgtruri lwsruri lwsstart trws escruri regbadct '
    'badaspec baddn badvers mismatch01 mismatch02 multi01 mcl01 insuf').split()}
EXPECTED['badvers'] = (505,)
EXPECTED['mismatch02'] = (501,)
# Valid requests a proxy answers itself before any routing (RFC 3261 16.3): Max-Forwards 0 (483,
# or 200 since it is an OPTIONS), unknown Request-URI scheme (416), Proxy-Require (420).
EXPECTED.update({'zeromf': (483, 200), 'unkscm': (416,), 'novelsc': (416,), 'bext01': (420,)})

# Requests whose top Via gives no usable way back, so silence is acceptable.
NO_ANSWER_OK = {
    'badinv01': 'Via parameters are ";;,;,,"',
    'badvers': 'Via is SIP/7.0/UDP',
    'scalar02': 'Via is TCP, the request came over UDP',
    'trws': 'Via is TCP, the request came over UDP',
    'unkscm': 'Via is TCP, the request came over UDP',
    'novelsc': 'Via is TCP, the request came over UDP',
    'bext01': 'Via is TLS, the request came over UDP',
    # A well-formed request is answered as RFC 3261 18.2.2 says: at the source IP and the
    # sent-by port (5060 here, no rport), not at the sender's ephemeral port. Only malformed
    # requests, whose Via is not trusted, are answered at the source port.
    'zeromf': 'valid: its 483 goes to the Via sent-by port (18.2.2), not this socket',
}

# Responses: a proxy never answers one. scalarlg and bigcode do not parse (dropped, RFC 3261
# 18.1.2 and 7.2); noreason and unreason do, but their top Via is not the proxy's (18.1.2:
# silently discarded).
SILENT = ('scalarlg', 'bigcode', 'noreason', 'unreason')

WAIT_S = 1.0
KEEPALIVES = 3


def status_and_callid(data):
    """(status code, Call-ID) of a SIP response, or (None, None) if it is not one."""
    text = data.decode('latin-1')
    m = re.match(r'SIP/2\.0 (\d{3}) ', text)
    if not m:
        return None, None
    cid = re.search(r'^(?:Call-ID|i)[ \t]*:[ \t]*(\S+)', text, re.I | re.M)
    return int(m.group(1)), cid.group(1) if cid else None


def exchange(proxy, payload, want_final=True):
    """Sends payload from a fresh socket; returns the first final response's status code (or the
    first datagram's, if not want_final), or None when nothing came back within WAIT_S."""
    text = payload.decode('latin-1')
    cid = re.search(r'^(?:Call-ID|i)[ \t]*:[ \t]*(\S+)', text, re.I | re.M)
    cid = cid.group(1) if cid else None
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((LOCAL_IP, 0))
        s.sendto(payload, proxy)
        deadline = time.monotonic() + WAIT_S
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            s.settimeout(left)
            try:
                data, src = s.recvfrom(65536)
            except socket.timeout:
                return None
            if src != proxy:
                continue
            code, rcid = status_and_callid(data)
            if not want_final:
                return code if code is not None else -1
            if code is None or code < 200:
                continue  # 100 Trying from a stateful proxy, or garbage
            if cid is not None and rcid != cid:
                continue  # not the answer to this message
            return code


def options(proxy, port):
    """A well-formed OPTIONS for the proxy itself."""
    cid = uuid.uuid4().hex
    return ('OPTIONS sip:%s:%d SIP/2.0\r\n'
            'Via: SIP/2.0/UDP %s:%d;branch=z9hG4bK%s;rport\r\n'
            'Max-Forwards: 70\r\n'
            'From: <sip:e2e@localhost>;tag=%s\r\n'
            'To: <sip:%s:%d>\r\n'
            'Call-ID: %s\r\n'
            'CSeq: 1 OPTIONS\r\n'
            'Content-Length: 0\r\n\r\n'
            % (proxy[0], proxy[1], LOCAL_IP, port, cid[:16], cid[16:], proxy[0], proxy[1],
               cid)).encode()


def invite(call_id, extra_headers=''):
    """An INVITE to an unreachable domain: Via sent-by 192.0.2.1, so an answer comes back to
    this socket only if the proxy answers at the source (as it does a malformed request)."""
    return ('INVITE sip:bob@example.com SIP/2.0\r\n'
            'Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK%s\r\n'
            'Max-Forwards: 70\r\n'
            'From: <sip:alice@example.com>;tag=%s\r\n'
            'To: <sip:bob@example.com>\r\n'
            'Call-ID: %s\r\n'
            'CSeq: 1 INVITE\r\n'
            '%s'
            'Content-Length: 0\r\n\r\n' % (call_id[:16], call_id[16:24], call_id, extra_headers)
            ).encode()


def beyond_rfc4475(proxy, max_size):
    """The extra checks (see the module's docstring); returns the failures."""
    failures = []
    # A malformed response first (dropped), then the request with a bare LF.
    exchange(proxy, b'SIP/2.0 99999 x\r\n\r\n', want_final=False)
    got = exchange(proxy, invite(uuid.uuid4().hex, 'Subject: bare\nLF\r\n'))
    if got == 400:
        print('ok   bare LF in the header block: 400')
    else:
        failures.append('bare LF in the header block: got %s, want 400' % (got or 'no answer'))
    if max_size:
        cid = uuid.uuid4().hex
        pad = max_size + 300 - len(invite(cid, 'X-Pad: \r\n'))
        big = invite(cid, 'X-Pad: %s\r\n' % ('x' * pad))
        got = exchange(proxy, big)
        if got == 513:
            print('ok   %d-byte INVITE over max_message_size %d: 513' % (len(big), max_size))
        else:
            failures.append('%d-byte INVITE over max_message_size %d: got %s, want 513'
                            % (len(big), max_size, got or 'no answer'))
    # RFC 5626 keepalives over UDP: datagrams of CRLFs alone get no answer (torture_on_wire.sh
    # then finds them counted on the status line, KEEPALIVES of them).
    for payload in (b'\r\n\r\n', b'\r\n', b'\r\n\r\n\r\n\r\n')[:KEEPALIVES]:
        got = exchange(proxy, payload, want_final=False)
        if got is None:
            print('ok   keepalive of %d CRLFs: no answer' % (len(payload) // 2))
        else:
            failures.append('keepalive of %d CRLFs: answered %s, want nothing'
                            % (len(payload) // 2, got))
    return failures


def alive(proxy):
    """True if the proxy answers a well-formed OPTIONS (3 tries, for UDP)."""
    for _ in range(3):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind((LOCAL_IP, 0))
            s.settimeout(WAIT_S)
            msg = options(proxy, s.getsockname()[1])
            s.sendto(msg, proxy)
            cid = re.search(rb'Call-ID: (\S+)', msg).group(1).decode()
            end = time.monotonic() + WAIT_S
            while time.monotonic() < end:
                try:
                    data, src = s.recvfrom(65536)
                except socket.timeout:
                    break
                code, rcid = status_and_callid(data)
                if src == proxy and code is not None and code >= 200 and rcid == cid:
                    print('ok   OPTIONS after the torture: %d' % code)
                    return True
    return False


def main():
    args = [a for a in sys.argv[1:] if a != '--all']
    max_size = 0
    if '--max-size' in args:
        i = args.index('--max-size')
        max_size = int(args[i + 1])
        del args[i:i + 2]
    if len(args) != 3:
        print(__doc__.split('\n\n')[1], file=sys.stderr)
        return 2
    proxy = (args[0], int(args[1]))
    send_all = '--all' in sys.argv
    files = sorted(f for f in os.listdir(args[2]) if f.endswith('.dat'))
    names = {f[:-4] for f in files}
    missing = (set(EXPECTED) | set(SILENT)) - names
    failures = ['missing torture file %s.dat' % n for n in sorted(missing)]
    for f in files:
        name = f[:-4]
        with open(os.path.join(args[2], f), 'rb') as fh:
            payload = fh.read()
        if name in EXPECTED:
            got, want = exchange(proxy, payload), EXPECTED[name]
            if got in want:
                print('ok   %s: %d' % (name, got))
            elif got is None and name in NO_ANSWER_OK:
                print('ok   %s: no answer (allowed: %s)' % (name, NO_ANSWER_OK[name]))
            else:
                failures.append('%s: got %s, want %s' % (name, got or 'no answer',
                                                         ' or '.join(map(str, want))))
        elif name in SILENT:
            got = exchange(proxy, payload, want_final=False)
            if got is None:
                print('ok   %s: response dropped' % name)
            else:
                failures.append('%s: a response must be dropped, got an answer (%s)' % (name, got))
        elif send_all:
            got = exchange(proxy, payload)
            print('sent %s: %s' % (name, got or 'no answer'))
        else:
            print('skip %s: valid, would be routed off-host (--all sends it)' % name)
    failures += beyond_rfc4475(proxy, max_size)
    if not alive(proxy):
        failures.append('no answer to a well-formed OPTIONS after the torture messages')
    for f in failures:
        print('FAIL ' + f)
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
