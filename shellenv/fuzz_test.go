package shellenv

// Fuzzers, one per encoder. Each renders the fuzzed value and checks it
// the strongest way available: a real shell that evaluates the code and
// writes the value back (bash, zsh, dash, fish, elvish, and pwsh or nu
// where installed), a JSON decoder (json, nu) or the reference dotenv
// parser. Run one with
//
//	go test -run '^$' -fuzz '^FuzzPosix$' -fuzztime 5s ./shellenv
//
// A plain `go test` runs each fuzzer once per seed (the hostile values).
// The shell runs in a fresh directory and the injection payloads of the
// seeds create the relative file PWNED: any file that appears there fails
// the run, whatever name the fuzzer mutated it into.

import (
	"bytes"
	"encoding/json"
	"flag"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/kage-cli/kage/internal/hostile"
)

// fuzzMarker is relative: the shell's working directory is the iteration's
// own, so every worker process checks its own marker.
const fuzzMarker = "PWNED"

// addSeeds seeds the corpus with the hostile values. A plain `go test`
// (not fuzzing) runs every seed as a test case, one shell per seed, and
// TestRoundTrip already covers all of them in batches; there every fifth
// seed keeps the run short while still exercising the fuzz bodies.
func addSeeds(f *testing.F) {
	fuzzing := flag.Lookup("test.fuzz") != nil && flag.Lookup("test.fuzz").Value.String() != ""
	seeds := append(hostile.Values(fuzzMarker), hostile.Random(fuzzMarker, 7, 40)...)
	for i, v := range seeds {
		if fuzzing || i%5 == 0 {
			f.Add(v.Bytes)
		}
	}
}

// shellsFor returns the installed shells that read encoder enc's output,
// skipping the fuzzer (or failing it under KAGE_REQUIRE_SHELLS=1) when a
// required one is missing; optional shells are simply left out.
func shellsFor(f *testing.F, enc ...string) (out []realShell, paths []string) {
	for _, sh := range realShells() {
		if !slicesContains(enc, sh.enc) {
			continue
		}
		if !sh.required {
			if p, err := lookPathQuiet(sh.bin); err == nil {
				out, paths = append(out, sh), append(paths, p)
			}
			continue
		}
		out, paths = append(out, sh), append(paths, lookShell(f, sh))
	}
	return out, paths
}

// fuzzShell renders v with the shell's encoder, evaluates it in the real
// shell the way users do, and checks the value the shell then holds.
func fuzzShell(t *testing.T, sh realShell, path string, v []byte) {
	enc, err := Get(sh.enc)
	if err != nil {
		t.Fatal(err)
	}
	code, err := enc.Render(Plan{Set: []Var{{Name: "FUZZ_V", Value: v}}})
	if !renderShouldWork(t, sh.enc, v, err) {
		return
	}
	r := newRun(t, sh, path)
	r.line(sh.evalTop(r.code(code)))
	r.files["out"] = true
	r.line(sh.printVar("FUZZ_V", "out"))
	r.exec(r.dir + "/" + fuzzMarker)
	got := r.readFile("out")
	if !bytes.Equal(got, v) {
		t.Fatalf("%s: got %s, want %s\ncode: %s", sh.label, show(got), show(v), show(code))
	}
}

// renderShouldWork checks Render's verdict on v: values with NUL, and
// values a shell cannot hold, must be refused with an error naming the
// variable; everything else must render.
func renderShouldWork(t *testing.T, enc string, v []byte, err error) bool {
	t.Helper()
	refuse := bytes.IndexByte(v, 0) >= 0 || !(realShell{enc: enc}).canHold(v)
	switch {
	case refuse && err == nil:
		t.Fatalf("%s rendered %s, which it cannot hold", enc, show(v))
	case refuse && !strings.Contains(err.Error(), "FUZZ_V"):
		t.Fatalf("%s: error does not name the variable: %v", enc, err)
	case !refuse && err != nil:
		t.Fatalf("%s refused %s: %v", enc, show(v), err)
	}
	return !refuse
}

