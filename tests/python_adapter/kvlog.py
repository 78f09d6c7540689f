#!/usr/bin/python3
"""kvlog: a small key-value engine with its crashlab adapter, in one file.

The database is a directory holding one append-only file, `kvlog`. Each
committed transaction is one record:

    u32 length | u32 crc32 | payload             (little-endian)

where crc32 covers the length field and the payload, and the payload is

    u32 op_count, then per operation
      b"P" u32 key_len key u32 value_len value   (put)
      b"D" u32 key_len key                       (del)

A commit appends its record, fsyncs the file, and only then answers `ok`.
Recovery (in `open`) replays the records in order and stops at the first one
that is incomplete or fails its checksum: that is a torn tail, left by a crash
during an append, and it is cut off. A checkpoint writes the whole state as one
record to `kvlog.tmp`, fsyncs it and renames it over `kvlog`.

It speaks engine protocol v1 (docs/engine-protocol.md) on stdin/stdout and is
the worked example of docs/writing-an-adapter.md. Standard library only. Every
file operation goes through os.open/os.write/os.fsync/..., which call the
dynamic libc, so crashlab's LD_PRELOAD tracer sees them in power-loss runs.

Options plant bugs, for crashlab to catch (see variants.ini):
  --no-commit-sync  acknowledge a commit after write(), without fsync
  --no-dir-sync     never fsync a directory (new files and renames)
"""

import argparse
import os
import signal
import struct
import sys
import zlib

PROTOCOL_VERSION = 1
ENGINE_NAME = b"kvlog"
MAX_KEY_BYTES = 1024
MAX_VALUE_BYTES = 1 << 20
MAX_TXN_OPS = 10000
MAX_LINE_BYTES = 3 * (MAX_KEY_BYTES + MAX_VALUE_BYTES) + 64

LOG_NAME = b"kvlog"
TMP_NAME = b"kvlog.tmp"

# Named fault points, in the fixed order the `points` reply lists them, each
# with what is durable when it fires (correct variant).
POINTS = (
    ("kvlog.append:before", "nothing of this transaction is in the log"),
    ("kvlog.append:after", "the record is written (page cache), not synced, not acknowledged"),
    ("kvlog.sync:after", "the record is durable, not yet acknowledged"),
    ("kvlog.checkpoint:renamed", "the snapshot is renamed over the log; the directory not synced"),
    ("recovery.replay:after", "the log is replayed in memory; its torn tail not yet cut"),
)

# ---------------------------------------------------------------------------
# Protocol encoding (docs/engine-protocol.md, section 2)

_LITERAL = bytes(c for c in range(0x21, 0x7F) if c != 0x25)  # printable, not '%'
_ENCODED = [bytes([c]) if c in _LITERAL else b"%%%02X" % c for c in range(256)]
_HEX_DIGITS = frozenset(b"0123456789abcdefABCDEF")


class Refused(Exception):
    """A request the engine answers with `err <message>`; it stays usable."""


def encode(data):
    """Percent-encodes bytes into one field, exactly as crashlab's encoder does."""
    return b"".join(map(_ENCODED.__getitem__, data))


def decode(field):
    """Decodes one field; accepts %XX for any byte, in either case."""
    stray = field.translate(None, _LITERAL + b"%")
    if stray:
        raise Refused("byte 0x%02X must be percent-encoded" % stray[0])
    head, *escaped = field.split(b"%")
    out = bytearray(head)
    for part in escaped:
        if len(part) < 2 or part[0] not in _HEX_DIGITS or part[1] not in _HEX_DIGITS:
            raise Refused("'%' must be followed by two hex digits")
        out.append(int(part[:2], 16))
        out += part[2:]
    return bytes(out)


# ---------------------------------------------------------------------------
# Named fault points: CRASHLAB_KILL_AT=<point>:<n> kills the process group the
# n-th time <point> fires (what faults/point.h does for C++ engines).


class KillPoints:
    def __init__(self, spec):
        self.target, self.remaining = None, 0
        if not spec:
            return
        name, _, count = spec.rpartition(":")  # point names contain ':' too
        if not name or not (count.isascii() and count.isdigit()) or int(count) < 1:
            sys.stderr.write("kvlog: CRASHLAB_KILL_AT=%r is not <point>:<n> with n >= 1\n" % spec)
            sys.exit(2)
        self.target, self.remaining = name, int(count)

    def hit(self, name):
        if name != self.target:
            return
        self.remaining -= 1
        if self.remaining == 0:
            # The whole group, right here: nothing after this point may run.
            os.killpg(0, signal.SIGKILL)
            os.kill(os.getpid(), signal.SIGKILL)


