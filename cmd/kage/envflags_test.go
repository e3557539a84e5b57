package main

import "testing"

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
