package main

import "testing"

func TestClosest(t *testing.T) {
	cands := []string{"secret", "status", "subscription", "env", "exec", "--scope", "--shell"}
	for _, c := range []struct{ word, want string }{
		{"secrte", "secret"},  // a swap
		{"secre", "secret"},   // a letter dropped
		{"secrett", "secret"}, // a letter added
		{"stauts", "status"},  // a swap
		{"evn", "env"},        // a swap in a short word
		{"ex", ""},            // two letters from exec and env: too far
		{"--scop", "--scope"}, // a flag
		{"--shel", "--shell"}, // a flag
		{"zzzzzz", ""},        // nothing near
		{"", ""},              // nothing given
		{"secret", "secret"},  // exact
	} {
		if got := closest(c.word, cands); got != c.want {
			t.Errorf("closest(%q) = %q, want %q", c.word, got, c.want)
		}
	}
}
