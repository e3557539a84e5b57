package main

import (
	"strings"
	"testing"
)

// TestEnvFlags checks the lean parser takes exactly the plain forms and
// leaves everything else to the full command line parser.
func TestEnvFlags(t *testing.T) {
	cases := []struct {
		args []string
		want envOptions
		ok   bool
	}{
		{nil, envOptions{}, true},
		{[]string{"--shell", "fish"}, envOptions{shell: "fish"}, true},
		{[]string{"--shell=zsh", "--explain"}, envOptions{shell: "zsh", explain: true}, true},
		{[]string{"-C", "api", "--dir=other"}, envOptions{dir: "other"}, true},
		{[]string{"--dir", "a b"}, envOptions{dir: "a b"}, true},
		{[]string{"--subscription", "work", "--shell=fish"}, envOptions{subscription: "work", shell: "fish"}, true},
		{[]string{"--subscription=home"}, envOptions{subscription: "home"}, true},
		{[]string{"--subscription"}, envOptions{}, false},
		{[]string{"--subscription="}, envOptions{}, false},
		{[]string{"--shell"}, envOptions{}, false},
		{[]string{"--shell", "--explain"}, envOptions{}, false},
		{[]string{"--shell="}, envOptions{}, false},
		{[]string{"--explain=false"}, envOptions{}, false},
		{[]string{"--help"}, envOptions{}, false},
		{[]string{"-h"}, envOptions{}, false},
		{[]string{"--namespace", "x"}, envOptions{}, false},
		{[]string{"extra"}, envOptions{}, false},
		{[]string{"--shel", "bash"}, envOptions{}, false},
	}
	for _, c := range cases {
		got, ok := envFlags(c.args)
		if ok != c.ok || ok && got != c.want {
			t.Errorf("envFlags(%q) = %+v, %v; want %+v, %v", c.args, got, ok, c.want, c.ok)
		}
	}
}

// TestPrintsValues pins which command lines treat a read-write /dev/null
// as a closed standard output.
func TestPrintsValues(t *testing.T) {
	cases := map[string]bool{
		"env":                           true,
		"env --shell fish":              true,
		"--namespace team env":          true,
		"--namespace=team env":          true,
		"secret get X":                  true,
		"--namespace team secret get X": true,
		"status":                        false,
		"secret list":                   false,
		"secret set X":                  false,
		"subscription list":             false,
		"doctor":                        false,
		"":                              false,
		"--namespace":                   false,
	}
	for line, want := range cases {
		if got := printsValues(strings.Fields(line)); got != want {
			t.Errorf("printsValues(%q) = %v, want %v", line, got, want)
		}
	}
}