# ---------------------------------------------------------------------------
# The log format

_HEADER = struct.Struct("<II")  # length, crc32
_U32 = struct.Struct("<I")


def record_bytes(ops):
    """One log record holding `ops`, a list of (key, value); value None = del."""
    parts = [_U32.pack(len(ops))]
    for key, value in ops:
        if value is None:
            parts += [b"D", _U32.pack(len(key)), key]
        else:
            parts += [b"P", _U32.pack(len(key)), key, _U32.pack(len(value)), value]
    payload = b"".join(parts)
    length = _U32.pack(len(payload))
    return _HEADER.pack(len(payload), zlib.crc32(length + payload)) + payload


class CorruptLog(Exception):
    """A record whose checksum holds but whose contents do not parse."""


def parse_payload(payload, offset):
    """The (key, value) operations of a record; raises CorruptLog."""
    try:
        (count,), pos, ops = _U32.unpack_from(payload, 0), 4, []
        for _ in range(count):
            kind = payload[pos : pos + 1]
            key, pos = _field(payload, pos + 1)
            if kind == b"D":
                ops.append((key, None))
            elif kind == b"P":
                value, pos = _field(payload, pos)
                ops.append((key, value))
            else:
                raise CorruptLog("unknown operation kind %r" % kind)
        if pos != len(payload):
            raise CorruptLog("%d trailing bytes" % (len(payload) - pos))
        return ops
    except (struct.error, CorruptLog) as e:
        raise CorruptLog("record at offset %d: checksum holds but contents do not parse (%s)"
                         % (offset, e)) from None


def _field(payload, pos):
    """A u32-length-prefixed byte string at `pos`, and the offset after it."""
    (length,) = _U32.unpack_from(payload, pos)
    end = pos + 4 + length
    if end > len(payload):
        raise CorruptLog("a field runs past the record")
    return payload[pos + 4 : end], end


def scan(data):
    """Replays records from the start of `data`.

    Returns (state, end): the state after every intact record, and the offset
    where the intact records end. Stops at the first incomplete record or bad
    checksum, which is a torn tail; the caller decides what that means.
    """
    state, pos = {}, 0
    while pos + _HEADER.size <= len(data):
        length, crc = _HEADER.unpack_from(data, pos)
        end = pos + _HEADER.size + length
        if length < _U32.size or end > len(data):
            break
        payload = data[pos + _HEADER.size : end]
        if zlib.crc32(data[pos : pos + 4] + payload) != crc:
            break
        for key, value in parse_payload(payload, pos):
            if value is None:
                state.pop(key, None)
            else:
                state[key] = value
        pos = end
    return state, pos


# ---------------------------------------------------------------------------
# File helpers: every call below goes through the dynamic libc.


def write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def read_all(fd):
    size, chunks, offset = os.fstat(fd).st_size, [], 0
    while offset < size:
        chunk = os.pread(fd, size - offset, offset)
        if not chunk:
            break
        chunks.append(chunk)
        offset += len(chunk)
    return b"".join(chunks)


def die(what, error):
    """Exits at once, for a failure after which no answer would be true."""
    sys.stderr.write("kvlog: %s, exiting: %s\n" % (what, error))
    os._exit(1)


def sync_dir(path):
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        # DURABILITY: makes the names in `path` durable; each caller says which
        # name must survive a power loss and why.
        os.fsync(fd)
    finally:
        os.close(fd)


# ---------------------------------------------------------------------------
# The engine


