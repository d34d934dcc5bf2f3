#!/usr/bin/env python3
"""Writes the seed corpus in corpus/<target>/: every client message kind of docs/protocol.md (valid and
broken), and valid, expired, forged and malformed invitations and resume tokens signed with the secret the
targets use. Run from anywhere; it replaces the seeds it writes (it never deletes other files)."""

import base64, hashlib, hmac, json, os

HERE = os.path.dirname(os.path.abspath(__file__))
SECRET = b"ruang fuzz secret"
NOW = 1_800_000_000


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def write(target, name, data):
    folder = os.path.join(HERE, "corpus", target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def compact(value):
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


TO = "3f9a0c41d2b7e815"
SDP = "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n"
CANDIDATE = "candidate:842163049 1 udp 1677729535 192.0.2.7 46154 typ srflx raddr 10.0.0.5 rport 46154"
FRAMES = {
    "join": {"type": "join", "v": 1, "room": "standup", "name": "Ayu",
             "media": {"audio": True, "video": True, "screen": False}, "req": 1},
    "join_minimal": {"type": "join", "room": "standup", "name": "Ayu"},
    "join_password": {"type": "join", "room": "board", "name": "Budi", "password": "hunter2", "req": 2},
    "join_invite": {"type": "join", "room": "board", "name": "Citra", "invite": "eyJhbGciOiJIUzI1NiJ9.e30.c2ln"},
    "join_bad_version": {"type": "join", "v": 2, "room": "standup", "name": "Ayu"},
    "join_bad_room": {"type": "join", "room": "no spaces/slashes", "name": "Ayu"},
    "join_bad_name": {"type": "join", "room": "standup", "name": " \u0007 "},
    "resume": {"type": "resume", "v": 1, "token": "eyJ2IjoxLC.Zx4", "last_n": 41,
               "media": {"audio": True, "video": True, "screen": False}, "req": 1},
    "resume_missing_last_n": {"type": "resume", "token": "x"},
    "signal_offer": {"type": "signal", "to": TO, "data": {"kind": "offer", "sdp": SDP}, "req": 7},
    "signal_answer": {"type": "signal", "to": TO, "data": {"kind": "answer", "sdp": SDP}},
    "signal_candidate": {"type": "signal", "to": TO, "data": {"kind": "candidate", "candidate": {
        "candidate": CANDIDATE, "sdpMid": "0", "sdpMLineIndex": 0, "usernameFragment": "EsIF"}}},
    "signal_end_of_candidates": {"type": "signal", "to": TO, "data": {"kind": "candidate", "candidate": {
        "candidate": "", "sdpMid": None, "sdpMLineIndex": None, "usernameFragment": None}}},
    "signal_reset": {"type": "signal", "to": TO, "data": {"kind": "reset"}},
    "signal_reset_with_sdp": {"type": "signal", "to": TO, "data": {"kind": "reset", "sdp": "x"}},
    "signal_null_sdp": {"type": "signal", "to": TO, "data": {"kind": "offer", "sdp": None}},
    "signal_bad_to": {"type": "signal", "to": "FF", "data": {"kind": "reset"}},
    "media": {"type": "media", "audio": False, "video": True, "screen": False},
    "chat": {"type": "chat", "text": "hello <b>world</b>"},
    "chat_blank": {"type": "chat", "text": " \n "},
    "hand": {"type": "hand", "raised": True},
    "moderate_remove": {"type": "moderate", "action": "remove", "target": "c0ffee0000000001", "req": 5},
    "moderate_set_role": {"type": "moderate", "action": "set_role", "target": "c0ffee0000000001",
                          "role": "moderator"},
    "moderate_lock": {"type": "moderate", "action": "lock"},
    "moderate_lock_with_target": {"type": "moderate", "action": "lock", "target": "c0ffee0000000001"},
    "join_modes_sfu": {"type": "join", "room": "standup", "name": "Ayu", "modes": ["mesh", "sfu"], "req": 1},
    "join_modes_bad": {"type": "join", "room": "standup", "name": "Ayu", "modes": ["mesh", "mesh"]},
    "layers": {"type": "layers", "layers": [{"rid": "l", "height": 180, "bitrate": 150000},
                                            {"rid": "m", "height": 360, "bitrate": 500000},
                                            {"rid": "h", "height": 720, "bitrate": 1500000}], "req": 9},
    "layers_bad_rid": {"type": "layers", "layers": [{"rid": "l-1", "height": 180, "bitrate": 150000}]},
    "tiles": {"type": "tiles", "tiles": [{"id": TO, "height": 240}, {"id": "c0ffee0000000001", "height": 0}]},
    "pin": {"type": "pin", "id": TO},
    "unpin": {"type": "pin", "id": None},
    "leave": {"type": "leave"},
    "ping": {"type": "ping", "req": 42, "ack": 17},
    "unknown_type": {"type": "dance"},
    "unknown_field": {"type": "ping", "extra": 1},
}
RAW_FRAMES = {
    "signal_fields_reordered": '{"to":"%s","data":{"sdp":"v=0","kind":"answer"},"type":"signal","req":3}' % TO,
    "signal_duplicate_sdp": '{"type":"signal","to":"%s","data":{"kind":"offer","sdp":"a","sdp":"b"}}' % TO,
    "signal_duplicate_type": '{"type":"signal","type":"signal","to":"%s","data":{"kind":"reset"}}' % TO,
    "signal_escaped_keys": '{"\\u0074ype":"signal","to":"%s","data":{"kind":"reset"}}' % TO,
    "not_json": '{"type":"join",',
    "array": '[{"type":"leave"}]',
    "whitespace": ' \t\n{"type":"leave"}',
    "big_numbers": '{"type":"ping","req":4294967296,"ack":18446744073709551616}',
}


def signal_parse():
    for name, value in FRAMES.items():
        write("signal_parse", name, compact(value))
    for name, text in RAW_FRAMES.items():
        write("signal_parse", name, text)


def jwt_signed_part(header, claims):
    return b64(compact(header).encode()) + "." + b64(compact(claims).encode())


def hs256(secret, signed):
    return b64(hmac.new(secret, signed.encode(), hashlib.sha256).digest())


def invite_token():
    header = {"alg": "HS256", "typ": "JWT"}
    claims = {"room": "standup", "role": "host", "name": "Ayu", "exp": NOW + 3600, "jti": "c2VlZCBqdGkx"}
    signed = jwt_signed_part(header, claims)
    valid = signed + "." + hs256(SECRET, signed)
    expired_part = jwt_signed_part(header, dict(claims, exp=NOW - 1))
    none_part = jwt_signed_part({"alg": "none"}, claims)
    seeds = {
        "valid": (0, valid),
        "expired": (0, expired_part + "." + hs256(SECRET, expired_part)),
        "other_secret": (0, signed + "." + hs256(b"another secret", signed)),
        "alg_none": (0, none_part + "."),
        "two_parts": (0, signed),
        "four_parts": (0, valid + ".x"),
        "bad_base64": (0, "!!." + signed),
        "empty": (0, ""),
        "signed_valid": (1, signed),
        "signed_minimal": (1, jwt_signed_part({"alg": "HS256"}, {"room": "r", "exp": NOW + 1})),
        "signed_expired": (1, expired_part),
        "signed_alg_none": (1, none_part),
        "signed_bad_room": (1, jwt_signed_part(header, dict(claims, room="no room"))),
        "signed_not_json": (1, b64(b"{") + "." + b64(b"[]")),
        "claims_valid": (2, compact(claims)),
        "claims_participant": (2, compact({"room": "standup", "role": "participant", "exp": NOW + 60})),
        "claims_bad_role": (2, compact(dict(claims, role="admin"))),
        "claims_no_exp": (2, compact({"room": "standup"})),
        "claims_negative_exp": (2, '{"room":"standup","exp":-1}'),
    }
    for name, (mode, text) in seeds.items():
        write("invite_token", name, bytes([mode]) + text.encode())


def resume_token():
    key = hmac.new(SECRET, b"ruang resume token v1", hashlib.sha256).digest()
    claims = {"v": 1, "s": "00000000000000ff", "r": "standup", "i": "3f9a0c41d2b7e815", "n": "Ayu \"<b>\"",
              "g": 3, "e": NOW + 90}
    body = b64(compact(claims).encode())
    valid = body + "." + hs256(key, body)
    expired = b64(compact(dict(claims, e=NOW)).encode())
    seeds = {
        "valid": (0, valid),
        "expired": (0, expired + "." + hs256(key, expired)),
        "other_secret": (0, body + "." + hs256(b"another secret", body)),
        "no_signature": (0, body),
        "bad_base64": (0, body + ".!!"),
        "empty": (0, ""),
        "body_valid": (1, body),
        "body_expired": (1, expired),
        "body_not_base64": (1, "{}"),
        "claims_valid": (2, compact(claims)),
        "claims_other_version": (2, compact(dict(claims, v=2))),
        "claims_bad_instance": (2, compact(dict(claims, s="not hex"))),
        "claims_bad_room": (2, compact(dict(claims, r=""))),
        "claims_bad_id": (2, compact(dict(claims, i="FF"))),
        "claims_extra_field": (2, compact(dict(claims, x=1))),
        "claims_missing_field": (2, compact({k: v for k, v in claims.items() if k != "g"})),
        "claims_host": (2, compact(dict(claims, o="host"))),
        "claims_viewer": (2, compact(dict(claims, o="viewer"))),
        "claims_speaks_sfu": (2, compact(dict(claims, m=True))),
        "claims_sfu_not_bool": (2, compact(dict(claims, m="yes"))),
        "claims_bad_role": (2, compact(dict(claims, o="admin"))),
    }
    for name, (mode, text) in seeds.items():
        write("resume_token", name, bytes([mode]) + text.encode())


if __name__ == "__main__":
    signal_parse()
    invite_token()
    resume_token()
