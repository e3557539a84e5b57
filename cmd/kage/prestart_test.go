package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestPrestartOnlyWhenCertain: the keychain connection starts early only
// for commands that read values and only when nothing can choose another
// store; the early store is handed out once, to the same data folder.
func TestPrestartOnlyWhenCertain(t *testing.T) {
	home := t.TempDir()
	t.Setenv("KAGE_HOME", home)
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+filepath.Join(home, "no-bus"))
	reset := func() { prestarted.k, prestarted.data = nil, "" }
	defer reset()
	for _, c := range []struct {
		name    string
		args    []string
		backend string
		config  bool
		want    bool
	}{
		{"env", []string{"kage", "env"}, "", false, true},
		{"exec", []string{"kage", "exec", "--", "true"}, "", false, true},
		{"keyring chosen", []string{"kage", "env"}, "keyring", false, true},
		{"file chosen", []string{"kage", "env"}, "file", false, false},
		{"a config may choose", []string{"kage", "env"}, "", true, false},
		{"no value read", []string{"kage", "secret", "list"}, "", false, false},
		{"bare", []string{"kage"}, "", false, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			reset()
			t.Setenv("KAGE_BACKEND", c.backend)
			cfg := filepath.Join(home, "config.toml")
			os.Remove(cfg)
			if c.config {
				if err := os.WriteFile(cfg, []byte("[namespaces]\n"), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			prestart(c.args)
			if got := prestarted.k != nil; got != c.want {
				t.Fatalf("prestarted = %v, want %v", got, c.want)
			}
			if !c.want {
				return
			}
			k := prestarted.k
			if other := keychainFor(filepath.Join(home, "other")); other == k {
				t.Fatal("another data folder got the prestarted store")
			}
			if got := keychainFor(home); got != k {
				t.Fatal("the data folder did not get the prestarted store")
			}
			if again := keychainFor(home); again == k {
				t.Fatal("the prestarted store was handed out twice")
			}
		})
	}
}