// FuzzPosix checks bash, zsh (also with RC_QUOTES and GLOB_SUBST) and dash.
func FuzzPosix(f *testing.F) {
	addSeeds(f)
	shells, paths := shellsFor(f, "bash", "zsh", "sh")
	f.Fuzz(func(t *testing.T, v []byte) {
		for i, sh := range shells {
			fuzzShell(t, sh, paths[i], v)
		}
	})
}

// FuzzFish checks fish.
func FuzzFish(f *testing.F) {
	addSeeds(f)
	shells, paths := shellsFor(f, "fish")
	f.Fuzz(func(t *testing.T, v []byte) {
		fuzzShell(t, shells[0], paths[0], v)
	})
}

// FuzzElvish checks elvish.
func FuzzElvish(f *testing.F) {
	addSeeds(f)
	shells, paths := shellsFor(f, "elvish")
	f.Fuzz(func(t *testing.T, v []byte) {
		fuzzShell(t, shells[0], paths[0], v)
	})
}

// FuzzPwsh checks the shape of the PowerShell output (ASCII, one line,
// base64 of the value) and, where pwsh is installed, runs it.
func FuzzPwsh(f *testing.F) {
	addSeeds(f)
	shells, paths := shellsFor(f, "pwsh")
	line := regexp.MustCompile(`^\$env:([A-Za-z_][A-Za-z0-9_]*) = \[Text\.Encoding\]::UTF8\.GetString\(\[Convert\]::FromBase64String\('([A-Za-z0-9+/=]*)'\)\)$`)
	f.Fuzz(func(t *testing.T, v []byte) {
		ps, _ := Get("pwsh")
		out, err := ps.Render(Plan{Set: []Var{{Name: "FUZZ_V", Value: v}}})
		if !renderShouldWork(t, "pwsh", v, err) {
			return
		}
		checkPwshLine(t, line, "fuzz", out, v)
		for i, sh := range shells {
			fuzzShell(t, sh, paths[i], v)
		}
	})
}

// FuzzNu checks that nu's JSON decodes to the value and, where nu is
// installed, that nu loads it.
func FuzzNu(f *testing.F) {
	addSeeds(f)
	shells, paths := shellsFor(f, "nu")
	f.Fuzz(func(t *testing.T, v []byte) {
		fuzzJSON(t, "nu", v)
		for i, sh := range shells {
			fuzzShell(t, sh, paths[i], v)
		}
	})
}

// FuzzJSON checks that the JSON output decodes to the value.
func FuzzJSON(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, v []byte) { fuzzJSON(t, "json", v) })
}

func fuzzJSON(t *testing.T, enc string, v []byte) {
	s, _ := Get(enc)
	out, err := s.Render(Plan{Set: []Var{{Name: "FUZZ_V", Value: v}, {Name: "FUZZ_W", Value: []byte("w")}}})
	if !renderShouldWork(t, enc, v, err) {
		return
	}
	if !utf8.Valid(out) {
		t.Fatalf("%s output is not UTF-8: %q", enc, out)
	}
	var m map[string]string
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatalf("%s output is not JSON: %v\n%q", enc, err, out)
	}
	if len(m) != 2 || m["FUZZ_V"] != string(v) || m["FUZZ_W"] != "w" {
		t.Fatalf("%s: decoded %q, want FUZZ_V=%s", enc, m, show(v))
	}
}

// FuzzDotenv checks that the dotenv output is one line per variable and
// that the reference parser reads the value back.
func FuzzDotenv(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, v []byte) {
		vars := []Var{{Name: "FUZZ_V", Value: v}, {Name: "FUZZ_W", Value: []byte("w")}}
		if bytes.IndexByte(v, 0) >= 0 {
			d, _ := Get("dotenv")
			_, err := d.Render(Plan{Set: vars})
			renderShouldWork(t, "dotenv", v, err)
			return
		}
		checkDotenv(t, vars)
	})
}

func slicesContains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
