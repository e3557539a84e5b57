//go:build unix

package main

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kage-cli/kage/keyring"
)

// identityNeedles are the forms in which a key's text would show: its
// body in either case, hex and base64 at each alignment, cut so that a
// spelling that changed the key's last characters still matches.
func identityNeedles(secrets ...string) []string {
	var ns []string
	for _, s := range secrets {
		for _, core := range []string{s[:len(s)*2/3], s[len(s)/3:]} {
			for _, c := range []string{core, strings.ToLower(core), strings.ToUpper(core)} {
				ns = append(ns, c, hex.EncodeToString([]byte(c)))
				for k := range 3 {
					enc := base64.StdEncoding.EncodeToString(append(make([]byte, k), c...))
					ns = append(ns, enc[4:4*((len(c)+k)/3)])
				}
			}
		}
	}
	return ns
}

func holdsNeedle(out []byte, ns []string) string {
	low := bytes.ToLower(out)
	for _, n := range ns {
		if bytes.Contains(out, []byte(n)) || bytes.Contains(low, []byte(strings.ToLower(n))) && !strings.ContainsAny(n, "+/=") && len(n) > 12 {
			return n
		}
	}
	return ""
}

// TestIdentityNeverInMessages sets KAGE_AGE_IDENTITY (and config.toml's
// identity, and KAGE_PASSPHRASE) to a key in every spelling a user or a
// script may produce — the whole content of identity.txt, quoted, CRLF,
// lower case, base64 of it, inside other text, broken by one character —
// and runs the commands that open the store: no stdout or stderr ever holds
// any part of the key or passphrase. The spellings kage can read open the
// store; the others fail with a message that names the setting only.
func TestIdentityNeverInMessages(t *testing.T) {
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	home := filepath.Join(root, "home")
	data := filepath.Join(root, "kage")
	os.MkdirAll(home, 0o700)
	idPath := filepath.Join(root, "identity.txt")
	if _, err := keyring.GenerateIdentityFile(idPath); err != nil {
		t.Fatal(err)
	}
	content, _ := os.ReadFile(idPath)
	key := ""
	for _, l := range strings.Split(string(content), "\n") {
		if strings.HasPrefix(l, "AGE-SECRET-KEY-1") {
			key = l
		}
	}
	body := strings.TrimPrefix(key, "AGE-SECRET-KEY-1")
	// One character changed, in any case: the checksum fails, the rest is
	// the key. (Bech32 ignores case: a "q" for a "Q" would have made the
	// lower-case spelling the key itself, one key in 32.)
	repl := "Q"
	if c := key[len(key)-3]; c == 'Q' || c == 'q' {
		repl = "P"
	}
	broken := key[:len(key)-3] + repl + key[len(key)-2:]
	const pass = "pass-canary-horse-battery-7c1e"
	needles := identityNeedles(body, pass, "canary-horse-battery")

	run := func(env []string, stdin string, args ...string) (code int, out []byte) {
		t.Helper()
		cmd := exec.Command("kage", args...)
		cmd.Env = append(os.Environ(), "HOME="+home, "KAGE_HOME="+data, "KAGE_BACKEND=file", "KAGE_NAMESPACE=", "NO_COLOR=1",
			"KAGE_PASSPHRASE=", "DBUS_SESSION_BUS_ADDRESS=unix:path="+filepath.Join(root, "no-bus"))
		cmd.Env = append(cmd.Env, env...)
		cmd.Dir = home
		cmd.Stdin = strings.NewReader(stdin)
		var b bytes.Buffer
		cmd.Stdout, cmd.Stderr = &b, &b
		err := cmd.Run()
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode(), b.Bytes()
		} else if err != nil {
			t.Fatal(err)
		}
		return 0, b.Bytes()
	}
	if code, out := run([]string{"KAGE_AGE_IDENTITY=" + idPath}, "stored-value\n", "secret", "set", "TOKEN"); code != 0 {
		t.Fatalf("secret set: %s", out)
	}
	commands := [][]string{
		{"secret", "list"}, {"env", "--shell", "sh"}, {"secret", "get", "TOKEN"}, {"secret", "set", "NEW_ONE"},
		{"doctor"}, {"status"}, {"exec", "--", "true"}, {"hook-env", "bash"},
	}
	check := func(what string, env []string, opens bool) {
		t.Helper()
		for _, args := range commands {
			code, out := run(env, "v\n", args...)
			if n := holdsNeedle(out, needles); n != "" {
				t.Errorf("LEAK: %s, kage %s: the output holds %q:\n%s", what, strings.Join(args, " "), n, out)
			}
			if len(args) > 1 && args[1] == "list" && opens != (code == 0) {
				t.Errorf("%s, kage secret list: exit %d, want the store to open: %v\n%s", what, code, opens, out)
			}
		}
	}

	crlf := strings.ReplaceAll(string(content), "\n", "\r\n")
	for what, v := range map[string]string{
		"the key":                       key,
		"the key in white space":        "  \t" + key + " \n\n",
		"the key in double quotes":      `"` + key + `"`,
		"the key in single quotes":      "'" + key + "'",
		"the key with CRLF":             key + "\r\n",
		"the key in lower case":         strings.ToLower(key),
		"identity.txt's content":        string(content),
		"identity.txt's content, CRLF":  crlf,
		"identity.txt's content quoted": `"` + string(content) + `"`,
	} {
		check(what, []string{"KAGE_AGE_IDENTITY=" + v}, true)
	}
	badFile := filepath.Join(root, "bad-identity.txt")
	os.WriteFile(badFile, []byte("# created: now\n"+broken+"\n"+key+"1junk\n"), 0o600)
	for what, v := range map[string]string{
		"a broken key":                      broken,
		"a broken key quoted":               `"` + broken + `"`,
		"a broken key in lower case":        strings.ToLower(broken),
		"a broken key in identity.txt":      strings.Replace(string(content), key, broken, 1),
		"the key in mixed case":             "Age-Secret-Key-1" + body,
		"the key with text after a 1":       key + "1junk",
		"the key inside other text":         "my key is " + key + " ok",
		"an export line":                    "export KAGE_AGE_IDENTITY=" + key,
		"base64 of the key":                 base64.StdEncoding.EncodeToString([]byte(key)),
		"base64 of identity.txt":            base64.StdEncoding.EncodeToString(content),
		"hex of the key":                    hex.EncodeToString([]byte(key)),
		"the body alone":                    body,
		"a path ending in the key":          "/nonexistent/" + key,
		"a path ending in the body":         "/nonexistent/" + body,
		"a file of broken keys":             badFile,
		"the passphrase":                    pass,
		"a quoted key with a tab inside":    `"AGE-SECRET-KEY-1` + body[:20] + "\t" + body[20:] + `"`,
		"a multi-line value with a bad key": "# comment\r\n\r\n" + broken + "\r\n",
	} {
		check(what, []string{"KAGE_AGE_IDENTITY=" + v}, false)
	}
	// config.toml's identity is a path; a key there is never echoed.
	cfg := filepath.Join(data, "config.toml")
	for what, v := range map[string]string{
		"the key":           key,
		"base64 of the key": base64.StdEncoding.EncodeToString([]byte(key)),
		"a path to the key": "/nonexistent/" + body,
		"the key in ~":      "~/" + body,
	} {
		os.WriteFile(cfg, []byte("[secrets]\nbackend = \"file\"\nidentity = \""+v+"\"\n"), 0o600)
		check("config.toml identity = "+what, []string{"KAGE_AGE_IDENTITY="}, false)
	}
	os.Remove(cfg)

	// A passphrase store: neither the right passphrase nor a wrong one is
	// ever shown. scrypt at its real cost: few commands.
	pdata := filepath.Join(root, "pp")
	penv := func(p string) []string {
		return []string{"KAGE_HOME=" + pdata, "KAGE_AGE_IDENTITY=", "KAGE_PASSPHRASE=" + p}
	}
	if code, out := run(penv(pass), "v\n", "secret", "set", "P"); code != 0 {
		t.Fatalf("passphrase secret set: %s", out)
	}
	for _, c := range []struct {
		env  []string
		args []string
	}{
		{penv("wrong-" + pass), []string{"secret", "list"}},
		{penv("wrong-" + pass), []string{"doctor"}},
		{append(penv(pass), "KAGE_AGE_IDENTITY="+idPath), []string{"secret", "list"}},
		{[]string{"KAGE_AGE_IDENTITY=" + pass}, []string{"secret", "list"}},
	} {
		code, out := run(c.env, "", c.args...)
		if code == 0 {
			t.Errorf("kage %s with %v succeeded", strings.Join(c.args, " "), c.env)
		}
		if n := holdsNeedle(out, needles); n != "" {
			t.Errorf("LEAK: kage %s: the output holds %q:\n%s", strings.Join(c.args, " "), n, out)
		}
	}
}
