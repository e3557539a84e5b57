package leakscan_test

import (
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/kage-cli/kage/leakscan"
)

func ExampleScanner_Reader() {
	s, short := leakscan.New([]leakscan.Secret{
		{Name: "GITHUB_TOKEN", Scope: "global", Value: []byte("ghp_0123456789abcdef")},
		{Name: "PIN", Scope: "global", Value: []byte("1234")},
	})
	transcript := "line one\n" +
		`{"tool":"bash","output":"Authorization: Basic ` + base64.StdEncoding.EncodeToString([]byte("me:ghp_0123456789abcdef")) + `"}` + "\n"
	found, _ := s.Reader(strings.NewReader(transcript), "session.jsonl", false)
	for _, f := range found {
		fmt.Printf("%s:%d: %s (%s), as %s\n", f.Path, f.Line, f.Name, f.Scope, f.Form)
	}
	fmt.Println("not searched:", short)
	// Output:
	// session.jsonl:2: GITHUB_TOKEN (global), as base64
	// not searched: [PIN]
}
