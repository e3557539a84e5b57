//go:build unix

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kage-cli/kage/internal/hookstamp"
)

// TestKageHook runs the built program: it stays silent while what the
// watch list names is unchanged, hands over to kage (with KAGE_WATCHING
// set) when anything on it changed or the list is missing or garbled, and
// then refuses other arguments (it reads them only when kage is to run).
func TestKageHook(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "kage-hook")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	// A stand-in kage that says how it was called.
	kage := filepath.Join(dir, "kage")
	if err := os.WriteFile(kage, []byte("#!/bin/sh\necho \"kage $* watching=$KAGE_WATCHING\"\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	work := filepath.Join(dir, "work")
	watched := filepath.Join(work, "config.toml")
	if err := os.MkdirAll(work, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(watched, []byte("a"), 0o600); err != nil {
		t.Fatal(err)
	}
	wd, err := filepath.EvalSymlinks(work)
	if err != nil {
		t.Fatal(err)
	}
	env := []string{"PATH=/usr/bin:/bin", "HOME=" + dir, "KAGE_STATE=abc"}
	getenv := func(k string) string {
		for _, kv := range env {
			if v, ok := strings.CutPrefix(kv, k+"="); ok {
				return v
			}
		}
		return ""
	}
	w, ok := hookstamp.Take([]string{watched, filepath.Join(work, "missing"), hookstamp.KindOnly + filepath.Join(work, "config.toml")}).Encode(wd, getenv)
	if !ok {
		t.Fatal("the list cannot be watched")
	}
	hook := func(watch string, args ...string) (string, int) {
		t.Helper()
		if args == nil {
			args = []string{kage, "hook-env", "bash"}
		}
		cmd := exec.Command(bin, args...)
		cmd.Dir = work
		cmd.Env = append(env, hookstamp.Var+"="+watch)
		out, err := cmd.CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return string(out), code
	}
	handed := "kage hook-env bash watching=1\n"
	if out, code := hook(w); out != "" || code != 0 {
		t.Fatalf("nothing changed, yet kage-hook printed %q (exit %d)", out, code)
	}
	for _, bad := range []string{"", "w1 ", "w0" + w[2:], w[:len(w)-3], w + ":", w + ":%G0", strings.Replace(w, ":", "::", 1)} {
		if out, code := hook(bad); out != handed || code != 0 {
			t.Errorf("with KAGE_WATCH=%q kage-hook gave %q (exit %d), want it to hand over", bad, out, code)
		}
	}
	env[2] = "KAGE_STATE=abd"
	if out, _ := hook(w); out != handed {
		t.Errorf("KAGE_STATE changed, yet kage-hook gave %q", out)
	}
	env[2] = "KAGE_STATE=abc"
	// A new version of the file, of the same size and time: its change
	// time and inode tell.
	fi, _ := os.Stat(watched)
	if err := os.Remove(watched); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(watched, []byte("b"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(watched, time.Time{}, fi.ModTime()); err != nil {
		t.Fatal(err)
	}
	if out, _ := hook(w); out != handed {
		t.Errorf("the watched file was replaced, yet kage-hook gave %q", out)
	}
	if out, code := hook(w, kage, "env", "bash"); code != 2 || !strings.Contains(out, "usage: kage-hook KAGE hook-env SHELL") {
		t.Errorf("kage-hook KAGE env bash: %q (exit %d), want the usage and exit 2", out, code)
	}
	if out, code := hook("", filepath.Join(dir, "nope"), "hook-env", "bash"); code != 2 || !strings.Contains(out, "cannot run") {
		t.Errorf("kage-hook with kage gone: %q (exit %d), want cannot run and exit 2", out, code)
	}
}
