#!/usr/bin/env python3
"""A UAC that answers digest challenges (RFC 3261 22.2, RFC 7616 and RFC 8760: SHA-256 and MD5).

usage: digest_uac.py register PROXY_HOST PROXY_PORT LOCAL_PORT DOMAIN USER PASSWORD [options]
       digest_uac.py invite   PROXY_HOST PROXY_PORT LOCAL_PORT DOMAIN USER PASSWORD TARGET [options]
options: --algorithm first|SHA-256|MD5   which challenge to answer (default first: the first
                                         offered, as an RFC 8760 client does)
         --expect CODE                   the final response wanted for the request with
                                         credentials (default 200)

sipp 3.6 (Debian's) cannot be used for this: its [authentication] answers only MD5 challenges and
takes the first challenge header, while sipwire offers SHA-256 first and MD5 second
("createAuthHeader: authentication must use MD5 or AKAv1-MD5"); SHA-256 came to sipp later
(SIPp/sipp#676).

From 127.0.0.1:LOCAL_PORT, to the proxy at PROXY_HOST:PROXY_PORT:
  register: REGISTER sip:DOMAIN for sip:USER@DOMAIN (Contact sip:USER@127.0.0.1:LOCAL_PORT,
            Expires 600); expects 401 with WWW-Authenticate; sends it again (same Call-ID, next
            CSeq) with Authorization; expects CODE.
  invite:   INVITE sip:TARGET@DOMAIN from sip:USER@DOMAIN; expects 407 with Proxy-Authenticate
            and ACKs it; sends it again with Proxy-Authorization; expects CODE. A 2xx is ACKed and
            the call ended with a BYE, both to the 2xx's Contact with its Record-Route as Route,
            sent to the proxy (a dialog's requests, RFC 3261 12.2); the BYE must get 200.
Requests are retransmitted every 500 ms until a response arrives (4 s at most). Every message is
printed as "sent <first line>" or "received <first line>". Exit status 0 when every expectation
held within 20 s, 1 otherwise (the reason on stderr). Standard library only.
"""
import hashlib
import re
import socket
import sys
import time
import uuid

DEADLINE_S = 20.0
PARAM = re.compile(r'([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))')


class Failure(Exception):
    pass


def headers(msg, name):
    """Every value of header NAME (compact forms not needed: sipwire writes full names)."""
    out = []
    for line in msg.split('\r\n')[1:]:
        if not line:
            break
        k, _, v = line.partition(':')
        if k.strip().lower() == name.lower():
            out.append(v.strip())
    return out


def status(msg):
    first = msg.split('\r\n', 1)[0]
    return int(first.split()[1]) if first.startswith('SIP/2.0 ') else 0


def challenge(msg, header_name, algorithm):
    """The parameters of the chosen Digest challenge of header NAME."""
    offered = []
    for value in headers(msg, header_name):
        scheme, _, rest = value.partition(' ')
        if scheme.lower() != 'digest':
            continue
        params = {m.group(1).lower(): m.group(2) if m.group(2) is not None else m.group(3)
                  for m in PARAM.finditer(rest)}
        params.setdefault('algorithm', 'MD5')
        offered.append(params)
    if not offered:
        raise Failure(f'no Digest challenge in {header_name}')
    if algorithm == 'first':
        return offered[0]
    for params in offered:
        if params['algorithm'].upper() == algorithm.upper():
            return params
    raise Failure(f'no {algorithm} challenge among {[p["algorithm"] for p in offered]}')


def credentials(params, user, password, method, uri):
    algorithm = params['algorithm']
    h = {'MD5': hashlib.md5, 'SHA-256': hashlib.sha256}.get(algorithm.upper())
    if h is None:
        raise Failure(f'unsupported algorithm {algorithm}')

    def hx(text):
        return h(text.encode()).hexdigest()

    ha1 = hx(f'{user}:{params["realm"]}:{password}')
    ha2 = hx(f'{method}:{uri}')
    nonce = params['nonce']
    out = (f'Digest username="{user}", realm="{params["realm"]}", nonce="{nonce}", '
           f'uri="{uri}", algorithm={algorithm}')
    if 'qop' in params:
        cnonce = uuid.uuid4().hex[:16]
        response = hx(f'{ha1}:{nonce}:00000001:{cnonce}:auth:{ha2}')
        out += f', qop=auth, nc=00000001, cnonce="{cnonce}", response="{response}"'
    else:
        out += f', response="{hx(f"{ha1}:{nonce}:{ha2}")}"'
    if 'opaque' in params:
        out += f', opaque="{params["opaque"]}"'
    return out


