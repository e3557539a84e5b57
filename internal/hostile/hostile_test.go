package hostile

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestValues checks the promises the encoder tests rely on.
func TestValues(t *testing.T) {
	vs := Values("/tmp/M")
	labels := map[string]bool{}
	var invalid, payloads int
	for _, v := range vs {
		if labels[v.Label] {
			t.Errorf("label %q twice", v.Label)
		}
		labels[v.Label] = true
		if bytes.IndexByte(v.Bytes, 0) >= 0 {
			t.Errorf("%s holds NUL", v.Label)
		}
		if !utf8.Valid(v.Bytes) {
			invalid++
		}
		if bytes.Contains(v.Bytes, []byte("/tmp/M")) {
			payloads++
		}
	}
	for c := 1; c < 0x20; c++ {
		found := false
		for _, v := range vs {
			if len(v.Bytes) == 1 && v.Bytes[0] == byte(c) {
				found = true
			}
		}
		if !found {
			t.Errorf("no value is the control byte %#x alone", c)
		}
	}
	for _, l := range []string{"every-byte-1-255", "64KiB", "64KiB-utf8", "del", "crlf", "trailing-backslash", "rtl-override-u202e"} {
		if !labels[l] {
			t.Errorf("missing %s", l)
		}
	}
	for _, v := range vs {
		switch v.Label {
		case "64KiB", "64KiB-utf8":
			if len(v.Bytes) != 64<<10 || utf8.Valid(v.Bytes) != (v.Label == "64KiB-utf8") {
				t.Errorf("%s: %d bytes, valid UTF-8 %v", v.Label, len(v.Bytes), utf8.Valid(v.Bytes))
			}
		case "every-byte-1-255":
			if len(v.Bytes) != 255 {
				t.Errorf("%s: %d bytes", v.Label, len(v.Bytes))
			}
		}
	}
	if invalid < 10 || payloads < 30 {
		t.Errorf("%d invalid UTF-8 values, %d payloads", invalid, payloads)
	}
}

// TestRandom checks that Random is deterministic and mixes fragments.
func TestRandom(t *testing.T) {
	a, b := Random("M", 42, 100), Random("M", 42, 100)
	c := Random("M", 43, 100)
	same := true
	for i := range a {
		if !bytes.Equal(a[i].Bytes, b[i].Bytes) {
			t.Fatalf("seed 42 gave two different values at %d", i)
		}
		if !bytes.Equal(a[i].Bytes, c[i].Bytes) {
			same = false
		}
		if bytes.IndexByte(a[i].Bytes, 0) >= 0 {
			t.Fatalf("%s holds NUL", a[i].Label)
		}
	}
	if same {
		t.Error("seeds 42 and 43 gave the same values")
	}
	var all strings.Builder
	for _, v := range a {
		all.Write(v.Bytes)
	}
	if !strings.Contains(all.String(), "touch M") {
		t.Error("no payload in 100 random values")
	}
}
