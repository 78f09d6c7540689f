// crashlab-engine-bbolt: bbolt (go.etcd.io/bbolt, Debian's
// golang-github-coreos-bbolt-dev) behind crashlab's engine protocol v1
// (docs/engine-protocol.md), on stdin and stdout. Options: --nosync sets
// DB.NoSync; --dirsync makes the adapter fsync the store directory after
// bolt.Open, which bbolt itself never does (variants.ini, default-dirsync).
// A bad option exits with status 2 before any protocol is spoken.
//
// Each reply leaves in one write(2) to fd 1 (os.Stdout is unbuffered), so a
// kill never splits a reply the controller reads, and a tracer sees each
// reply as one event.
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

const usage = `usage: crashlab-engine-bbolt [--nosync] [--dirsync]
Speaks the crashlab engine protocol on stdin/stdout (docs/engine-protocol.md).
--nosync sets bbolt's DB.NoSync: commits skip fdatasync.
--dirsync fsyncs the store directory after bolt.Open, making the name data.db
  durable (not bbolt's behaviour: the adapter's, to show what fixes it).
`

type server struct {
	in    *bufio.Reader
	store store
}

// request handles one request line and returns its whole reply, newline
// included.
func (s *server) request(line string) string {
	if len(line) > maxLineBytes {
		return "err line longer than the protocol allows\n"
	}
	f := strings.Split(line, " ")
	switch {
	case f[0] == "hello" && len(f) == 1:
		return fmt.Sprintf("ok crashlab-engine %d %s reopen\n", protocolVersion, encode([]byte("bbolt")))
	case f[0] == "open" && len(f) == 2:
		return s.open(f[1])
	case f[0] == "txn" && len(f) == 2:
		return s.txn(f[1])
	case f[0] == "get" && len(f) == 2:
		return s.get(f[1])
	case f[0] == "dump" && len(f) == 1:
		return s.dump()
	case f[0] == "check" && len(f) == 1:
		if !s.store.isOpen() {
			return "err no database open; send open first\n"
		}
		return status(s.store.check())
	case f[0] == "checkpoint" && len(f) == 1:
		// bbolt has no checkpoint: a commit writes the file in place (copy on
		// write) and there is no journal to apply. db.Sync is a flush, not a
		// checkpoint: answering with it would make nosync's losses depend on
		// where a workload happens to send checkpoints.
		if !s.store.isOpen() {
			return "err no database open; send open first\n"
		}
		return "unsupported\n"
	case f[0] == "close" && len(f) == 1:
		return status(s.store.close())
	}
	shown := line
	if len(shown) > 80 {
		shown = shown[:80]
	}
	return "err unknown request or wrong number of fields: " + encode([]byte(shown)) + "\n"
}

func status(err error) string {
	if err != nil {
		return "err " + oneLine(err.Error()) + "\n"
	}
	return "ok\n"
}

func (s *server) open(field string) string {
	if s.store.isOpen() {
		return "err already open; send close first\n"
	}
	dir, err := decode(field)
	if err != nil {
		return "err bad directory field: " + err.Error() + "\n"
	}
	return status(s.store.open(string(dir)))
}

// parseOp parses "put <key> <value>" or "del <key>".
func parseOp(line string) (op, error) {
	f := strings.Split(line, " ")
	var o op
	switch {
	case f[0] == "put" && len(f) == 3:
		o.put = true
	case f[0] == "del" && len(f) == 2:
	default:
		return o, fmt.Errorf("expected 'put <key> <value>' or 'del <key>'")
	}
	key, err := decode(f[1])
	if err != nil {
		return o, fmt.Errorf("bad key: %v", err)
	}
	if len(key) == 0 || len(key) > maxKeyBytes {
		return o, fmt.Errorf("key must be 1..%d bytes", maxKeyBytes)
	}
	o.key = key
	if o.put {
		if o.value, err = decode(f[2]); err != nil {
			return o, fmt.Errorf("bad value: %v", err)
		}
		if len(o.value) > maxValueBytes {
			return o, fmt.Errorf("value longer than 1 MiB")
		}
	}
	return o, nil
}

// txn reads all n operation lines, even after a bad one, so that framing
// holds; then commits them, or refuses them all.
func (s *server) txn(countField string) string {
	n, err := strconv.Atoi(countField)
	if err != nil || n < 1 || n > maxTxnOps || strings.TrimLeft(countField, "0123456789") != "" {
		return fmt.Sprintf("err operation count must be 1..%d\n", maxTxnOps)
	}
	ops := make([]op, 0, n)
	var firstErr error
	for i := 1; i <= n; i++ {
		line, err := readLine(s.in)
		if err == io.EOF {
			os.Exit(0) // input ended inside a transaction: nothing to commit
		}
		var o op
		if err == nil {
			o, err = parseOp(line)
		}
		if err != nil && firstErr == nil {
			firstErr = fmt.Errorf("operation %d: %v", i, err)
		}
		ops = append(ops, o)
	}
	if firstErr != nil {
		return "err " + oneLine(firstErr.Error()) + "\n"
	}
	if !s.store.isOpen() {
		return "err no database open; send open first\n"
	}
	return status(s.store.commit(ops))
}

func (s *server) get(field string) string {
	if !s.store.isOpen() {
		return "err no database open; send open first\n"
	}
	key, err := decode(field)
	if err != nil {
		return "err bad key: " + err.Error() + "\n"
	}
	value, found, err := s.store.get(key)
	switch {
	case err != nil:
		return status(err)
	case !found:
		return "none\n"
	}
	return "val " + encode(value) + "\n"
}

// dump builds the whole reply first: an error can then still be the first
// and only line, and the reply leaves in one write.
func (s *server) dump() string {
	if !s.store.isOpen() {
		return "err no database open; send open first\n"
	}
	pairs, err := s.store.dump()
	if err != nil {
		return status(err)
	}
	var out strings.Builder
	for _, p := range pairs {
		out.WriteString("kv " + encode(p.key) + " " + encode(p.value) + "\n")
	}
	out.WriteString("end\n")
	return out.String()
}

func main() {
	var srv server
	for _, arg := range os.Args[1:] {
		switch arg {
		case "--nosync":
			srv.store.noSync = true
		case "--dirsync":
			srv.store.dirSync = true
		case "--help", "-h":
			fmt.Print(usage)
			return
		default:
			fmt.Fprintf(os.Stderr, "crashlab-engine-bbolt: unknown option '%s'; valid options: --nosync, --dirsync\n%s",
				arg, usage)
			os.Exit(2)
		}
	}
	srv.in = bufio.NewReaderSize(os.Stdin, 1<<16)
	for {
		line, err := readLine(srv.in)
		var reply string
		switch {
		case err == io.EOF:
			_ = srv.store.close()
			return
		case err == errLineTooLong:
			reply = "err line longer than the protocol allows\n"
		case err != nil:
			fmt.Fprintf(os.Stderr, "crashlab-engine-bbolt: reading stdin: %v\n", err)
			os.Exit(1)
		default:
			reply = srv.request(line)
		}
		if _, err := os.Stdout.WriteString(reply); err != nil {
			fmt.Fprintf(os.Stderr, "crashlab-engine-bbolt: writing stdout: %v\n", err)
			os.Exit(1)
		}
	}
}
