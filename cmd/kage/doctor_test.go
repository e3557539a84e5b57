package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kage-cli/kage/doctor"
	"github.com/kage-cli/kage/keyring"
	"github.com/kage-cli/kage/subscription"
)

func TestFindingLine(t *testing.T) {
	f := doctor.Finding{Check: "index", Status: doctor.Fail, Message: "index lists A in global but\nthe keychain has no such item", Fix: "kage doctor --fix"}
	if got, want := findingLine(f, false), "FAIL index lists A in global but the keychain has no such item — fix: kage doctor --fix"; got != want {
		t.Errorf("line = %q, want %q", got, want)
	}
	if got, want := findingLine(f, true), "\x1b[1;31mFAIL\x1b[0m index lists"; !strings.HasPrefix(got, want) {
		t.Errorf("coloured line = %q, want it to start with %q", got, want)
	}
	ok := doctor.Finding{Status: doctor.OK, Message: "fine"}
	if got := findingLine(ok, false); got != "ok   fine" {
		t.Errorf("ok line = %q", got)
	}
}

// TestDoctorStaleSubscriptionKeys: a subscription with keys under two
// variables, as an interrupted kage subscription add --env leaves it, in
// the file backend (doctor_subscription.txt has the keychain's case).
// doctor reports the older key, --fix deletes it and keeps the newer one.
func TestDoctorStaleSubscriptionKeys(t *testing.T) {
	home := t.TempDir()
	data := filepath.Join(home, ".kage")
	if err := os.MkdirAll(data, 0o700); err != nil {
		t.Fatal(err)
	}
	idPath := filepath.Join(home, "identity.txt")
	if _, err := keyring.GenerateIdentityFile(idPath); err != nil {
		t.Fatal(err)
	}
	key, err := keyring.ParseIdentityFile(idPath)
	if err != nil {
		t.Fatal(err)
	}
	store := keyring.NewFile(filepath.Join(data, "secrets.age"), key)
	ctx := t.Context()
	for _, s := range []struct{ scope, name, value string }{
		{"global", "KEEP", "hunter2"},
		{subscription.Scope("work"), "OLD_KEY", "sk-old"},
		{subscription.Scope("work"), "NEW_KEY", "sk-new"},
	} {
		if err := store.Set(ctx, s.scope, s.name, []byte(s.value)); err != nil {
			t.Fatal(err)
		}
		// The newest key is the subscription's: keep the times apart
		// where the clock is coarse.
		time.Sleep(20 * time.Millisecond)
	}
	kage := func(args ...string) (string, int) {
		t.Helper()
		cmd := exec.Command("kage", args...)
		cmd.Env = append(os.Environ(), "HOME="+home, "KAGE_HOME="+data, "XDG_RUNTIME_DIR="+home, "KAGE_NAMESPACE=",
			"KAGE_BACKEND=file", "KAGE_AGE_IDENTITY="+idPath, "SHELL=/bin/bash", "NO_COLOR=1",
			// Nothing here may reach for a keychain.
			"DBUS_SESSION_BUS_ADDRESS=unix:path="+filepath.Join(home, "no-such-bus"))
		cmd.Dir = home
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		var ee *exec.ExitError
		switch {
		case err == nil:
			return stdout.String(), 0
		case errors.As(err, &ee):
			return stdout.String() + stderr.String(), ee.ExitCode()
		}
		t.Fatalf("kage %s: %v: %s", strings.Join(args, " "), err, stderr.String())
		return "", 0
	}

	out, code := kage("doctor")
	if code != 1 {
		t.Fatalf("doctor exit %d, want 1:\n%s", code, out)
	}
	for _, want := range []string{
		"FAIL subscription work keeps a stale key as OLD_KEY beside its key as NEW_KEY (left by an interrupted kage subscription add --env) — fix: kage doctor --fix deletes the stale key\n",
		"kage: hint: kage doctor --fix deletes the stale keys of subscriptions; it deletes no other secret\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("doctor output lacks %q:\n%s", want, out)
		}
	}
	out, code = kage("doctor", "--fix")
	if code != 0 {
		t.Fatalf("doctor --fix exit %d, want 0:\n%s", code, out)
	}
	for _, want := range []string{
		"fix  deleted the stale key of subscription work (OLD_KEY); it keeps its key as NEW_KEY\n",
		"ok   1 subscription, 0 bindings\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("doctor --fix output lacks %q:\n%s", want, out)
		}
	}
	entries, err := store.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, en := range entries {
		left = append(left, en.Scope+" "+en.Name)
	}
	if want := []string{"global KEEP", "subscription:work NEW_KEY"}; !slices.Equal(left, want) {
		t.Errorf("after --fix the store holds %q, want %q", left, want)
	}
	if out, code := kage("env", "--shell", "bash", "--subscription", "work"); code != 0 || !strings.Contains(out, "export NEW_KEY='sk-new'\n") {
		t.Errorf("kage env after --fix (exit %d):\n%s", code, out)
	}
	if out, code := kage("doctor"); code != 0 || strings.Contains(out, "FAIL") {
		t.Errorf("doctor after --fix (exit %d):\n%s", code, out)
	}
}