class KvLog:
    def __init__(self, commit_sync, dir_sync, points):
        self.commit_sync, self.dir_sync, self.points = commit_sync, dir_sync, points
        self.dir = None  # bytes path while a database is open
        self.fd = -1  # the log, opened O_RDWR|O_APPEND
        self.state = {}

    def open(self, path):
        if self.dir is not None:
            raise Refused("already open; send close first")
        try:
            os.mkdir(path, 0o755)
            if self.dir_sync:
                # DURABILITY: the parent's entry for the new directory; without
                # it a power loss can drop the whole database directory.
                sync_dir(os.path.dirname(path.rstrip(b"/")) or b".")
        except FileExistsError:
            pass
        log, tmp = os.path.join(path, LOG_NAME), os.path.join(path, TMP_NAME)
        try:
            # A snapshot that a crash left before its rename was never the log.
            # No sync: if a power loss brings it back, the next open removes it.
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        created = not os.path.exists(log)
        fd = os.open(log, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            if created and self.dir_sync:
                # DURABILITY: the directory entry of the new log. fsync of the
                # log itself does not make its name durable (fsync(2)); without
                # this, a power loss can drop the file and every commit in it.
                sync_dir(path)
            data = read_all(fd)
            state, end = scan(data)
            self.points.hit("recovery.replay:after")
            if end < len(data):
                sys.stderr.write("kvlog: cutting a torn tail of %d bytes at offset %d\n"
                                 % (len(data) - end, end))
                os.ftruncate(fd, end)
                # DURABILITY: the cut must be durable before anything is appended
                # at `end`. Intact records may sit past the torn one (appended
                # before it was synced): we discard them. Were the cut to revert,
                # a new record as long as the torn one would put them back in
                # line, and a later recovery would replay what we threw away.
                os.fsync(fd)
        except BaseException:
            os.close(fd)
            raise
        self.dir, self.fd, self.state = path, fd, state

    def commit(self, ops):
        """Appends one record; returns only once the contract holds for it."""
        record = record_bytes(ops)
        try:
            self.points.hit("kvlog.append:before")
            write_all(self.fd, record)
            self.points.hit("kvlog.append:after")
            if self.commit_sync:
                # DURABILITY: the record must be on disk before `ok` goes out;
                # the controller counts `ok` as a promise. Without it a power
                # loss drops acknowledged transactions (the no-fsync variant).
                os.fsync(self.fd)
            self.points.hit("kvlog.sync:after")
        except OSError as e:
            # Part of the record may be in the file: we cannot say the commit
            # failed, so we must not answer `err`. Stop; recovery decides.
            die("commit failed", e)
        for key, value in ops:
            if value is None:
                self.state.pop(key, None)
            else:
                self.state[key] = value

    def checkpoint(self):
        """Compacts the log into one snapshot record."""
        tmp, log = os.path.join(self.dir, TMP_NAME), os.path.join(self.dir, LOG_NAME)
        fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            write_all(fd, record_bytes(list(self.state.items())))
            # DURABILITY: the snapshot's bytes before the rename that makes it
            # the log; otherwise a power loss can keep the rename and lose the
            # bytes, leaving an empty or torn log in place of a good one.
            os.fsync(fd)
        finally:
            os.close(fd)
        # DURABILITY: rename is atomic: the old log or the snapshot, never a mix.
        os.rename(tmp, log)
        try:
            self.points.hit("kvlog.checkpoint:renamed")
            if self.dir_sync:
                # DURABILITY: the rename must be durable before a commit is
                # appended to the new log and acknowledged; a power loss that
                # reverts the rename brings back the old log without that commit.
                sync_dir(self.dir)
            os.close(self.fd)
            self.fd = os.open(log, os.O_RDWR | os.O_APPEND)
        except OSError as e:
            # The rename is done but maybe not durable, and self.fd may name the
            # replaced file: no later commit could be trusted. Stop.
            die("checkpoint failed after its rename", e)

    def check(self):
        """Re-reads the log: every byte must be intact records that replay to
        the state in memory. Returns None when consistent, else a message."""
        data = read_all(self.fd)
        try:
            state, end = scan(data)
        except CorruptLog as e:
            return str(e)
        if end != len(data):
            return "bad record at offset %d of %d bytes" % (end, len(data))
        if state != self.state:
            return "the log replays to %d keys, memory holds %d" % (len(state), len(self.state))
        return None

    def close(self):
        if self.dir is not None:
            os.close(self.fd)
        self.dir, self.fd, self.state = None, -1, {}


# ---------------------------------------------------------------------------
# The protocol loop (docs/engine-protocol.md, section 3)


def read_line(inp):
    """One request line without its newline, or None at end of input. A last
    line without its newline is dropped: the controller died writing it."""
    line = inp.readline()
    return line[:-1] if line.endswith(b"\n") else None


def one_line(text):
    return " ".join(str(text).split())


def parse_op(line):
    f = line.split(b" ")
    if f[0] == b"put" and len(f) == 3:
        key, value = decode(f[1]), decode(f[2])
    elif f[0] == b"del" and len(f) == 2:
        key, value = decode(f[1]), None
    else:
        raise Refused("expected 'put <key> <value>' or 'del <key>'")
    if not 1 <= len(key) <= MAX_KEY_BYTES:
        raise Refused("key must be 1..%d bytes" % MAX_KEY_BYTES)
    if value is not None and len(value) > MAX_VALUE_BYTES:
        raise Refused("value longer than %d bytes" % MAX_VALUE_BYTES)
    return key, value


def txn(engine, count, inp):
    if not (count.isdigit() and 1 <= int(count) <= MAX_TXN_OPS):
        # Do not read on: we cannot know how many lines to skip.
        raise Refused("operation count must be 1..%d" % MAX_TXN_OPS)
    # Read all n lines before judging any, so the next line read is a request.
    lines = []
    for _ in range(int(count)):
        line = read_line(inp)
        if line is None:
            sys.exit(0)  # input ended inside the transaction: commit nothing
        lines.append(line)
    ops = []
    for i, line in enumerate(lines, 1):
        try:
            ops.append(parse_op(line))
        except Refused as e:
            raise Refused("operation %d: %s" % (i, e)) from None
    if engine.dir is None:
        raise Refused("no database open; send open first")
    engine.commit(ops)
    return b"ok"


def handle(engine, line, inp):
    """The reply to one request, without its final newline."""
    if len(line) > MAX_LINE_BYTES:
        raise Refused("line longer than the protocol allows")
    f = line.split(b" ")
    verb, n = f[0], len(f)
    if verb == b"hello" and n == 1:
        caps = b"reopen points"
        return b"ok crashlab-engine %d %s %s" % (PROTOCOL_VERSION, encode(ENGINE_NAME), caps)
    if verb == b"points" and n == 1:
        return b" ".join([b"ok"] + [encode(name.encode()) for name, _ in POINTS])
    if verb == b"txn" and n == 2:
        return txn(engine, f[1], inp)
    if verb == b"open" and n == 2:
        engine.open(decode(f[1]))
        return b"ok"
    if verb == b"close" and n == 1:
        engine.close()
        return b"ok"
    if verb in (b"get", b"dump", b"check", b"checkpoint") and engine.dir is None:
        raise Refused("no database open; send open first")
    if verb == b"get" and n == 2:
        value = engine.state.get(decode(f[1]))
        return b"none" if value is None else b"val " + encode(value)
    if verb == b"dump" and n == 1:
        lines = [b"kv %s %s" % (encode(k), encode(v)) for k, v in engine.state.items()]
        return b"\n".join(lines + [b"end"])
    if verb == b"check" and n == 1:
        problem = engine.check()
        return b"ok" if problem is None else b"err " + one_line(problem).encode()
    if verb == b"checkpoint" and n == 1:
        engine.checkpoint()
        return b"ok"
    raise Refused("unknown request or wrong number of fields")


def main():
    parser = argparse.ArgumentParser(description="kvlog engine for crashlab (protocol v1)")
    parser.add_argument("--no-commit-sync", action="store_true",
                        help="bug: acknowledge commits without fsync")
    parser.add_argument("--no-dir-sync", action="store_true",
                        help="bug: never fsync a directory")
    args = parser.parse_args()
    points = KillPoints(os.environ.get("CRASHLAB_KILL_AT", ""))
    engine = KvLog(not args.no_commit_sync, not args.no_dir_sync, points)
    inp = sys.stdin.buffer
    # Replies go to fd 1 with os.write, unbuffered. Anything else that would
    # print to stdout (a stray print(), a library's chatter) goes to stderr.
    sys.stdout = sys.stderr
    while (line := read_line(inp)) is not None:
        try:
            reply = handle(engine, line, inp)
        except (Refused, CorruptLog) as e:
            reply = b"err " + one_line(e).encode()
        except OSError as e:  # open, check, checkpoint before its rename: no commit in doubt
            reply = b"err " + one_line("%s: %s" % (type(e).__name__, e)).encode()
        try:
            write_all(1, reply + b"\n")
        except BrokenPipeError:
            return 0  # the controller is gone
    return 0


if __name__ == "__main__":
    sys.exit(main())
