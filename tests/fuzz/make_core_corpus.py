#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_core (tests/fuzz/corpus/core/) in its input format.

Bytes 0 and 1 configure the server (CoreFuzz::configure); each step is an op byte (low nibble:
op, high nibble: client 5-tuple 0..5) and the bytes that op reads (fuzz_core.cc). The
relay ports are handed out from a rotating cursor, so the n-th relay opened in an input is
port 50000 + n - 1 while none has closed. Tuples: 0 UDP 192.0.2.10 (alice),
1 UDP 192.0.2.11 (bob), 2 TCP 198.51.100.7 (alice), 3 UDP [2001:db8::10] (alice),
4 TCP [2001:db8::11] (bob), 5 TCP 192.0.2.10 (alice, the same address as 0).
Relays are on 10.0.0.1 / [fd00::1] (peer index 6 with k selects 10.0.0.1:50000+k).

Run from anywhere: python3 tests/fuzz/make_core_corpus.py
"""
import os

# ops
ALLOCATE, REFRESH, PERMISSION, CHANNEL_BIND, SEND, CHANNEL_DATA, BINDING, RAW = 0, 2, 3, 4, 5, 6, 7, 8
RETRANSMIT, PEER, HOSTS, ADVANCE, CLOSE, TICK, ADVANCE_TICK = 9, 10, 11, 12, 13, 14, 15
# credentials: auto (challenge, retry on 438), then the failing modes
AUTO, NO_RETRY, WRONG_PASSWORD, UNKNOWN_USER, UNSIGNED, BAD_NONCE = 0, 3, 4, 5, 6, 7
NO_NONCE, OTHER_NONCE, WRONG_REALM, NO_USERNAME, OTHER_USER, MUTATE = 8, 9, 10, 11, 0x10, 0x20
# peer table indexes (DOC4_C, DOC6_B, RELAY4, RELAY6 and MAPPED_HOST read one more byte:
# the last address byte, or the relay port's offset)
DOC4, DOC4_OTHER_PORT, DOC4_B, DOC4_C, DOC6, DOC6_B, RELAY4, RELAY6 = range(8)
OWN_LISTENER, LOOPBACK, PRIVATE, MULTICAST, MAPPED_HOST, METADATA, MAPPED_DOC, CLIENT = range(8, 16)
# lifetime table indexes (0, 1, 599, 600, 601, 1799, 1800, 1801, 3600, 0xFFFFFFFF)
LT0, LT_MAX32 = 0, 9
# channel number table indexes (0x3FFF, 0x4000, 0x4001, 0x4002, 0x4FFE, 0x4FFF, 0x5000, ...)
CH_BELOW, CH_4000, CH_4001, CH_4002, CH_4FFE, CH_4FFF, CH_5000 = range(7)


def op(kind, tuple_=0):
    return [(tuple_ << 4) | kind]


def allocate(t, flags=0, cred=AUTO, extra=()):
    return op(ALLOCATE, t) + [flags] + list(extra) + [cred]


def permission(t, peers, cred=AUTO):
    out = op(PERMISSION, t) + [len(peers)]
    for p in peers:
        out += p if isinstance(p, list) else [p]
    return out + [cred]


def channel_bind(t, number, peer, cred=AUTO):
    return op(CHANNEL_BIND, t) + [0, number] + (peer if isinstance(peer, list) else [peer]) + [cred]


def send(t, peer, data):
    return op(SEND, t) + (peer if isinstance(peer, list) else [peer]) + [len(data) << 3] + list(data)


def send_df(t, peer, data):
    # DONT-FRAGMENT rides on the length bits: 24 + len (len < 8) (fuzz_core.cc send_indication)
    assert len(data) < 8
    return op(SEND, t) + (peer if isinstance(peer, list) else [peer]) + [(24 + len(data)) << 3] + list(data)


def channel_data(t, number, data, pad=False):
    return op(CHANNEL_DATA, t) + [number, len(data) | (0x20 if pad else 0)] + list(data)


def peer(owner, peer_, data):
    return op(PEER) + [owner] + (peer_ if isinstance(peer_, list) else [peer_]) + [len(data)] + list(data)


def advance(seconds, tick=False):
    return op(ADVANCE_TICK if tick else ADVANCE) + [seconds >> 8, seconds & 0xFF]


SEEDS = {
    "allocate_permission_send": [0, 0] + allocate(0) + permission(0, [DOC4]) + send(0, DOC4, b"ping")
    + peer(0, DOC4_OTHER_PORT, b"pong") + peer(0, DOC4_B, b"nope"),
    "channel_bind_data_tcp": [0, 0] + allocate(2) + channel_bind(2, CH_4000, DOC4_B)
    + channel_data(2, CH_4000, b"hello", pad=True) + peer(2, DOC4_B, b"back")
    + peer(2, DOC4, b"unpermitted"),
    "refresh_zero": [0, 0] + allocate(1) + permission(1, [DOC4, DOC6])
    + op(REFRESH, 1) + [1, LT0, AUTO] + op(TICK) + send(1, DOC4, b"late"),
    "even_port_reserve_claim": [0, 0] + allocate(0, flags=0x0C) + allocate(5, flags=0x10, extra=[0])
    + allocate(1, flags=0x0C) + advance(40, tick=True) + allocate(4, flags=0x10, extra=[1]),
    "tcp_close": [0, 0] + allocate(4) + permission(4, [DOC6]) + op(CLOSE, 4) + send(4, DOC6, b"gone")
    + allocate(5) + op(CLOSE, 5),
    "relay_to_relay": [0, 0] + allocate(0) + allocate(1) + permission(0, [[RELAY4, 1]])
    + permission(1, [[RELAY4, 0]]) + send(0, [RELAY4, 1], b"to-b") + allocate(2)
    + channel_bind(2, CH_4FFF, [RELAY4, 0]) + channel_data(2, CH_4FFF, b"via-channel", pad=True),
    "expiry_and_lifetimes": [0, 0] + allocate(3, flags=0x20, extra=[LT_MAX32]) + permission(3, [DOC6, [DOC6_B, 1]])
    + advance(301) + send(3, DOC6, b"x") + op(REFRESH, 3) + [1, 5, AUTO] + advance(700, tick=True)
    + advance(700, tick=True) + advance(700, tick=True),
    "wrong_credentials": [0, 0] + allocate(0, cred=UNSIGNED) + allocate(0, cred=WRONG_PASSWORD)
    + allocate(0, cred=UNKNOWN_USER) + allocate(0, cred=BAD_NONCE) + allocate(0, cred=NO_NONCE)
    + allocate(0, cred=WRONG_REALM) + allocate(0, cred=NO_USERNAME) + allocate(0, cred=AUTO)
    + permission(0, [DOC4], cred=AUTO | OTHER_USER) + advance(650) + permission(0, [DOC4], cred=NO_RETRY)
    + permission(0, [DOC4], cred=AUTO),
    "quota_and_caps": [0x10, 0] + allocate(0) + allocate(2) + allocate(3) + allocate(5)
    + allocate(1) + allocate(4) + permission(0, [DOC4, DOC4_B, [DOC4_C, 5]]) + permission(0, [CLIENT, MAPPED_DOC])
    + channel_bind(0, CH_4001, DOC4) + channel_bind(0, CH_4002, DOC4_B) + channel_bind(0, CH_4FFE, [DOC4_C, 5])
    + channel_bind(0, CH_5000, DOC4) + channel_bind(0, CH_BELOW, DOC4),
    "refused_peers": [0x08, 0] + allocate(0) + permission(0, [OWN_LISTENER]) + permission(0, [LOOPBACK])
    + permission(0, [PRIVATE, MULTICAST]) + permission(0, [[MAPPED_HOST, 0]]) + permission(0, [METADATA])
    + permission(0, [[RELAY4, 5]]) + send(0, LOOPBACK, b"x"),
    "limiter_binding_retransmit": [0x83, 0] + op(BINDING) + [1] + op(BINDING) + [2] + op(BINDING) + [4]
    + allocate(0) + op(RETRANSMIT) + op(RAW) + [1, 4, 0x00, 0x01, 1, 2, 3, 4] + op(RAW) + [0, 3, 1, 2, 3],
    "large_caps_indexes": [0, 0x01] + allocate(0) + permission(0, [[DOC4_C, 1], [DOC4_C, 2], [DOC4_C, 3]])
    + permission(0, [[DOC4_C, 4], [DOC4_C, 5], [DOC4_C, 6]]) + permission(0, [[DOC4_C, 7], [DOC4_C, 8], DOC4])
    + permission(0, [DOC4_B, [DOC4_C, 9]]) + send(0, [DOC4_C, 5], b"indexed") + peer(0, [DOC4_C, 8], b"back")
    + channel_bind(0, CH_4000, DOC4) + channel_bind(0, CH_4001, [DOC4_C, 1]) + channel_bind(0, CH_4002, [DOC4_C, 2])
    + channel_data(0, CH_4001, b"c1") + advance(301) + peer(0, DOC4, b"expired"),
    "bandwidth_limits": [0, 0x06] + allocate(0) + allocate(1) + permission(0, [DOC4]) + permission(1, [DOC4])
    + send(0, DOC4, b"0123456789abcdefghijklm") * 4 + send(1, DOC4, b"0123456789abcdefghijklm") * 4
    + peer(0, DOC4, b"0123456789abcdefghijklm") * 4 + advance(2) + send(0, DOC4, b"again"),
    # Found by fuzz_core: an Allocate whose magic cookie is damaged (an RFC 3489 request) is
    # challenged with an RFC 5389-form 401 carrying the id's last 12 bytes.
    "rfc3489_request_gets_rfc5389_challenge": [0, 0] + allocate(0, cred=UNSIGNED | MUTATE, extra=()) + [4, 1],
    # An interface address appears: what was granted to it must stop at once.
    "host_address_change": [0, 0] + allocate(0) + permission(0, [DOC4, DOC4_B]) + channel_bind(0, CH_4000, DOC4_B)
    + op(HOSTS) + [0x05] + send(0, DOC4, b"to-new-host") + channel_data(0, CH_4000, b"cd")
    + peer(0, DOC4, b"from-new-host") + op(HOSTS) + [0] + send(0, DOC4, b"again") + permission(0, [DOC4])
    + send(0, DOC4, b"regranted"),
    "per_ip_quota": [0, 0x08] + allocate(0) + allocate(5) + op(REFRESH, 0) + [1, LT0, AUTO] + allocate(5),
    # RFC 6062 with no TCP relay network: a TCP allocation is 442; Connect (CreatePermission's
    # bit 6) on a UDP allocation and ConnectionBind (ChannelBind's bit 6) on a TCP 5-tuple fail.
    "rfc6062_requests_fail": [0, 0] + allocate(2, flags=0x02) + allocate(0)
    + op(PERMISSION, 0) + [0x41, DOC4, AUTO] + op(PERMISSION, 2) + [0x41, DOC4, AUTO]
    + op(CHANNEL_BIND, 4) + [0x40, 0, 0, 0x10, 0x01, AUTO]
    + op(CHANNEL_BIND, 2) + [0x41, 0, 0, 0, 0, UNSIGNED],
    # RFC 6062 with the TCP relay network (byte 1 bit 7): a TCP allocation on tuple 2, a
    # Connect whose connection succeeds (a peer step with bit 6: event 0), its ConnectionBind on
    # tuple 5; an inbound peer with a permission (event 2), bob's ConnectionBind for it (441),
    # alice's; a connection closes (event 3), a Connect fails (event 1: 447); the allocation ends.
    "rfc6062_tcp_relays": [0, 0x80] + allocate(2, flags=0x02) + permission(2, [DOC4])
    + op(PERMISSION, 2) + [0x41, DOC4_B, AUTO] + op(PEER) + [0x44, 0, 0]
    + op(CHANNEL_BIND, 5) + [0x40, 0, 0, 0, 1, AUTO]
    + op(PEER) + [0x44, 2, 0, DOC4] + op(CHANNEL_BIND, 4) + [0x40, 0, 0, 0, 2, AUTO]
    + op(CHANNEL_BIND, 5) + [0x40, 0, 0, 0, 2, AUTO]
    + op(PEER) + [0x44, 3, 0] + op(PERMISSION, 2) + [0x41, DOC4_C, 9, AUTO] + op(PEER) + [0x44, 1, 0]
    + op(REFRESH, 2) + [1, LT0, AUTO],
    # RFC 8656 §7.2 dual allocation (ADDITIONAL-ADDRESS-FAMILY IPv6, with DONT-FRAGMENT): data
    # both ways on both relays, the IPv6 family refreshed alone (§8.1) so that the IPv4 one
    # lapses first, then a Refresh naming the family that is gone (443) and the deletion.
    "dual_stack": [0x08, 0] + allocate(0, flags=0x80, extra=[0x07]) + permission(0, [DOC4, DOC6])
    + send(0, DOC4, b"v4") + send_df(0, DOC4, b"df4") + send(0, DOC6, b"v6") + peer(0x40, DOC6, b"back6")
    + peer(0, DOC4, b"back4") + op(REFRESH, 0) + [3, 8, 1, AUTO] + advance(601, tick=True)
    + send(0, DOC4, b"late4") + permission(0, [DOC6]) + send(0, DOC6, b"v6-only")
    + peer(0, DOC6, b"back6") + op(REFRESH, 0) + [3, LT0, 0, AUTO] + op(REFRESH, 0) + [1, LT0, AUTO]
    + allocate(2, flags=0x80, extra=[0x06]) + allocate(1, flags=0x80, extra=[0x06])
    + allocate(4, flags=0x80, extra=[0x06]) + op(REFRESH, 2) + [3, LT0, 0, AUTO]
    + permission(2, [DOC6]) + send_df(2, DOC6, b"tcp-df"),
    # Without relay-ip, both host addresses listening, default family IPv6: an IPv6 client's
    # IPv4 relay, an IPv4 client's dual allocation, the default family, one family deleted.
    "dual_stack_listening": [0, 0x30] + allocate(3, flags=0x40, extra=[0]) + allocate(0, flags=0x80, extra=[0x06])
    + allocate(1) + op(REFRESH, 0) + [3, LT0, 0, AUTO] + permission(0, [DOC6]) + peer(0, DOC6, b"v6")
    + advance(700, tick=True),
    # RFC 8016 (extras bit 6: an empty MOBILITY-TICKET): a UDP Allocate gets a ticket, a TCP
    # one 405; a Refresh on the allocation asks for a fresh ticket; from a 5-tuple without an
    # allocation an empty ticket names nothing (400); the deletion carries none.
    "mobility_tickets": [0, 0] + allocate(0, flags=0x80, extra=[0x40]) + allocate(2, flags=0x80, extra=[0x40])
    + permission(0, [DOC4]) + op(REFRESH, 0) + [0x81, 3, 0x40, AUTO] + op(REFRESH, 1) + [0x80, 0x40, AUTO]
    + send(0, DOC4, b"still") + peer(0, DOC4, b"back") + op(REFRESH, 0) + [0x81, LT0, 0x40, AUTO],
}


def main():
    out_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "core")
    os.makedirs(out_dir, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(out_dir, name), "wb") as f:
            f.write(bytes(data))


if __name__ == "__main__":
    main()
