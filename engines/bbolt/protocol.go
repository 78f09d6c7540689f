// The engine protocol v1 (docs/engine-protocol.md) on the engine's side:
// field encoding, limits and line reading. The C++ definitions are in
// framework/protocol/protocol.h; these follow the document, not that code.
package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Limits of section 2 of docs/engine-protocol.md.
const (
	protocolVersion = 1
	maxKeyBytes     = 1024
	maxValueBytes   = 1 << 20
	maxTxnOps       = 10000
	maxLineBytes    = 3*(maxKeyBytes+maxValueBytes) + 64
)

const hexDigits = "0123456789ABCDEF"

// encode percent-encodes b the way crashlab's own encoder does: bytes
// 0x21..0x7E but '%' stand for themselves, every other byte is %XX in upper
// case, so each byte string has exactly one encoding.
func encode(b []byte) string {
	var out strings.Builder
	out.Grow(len(b))
	for _, c := range b {
		if c >= 0x21 && c <= 0x7E && c != '%' {
			out.WriteByte(c)
		} else {
			out.WriteByte('%')
			out.WriteByte(hexDigits[c>>4])
			out.WriteByte(hexDigits[c&0x0F])
		}
	}
	return out.String()
}

func hexValue(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// decode reverses encode and accepts %XX for any byte, in either case; it
// rejects a literal byte outside 0x21..0x7E, a bare '%' and a '%' without two
// hex digits after it.
func decode(field string) ([]byte, error) {
	out := make([]byte, 0, len(field))
	for i := 0; i < len(field); i++ {
		c := field[i]
		if c == '%' {
			if i+2 >= len(field) {
				return nil, fmt.Errorf("'%%' at byte %d is not followed by two hex digits", i)
			}
			hi, ok1 := hexValue(field[i+1])
			lo, ok2 := hexValue(field[i+2])
			if !ok1 || !ok2 {
				return nil, fmt.Errorf("'%%' at byte %d is not followed by two hex digits", i)
			}
			out = append(out, hi<<4|lo)
			i += 2
			continue
		}
		if c < 0x21 || c > 0x7E {
			return nil, fmt.Errorf("byte 0x%02X at byte %d must be percent-encoded", c, i)
		}
		out = append(out, c)
	}
	return out, nil
}

// errLineTooLong marks a line longer than maxLineBytes, read whole and
// dropped so that the next line is the next request.
var errLineTooLong = errors.New("line longer than the protocol allows")

// readLine returns the next '\n'-terminated line without its newline, and
// io.EOF at the end of input. A last line without its newline is dropped
// (the controller died while writing it, and half a transaction must never
// be committed). Memory stays bounded by maxLineBytes whatever arrives.
func readLine(in *bufio.Reader) (string, error) {
	var line []byte
	tooLong := false
	for {
		chunk, err := in.ReadSlice('\n')
		if !tooLong {
			if len(line)+len(chunk) > maxLineBytes+1 {
				tooLong, line = true, nil
			} else {
				line = append(line, chunk...)
			}
		}
		switch {
		case err == bufio.ErrBufferFull:
			continue
		case err == io.EOF:
			return "", io.EOF
		case err != nil:
			return "", err
		case tooLong:
			return "", errLineTooLong
		}
		return string(line[:len(line)-1]), nil
	}
}

// oneLine keeps a library's message on one line: a newline would break
// the framing of the reply.
func oneLine(message string) string {
	return strings.NewReplacer("\n", " ", "\r", " ").Replace(message)
}
