package main

import (
	"testing"

	"github.com/kage-cli/kage/config"
)

// TestSetBackendLine: only the backend line changes or is added; every
// other byte of the user's config.toml stays.
func TestSetBackendLine(t *testing.T) {
	for _, c := range []struct{ name, in, want string }{
		{"empty file", "", "[secrets]\nbackend = \"file\"\n"},
		{"namespaces only", "[namespaces]\nbackend = [\"~/code/api\"]\n",
			"[namespaces]\nbackend = [\"~/code/api\"]\n\n[secrets]\nbackend = \"file\"\n"},
		{"no final newline", "# mine", "# mine\n\n[secrets]\nbackend = \"file\"\n"},
		{"secrets without backend", "# top\n[secrets]\nidentity = \"~/id.txt\" # kept\n\n[namespaces]\nx = [\"~/x\"]\n",
			"# top\n[secrets]\nbackend = \"file\"\nidentity = \"~/id.txt\" # kept\n\n[namespaces]\nx = [\"~/x\"]\n"},
		{"backend changed", "[secrets]  # store\n  backend = \"keyring\"   # was\nregion = \"eu\"\n",
			"[secrets]  # store\nbackend = \"file\"\nregion = \"eu\"\n"},
		{"backend of another table kept", "[namespaces]\nbackend = [\"~/a\"]\n[secrets]\nbackend = \"keyring\"\n",
			"[namespaces]\nbackend = [\"~/a\"]\n[secrets]\nbackend = \"file\"\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := string(setBackendLine([]byte(c.in), "file"))
			if got != c.want {
				t.Fatalf("got\n%s\nwant\n%s", got, c.want)
			}
			if nc, err := config.Parse("config.toml", []byte(got)); err != nil || nc.Secrets.Backend != "file" {
				t.Fatalf("the result does not parse to backend file: %v", err)
			}
		})
	}
	// A layout setBackendLine does not edit gives a file the caller's check
	// refuses: it must not parse to the backend asked for.
	for _, in := range []string{"secrets.backend = \"keyring\"\n", "secrets = { backend = \"keyring\" }\n"} {
		nc, err := config.Parse("config.toml", setBackendLine([]byte(in), "file"))
		if err == nil && nc.Secrets.Backend == "file" {
			t.Errorf("%q: edited into a file that says backend file; the check would pass it", in)
		}
	}
}
