package main

import (
	"bufio"
	"bytes"
	"io"
	"strings"
	"testing"
)

func TestEncodeEscapesExactlyWhatTheProtocolRequires(t *testing.T) {
	cases := map[string]string{
		"user/1":        "user/1",
		"Ada Lovelace":  "Ada%20Lovelace",
		"100%":          "100%25",
		"line\none":     "line%0Aone",
		"\x00\xff":      "%00%FF",
		"\u00e9t\u00e9": "%C3%A9t%C3%A9",
		"":              "",
		"~!\x7f":        "~!%7F",
	}
	for in, want := range cases {
		if got := encode([]byte(in)); got != want {
			t.Errorf("encode(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDecodeAcceptsAnyHexCaseAndRoundTripsEveryByte(t *testing.T) {
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	got, err := decode(encode(all))
	if err != nil || !bytes.Equal(got, all) {
		t.Fatalf("decode(encode(0..255)) = %q, %v", got, err)
	}
	if got, err := decode("%c3%A9%41"); err != nil || string(got) != "\u00e9A" {
		t.Errorf("decode(%%c3%%A9%%41) = %q, %v", got, err)
	}
}

func TestDecodeRejectsMalformedFields(t *testing.T) {
	for _, field := range []string{"%", "%4", "%G0", "a b", "x\x80", "tab\there", "%4%41"} {
		if got, err := decode(field); err == nil {
			t.Errorf("decode(%q) = %q, want an error", field, got)
		}
	}
}

func TestReadLineDropsAnUnterminatedLastLine(t *testing.T) {
	in := bufio.NewReader(strings.NewReader("txn 1\nput a tru"))
	if line, err := readLine(in); err != nil || line != "txn 1" {
		t.Fatalf("first line = %q, %v", line, err)
	}
	if line, err := readLine(in); err != io.EOF {
		t.Fatalf("unterminated line = %q, %v; want io.EOF", line, err)
	}
}

func TestReadLineRejectsAnOverlongLineAndKeepsFraming(t *testing.T) {
	long := strings.Repeat("x", maxLineBytes+1)
	in := bufio.NewReaderSize(strings.NewReader(long+"\nhello\n"), 4096)
	if _, err := readLine(in); err != errLineTooLong {
		t.Fatalf("overlong line: err = %v, want errLineTooLong", err)
	}
	if line, err := readLine(in); err != nil || line != "hello" {
		t.Fatalf("next line = %q, %v; want hello", line, err)
	}
	exact := strings.Repeat("y", maxLineBytes)
	in = bufio.NewReaderSize(strings.NewReader(exact+"\n"), 4096)
	if line, err := readLine(in); err != nil || len(line) != maxLineBytes {
		t.Fatalf("line at the limit: %d bytes, %v", len(line), err)
	}
}
