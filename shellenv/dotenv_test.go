package shellenv

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"unicode/utf8"

	"github.com/kage-cli/kage/internal/hostile"
)

// parseDotenv is a strict reader of the format documented on dotenv: the
// reference `kage secret import` must agree with. It refuses anything the
// writer never produces, so the tests also catch a writer that drifts from
// its documented format.
func parseDotenv(b []byte) ([]Var, error) {
	if !utf8.Valid(b) {
		return nil, errors.New("file is not valid UTF-8")
	}
	var out []Var
	for len(b) > 0 {
		nl := bytes.IndexByte(b, '\n')
		if nl < 0 {
			return nil, errors.New("last line has no newline")
		}
		line := b[:nl]
		b = b[nl+1:]
		name, rest, ok := bytes.Cut(line, []byte("="))
		if !ok || !ValidName(string(name)) {
			return nil, fmt.Errorf("bad name in %q", line)
		}
		if len(rest) < 2 || rest[0] != '"' || rest[len(rest)-1] != '"' {
			return nil, fmt.Errorf("%s: value is not double-quoted", name)
		}
		body := rest[1 : len(rest)-1]
		v := []byte{}
		for i := 0; i < len(body); i++ {
			c := body[i]
			switch {
			case c == '\\':
				i++
				if i >= len(body) {
					return nil, fmt.Errorf("%s: backslash at the end", name)
				}
				switch e := body[i]; e {
				case '\\', '"', '$', '`':
					v = append(v, e)
				case 'n':
					v = append(v, '\n')
				case 'r':
					v = append(v, '\r')
				case 't':
					v = append(v, '\t')
				case 'x':
					if i+2 >= len(body) {
						return nil, fmt.Errorf("%s: short \\x escape", name)
					}
					h, ok1 := lowerHex(body[i+1])
					l, ok2 := lowerHex(body[i+2])
					if !ok1 || !ok2 || h<<4|l == 0 {
						return nil, fmt.Errorf("%s: bad \\x escape", name)
					}
					v = append(v, h<<4|l)
					i += 2
				default:
					return nil, fmt.Errorf("%s: unknown escape \\%c", name, e)
				}
			case c == '"' || c == '$' || c == '`':
				return nil, fmt.Errorf("%s: unescaped %c", name, c)
			case c < 0x20 || c == 0x7f:
				return nil, fmt.Errorf("%s: raw control byte %#x", name, c)
			default:
				v = append(v, c)
			}
		}
		out = append(out, Var{Name: string(name), Value: v})
	}
	return out, nil
}

func lowerHex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

// checkDotenv renders vars as dotenv and reads them back.
func checkDotenv(t *testing.T, vars []Var) {
	t.Helper()
	d, _ := Get("dotenv")
	out, err := d.Render(Plan{Set: vars})
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(out, []byte("\n")); n != len(vars) {
		t.Fatalf("%d lines for %d variables:\n%q", n, len(vars), out)
	}
	got, err := parseDotenv(out)
	if err != nil {
		t.Fatalf("reading back: %v\n%q", err, out)
	}
	if len(got) != len(vars) {
		t.Fatalf("read back %d variables, wrote %d", len(got), len(vars))
	}
	for i := range vars {
		if got[i].Name != vars[i].Name || !bytes.Equal(got[i].Value, vars[i].Value) {
			t.Errorf("%s: read back %s=%s, wrote %s", vars[i].Name, got[i].Name, show(got[i].Value), show(vars[i].Value))
		}
	}
}

// TestDotenvRoundTrip writes every hostile value and every byte 1–255 and
// reads them back with the reference parser.
func TestDotenvRoundTrip(t *testing.T) {
	var vars []Var
	for i, v := range append(hostile.Values("m"), hostile.Random("m", 5, 300)...) {
		vars = append(vars, Var{Name: fmt.Sprintf("V%04d", i), Value: v.Bytes})
	}
	for c := 1; c < 256; c++ {
		vars = append(vars, Var{Name: fmt.Sprintf("B%03d", c), Value: []byte{byte(c)}})
	}
	checkDotenv(t, vars)
}

// TestDotenvSourcedBySh checks the promise in dotenv's doc comment: a .env
// file someone sources with sh (`set -a; . ./.env`) runs no command, even
// though the values then come out with \n and \xHH left as text.
func TestDotenvSourcedBySh(t *testing.T) {
	for _, bin := range []string{"dash", "bash"} {
		path, err := exec.LookPath(bin)
		if err != nil {
			if requireShells() {
				t.Fatalf("%s not installed", bin)
			}
			t.Logf("%s not installed", bin)
			continue
		}
		dir := t.TempDir()
		marker := filepath.Join(dir, "PWNED")
		var vars []Var
		for i, v := range append(hostile.Values(marker), hostile.Random(marker, 6, 300)...) {
			vars = append(vars, Var{Name: fmt.Sprintf("V%04d", i), Value: v.Bytes})
		}
		d, _ := Get("dotenv")
		out, err := d.Render(Plan{Set: vars})
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "env"), out, 0o600); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(path, "-c", "set -a; . ./env")
		cmd.Dir = dir
		if msg, err := cmd.CombinedOutput(); err != nil || len(msg) > 0 {
			t.Errorf("%s: %v: %s", bin, err, clip(msg))
		}
		if _, err := os.Stat(marker); err == nil {
			t.Errorf("%s: sourcing the .env file ran an injected command", bin)
		}
	}
}
