package resolve_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/kage-cli/kage/envname"
	"github.com/kage-cli/kage/keyring"
	"github.com/kage-cli/kage/resolve"
	"github.com/kage-cli/kage/scope"
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

func ExampleLookup_Resolve() {
	// A file store with two secrets, as kage init --backend file makes one.
	dir, _ := os.MkdirTemp("", "kage-example-")
	defer os.RemoveAll(dir)
	id := filepath.Join(dir, "identity.txt")
	if _, err := keyring.GenerateIdentityFile(id); err != nil {
		panic(err)
	}
	key, _ := keyring.ParseIdentityFile(id)
	store := keyring.NewFile(filepath.Join(dir, "secrets.age"), key)
	ctx := context.Background()
	store.Set(ctx, "global", "GITHUB_TOKEN", []byte("ghp_0123456789"))
	store.Set(ctx, "global", "AWS_SECRET_ACCESS_KEY", []byte("wJalrXUtnFEMI"))

	l := resolve.Lookup{
		Chain:     []scope.Scope{{Kind: scope.Global}},
		Selection: resolve.Selection{Only: []string{"GITHUB_*"}, OnlyFrom: "only"},
	}
	r, err := l.Resolve(ctx, store)
	if err != nil {
		panic(err)
	}
	for _, v := range r.Vars {
		fmt.Println(v.Name, "from", v.From)
	}
	for _, h := range r.Held {
		fmt.Println(h.Name, "held back:", h.Why)
	}
	env := resolve.Environ([]string{"HOME=/home/me", "AWS_SECRET_ACCESS_KEY=inherited", "KAGE_PASSPHRASE=x"}, r)
	fmt.Println(len(env), env[0])
	// Output:
	// GITHUB_TOKEN from global
	// AWS_SECRET_ACCESS_KEY held back: not in only
	// 2 HOME=/home/me
}
