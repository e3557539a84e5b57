package main

import "testing"

func TestEscapeControl(t *testing.T) {
	for in, want := range map[string]string{
		"":                 "",
		"/home/u/code/api": "/home/u/code/api",
		"/x/tree\x1b[2J/y": `/x/tree\x1b[2J/y`,
		"\x1b]0;t\x07":     `\x1b]0;t\x07`,
		"caf\xe9-latin1":   "caf\xe9-latin1",
		"é\u009b\x7f":      `é\x9b\x7f`,
		"a\nb":             `a\x0ab`,
	} {
		if got := escapeControl(in); got != want {
			t.Errorf("escapeControl(%q) = %q, want %q", in, got, want)
		}
	}
}
