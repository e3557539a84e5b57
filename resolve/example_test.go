package resolve_test

import (
	"fmt"
	"os"

	"github.com/kage-cli/kage/envname"
	"github.com/kage-cli/kage/resolve"
)

func ExampleMasker() {
	m := resolve.NewMasker(os.Stdout, []resolve.Secret{{Name: "API_KEY", Value: []byte("sk-0123456789")}})
	// A value split across writes is still found.
	fmt.Fprint(m, "using sk-01")
	fmt.Fprint(m, "23456789 and c2stMDEyMzQ1Njc4OQ==\n")
	m.Close()
	// Output: using <kage:API_KEY> and <kage:API_KEY>
}

func ExampleSelection() {
	only, _ := envname.ParseList("AWS_*,GITHUB_TOKEN")
	s := resolve.Selection{Only: only, Except: []string{"AWS_SECRET_ACCESS_KEY"}, OnlyFrom: "--only", ExceptFrom: "--except"}
	for _, name := range []string{"AWS_REGION", "AWS_SECRET_ACCESS_KEY", "OPENAI_API_KEY"} {
		if ok, why := s.Allow(name); ok {
			fmt.Println(name, "given")
		} else {
			fmt.Println(name, "held back:", why)
		}
	}
	// Output:
	// AWS_REGION given
	// AWS_SECRET_ACCESS_KEY held back: --except AWS_SECRET_ACCESS_KEY
	// OPENAI_API_KEY held back: not in --only
}
