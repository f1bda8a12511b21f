#!/usr/bin/env python3
"""Writes the dataplane_fuzzer's seed corpus (tests/fuzz/corpus/dataplane): records of
kind(1) flags(1) length(2, little endian) bytes, as dataplane_fuzzer.cpp reads them."""
import os
import struct
import sys

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__),
                                                         'corpus', 'dataplane')


def record(kind, flags, data):
    data = data.encode() if isinstance(data, str) else data
    return struct.pack('<BBH', kind, flags, len(data)) + data


SERIAL = [0]


def sip(start, via, extra='', body=''):
    SERIAL[0] += 1
    return ('%s\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bK%d\r\nMax-Forwards: 70\r\n'
            'From: <sip:alice@localhost>;tag=a\r\nTo: <sip:bob@localhost>\r\n'
            'Call-ID: c%d\r\nCSeq: 1 %s\r\n%sContent-Length: %d\r\n\r\n%s'
            % (start, via, SERIAL[0], SERIAL[0], start.split()[0], extra, len(body), body))


V4 = ['10.0.0.%d:5062' % (16 + i) for i in range(4)]
V6 = ['[2001:db8::%x]:5062' % (16 + i) for i in range(4)]
register = ('REGISTER sip:localhost SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bKr1\r\n'
            'Max-Forwards: 70\r\nFrom: <sip:bob@localhost>;tag=r\r\nTo: <sip:bob@localhost>\r\n'
            'Call-ID: reg-bob\r\nCSeq: 1 REGISTER\r\nContact: <sip:bob@%s>\r\nExpires: 3600\r\n'
            'Content-Length: 0\r\n\r\n')
seeds = {
    'options-v4': [record(1, 0, sip('OPTIONS sip:10.0.0.2 SIP/2.0', V4[0]))],
    'options-v6': [record(2, 0, sip('OPTIONS sip:[2001:db8::2] SIP/2.0', V6[0]))],
    'register-then-invite': [
        record(1, 1, register % (V4[1], V4[1])),
        record(1, 0, sip('INVITE sip:bob@localhost SIP/2.0', V4[0], body='v=0\r\n' * 40)),
        record(1, 0, sip('INVITE sip:bob@localhost SIP/2.0', V4[2], body='v=0\r\n' * 300))],
    'register-then-large-invite-v6': [
        record(2, 1, register % (V6[1], V6[1])),
        record(2, 0, sip('INVITE sip:bob@localhost SIP/2.0', V6[0], body='a=x\r\n' * 400))],
    'invite-in-fragments-v4': [
        record(1, 1, register % (V4[1], V4[1])),
        record(3, 0x20, sip('INVITE sip:bob@localhost SIP/2.0', V4[0], body='v=0\r\n' * 200))],
    'invite-in-fragments-v6-reversed': [
        record(4, 0x24, sip('OPTIONS sip:[2001:db8::2] SIP/2.0', V6[0], body='x' * 900))],
    'options-in-fragments-v6': [
        record(4, 0x40, sip('OPTIONS sip:[2001:db8::2] SIP/2.0', V6[0], body='x' * 1500))],
    'fragment-left-out': [
        record(3, 0x80, sip('OPTIONS sip:10.0.0.2 SIP/2.0', V4[2], body='x' * 600))],
    'arp': [record(5, 0, b''), record(5, 4 | 2, b'\x02\x00\x00\x00\x00\x12')],
    'to-unknown-next-hop-then-arp-reply': [
        record(1, 0, register % (V4[0], V4[3])),
        record(1, 0, sip('INVITE sip:bob@localhost SIP/2.0', V4[0])),
        record(5, 4 | 3, b'')],
    'to-unknown-next-hop-v6-then-advertisement': [
        record(2, 0, register % (V6[0], V6[3])),
        record(2, 0, sip('INVITE sip:bob@localhost SIP/2.0', V6[0], body='a=x\r\n' * 400)),
        # next header 58, then an NA: type 136, code 0, checksum, flags S|O, the target
        # (2001:db8::13), and the target link-layer option with its MAC.
        record(7, 3, bytes([58, 136, 0, 0, 0, 0x60, 0, 0, 0]) +
               bytes([0x20, 0x01, 0x0d, 0xb8] + [0] * 11 + [0x13]) +
               bytes([2, 1, 2, 0, 0, 0, 0, 0x13]))],
    'icmp-v4': [record(6, 0, bytes([0x45, 0, 0, 0, 0, 1, 0, 0, 64, 1, 0, 0, 10, 0, 0, 16,
                                    10, 0, 0, 2, 8, 0, 0, 0, 0, 1, 0, 1]))],
    'malformed-sip-chained': [record(1, 4, 'INVITE sip:bob@localhost SIP/2.0\r\nVia: x\r\n\r\n')],
    'checksum-flagged-bad': [record(1, 0x10, sip('OPTIONS sip:10.0.0.2 SIP/2.0', V4[3]))],
    # Both workers (bit 3 of the kind: RX queue 1) answer over IPv4 and IPv6 with responses
    # over the MTU (each copies the long Via), in one drain: each fragmented datagram must carry
    # an identification no other one has.
    'fragments-from-both-workers': [
        record(kind | queue, who, sip('OPTIONS sip:%s SIP/2.0' % host, via + ';x=' + 'v' * 1500))
        for queue in (0, 8) for kind, host, via, who in (
            (1, '10.0.0.2', V4[queue // 8], queue // 8), (2, '[2001:db8::2]', V6[2], 2))],
}
os.makedirs(OUT, exist_ok=True)
for name, records in seeds.items():
    with open(os.path.join(OUT, name), 'wb') as f:
        f.write(b''.join(records))