class Uac:
    def __init__(self, host, port, local_port):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(('127.0.0.1', local_port))
        self.peer = (host, port)
        self.me = f'127.0.0.1:{local_port}'
        self.end = time.time() + DEADLINE_S

    def send(self, msg):
        print('sent', msg.split('\r\n', 1)[0], flush=True)
        self.sock.sendto(msg.encode(), self.peer)

    def recv(self, timeout):
        self.sock.settimeout(max(0.01, min(timeout, self.end - time.time())))
        try:
            data = self.sock.recv(65535).decode(errors='replace')
        except socket.timeout:
            return None
        print('received', data.split('\r\n', 1)[0], flush=True)
        return data

    def final(self, msg, cseq):
        """Sends MSG (retransmitted until a response arrives) and returns its final response;
        another request (an unexpected one) or a response to another CSeq is ignored."""
        self.send(msg)
        last_send, answered = time.time(), False
        while time.time() < self.end:
            if not answered and time.time() - last_send > 0.5:
                if time.time() - last_send > 4.0:
                    break
                self.send(msg)
                last_send = time.time()
            data = self.recv(0.1)
            if data is None or status(data) == 0:
                continue
            if headers(data, 'CSeq')[:1] != [cseq]:
                continue
            answered = True
            if status(data) >= 200:
                return data
        raise Failure(f'no final response to CSeq {cseq}')


def request(method, ruri, uac, from_, to, call_id, cseq, branch, extra=''):
    return (f'{method} {ruri} SIP/2.0\r\n'
            f'Via: SIP/2.0/UDP {uac.me};branch=z9hG4bK-{branch}\r\n'
            f'{extra}'
            f'From: {from_}\r\nTo: {to}\r\nCall-ID: {call_id}\r\nCSeq: {cseq} {method}\r\n'
            f'Max-Forwards: 70\r\nUser-Agent: sipwire-e2e-digest\r\nContent-Length: 0\r\n\r\n')


def to_with_tag(response):
    return headers(response, 'To')[0]


def main(argv):
    args, opts = [], {'--algorithm': 'first', '--expect': '200'}
    it = iter(argv[1:])
    for a in it:
        if a in opts:
            opts[a] = next(it)
        else:
            args.append(a)
    kind, host, port, local_port, domain, user, password = args[:7]
    uac = Uac(host, int(port), int(local_port))
    expect = int(opts['--expect'])
    call_id = f'{uuid.uuid4().hex}@127.0.0.1'
    from_ = f'<sip:{user}@{domain}>;tag={uuid.uuid4().hex[:10]}'
    contact = f'Contact: <sip:{user}@{uac.me}>\r\n'
    if kind == 'register':
        ruri, to = f'sip:{domain}', f'<sip:{user}@{domain}>'
        extra = contact + 'Expires: 600\r\n'
        r = uac.final(request('REGISTER', ruri, uac, from_, to, call_id, 1, 'r1', extra),
                      '1 REGISTER')
        if status(r) != 401:
            raise Failure(f'REGISTER without credentials got {status(r)}, want 401')
        auth = credentials(challenge(r, 'WWW-Authenticate', opts['--algorithm']), user, password,
                           'REGISTER', ruri)
        r = uac.final(request('REGISTER', ruri, uac, from_, to, call_id, 2, 'r2',
                              extra + f'Authorization: {auth}\r\n'), '2 REGISTER')
        if status(r) != expect:
            raise Failure(f'REGISTER with credentials got {status(r)}, want {expect}')
        return 0
    if kind != 'invite':
        raise Failure(f'unknown kind {kind}')
    target = args[7]
    ruri, to = f'sip:{target}@{domain}', f'<sip:{target}@{domain}>'
    r = uac.final(request('INVITE', ruri, uac, from_, to, call_id, 1, 'i1', contact),
                  '1 INVITE')
    if status(r) != 407:
        raise Failure(f'INVITE without credentials got {status(r)}, want 407')
    # ACK of a non-2xx: the INVITE's branch and Request-URI (RFC 3261 17.1.1.3).
    uac.send(request('ACK', ruri, uac, from_, to_with_tag(r), call_id, 1, 'i1'))
    auth = credentials(challenge(r, 'Proxy-Authenticate', opts['--algorithm']), user, password,
                       'INVITE', ruri)
    r = uac.final(request('INVITE', ruri, uac, from_, to, call_id, 2, 'i2',
                          contact + f'Proxy-Authorization: {auth}\r\n'), '2 INVITE')
    if status(r) != expect:
        raise Failure(f'INVITE with credentials got {status(r)}, want {expect}')
    if status(r) >= 300:
        uac.send(request('ACK', ruri, uac, from_, to_with_tag(r), call_id, 2, 'i2'))
        return 0
    if status(r) >= 200:
        remote = re.search(r'<([^>]*)>', headers(r, 'Contact')[0]).group(1)
        rr = [v.strip() for value in headers(r, 'Record-Route') for v in value.split(',')]
        route = f'Route: {", ".join(rr)}\r\n' if rr else ''
        to_tag = to_with_tag(r)
        uac.send(request('ACK', remote, uac, from_, to_tag, call_id, 2, 'a2', route))
        r = uac.final(request('BYE', remote, uac, from_, to_tag, call_id, 3, 'b3', route), '3 BYE')
        if status(r) != 200:
            raise Failure(f'BYE got {status(r)}, want 200')
    return 0


if __name__ == '__main__':
    try:
        sys.exit(main(sys.argv))
    except Failure as e:
        print(f'digest_uac: {e}', file=sys.stderr)
        sys.exit(1)
