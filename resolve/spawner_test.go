package resolve_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kage-cli/kage/keyring"
)

// TestSpawnerModule builds testdata/spawner, a program in a module of its
// own that imports this package as any spawner would, and has it start a
// child in a repository with what kage holds for it: the child gets the
// repository's secret and the one asked for, not the one held back nor
// kage's own variables, and what it prints of them is masked.
func TestSpawnerModule(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a module")
	}
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	mod := filepath.Join(tmp, "spawner")
	if err := os.MkdirAll(mod, 0o700); err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(filepath.Join("testdata", "spawner", "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	gomod, err := os.ReadFile(filepath.Join("testdata", "spawner", "go.mod.in"))
	if err != nil {
		t.Fatal(err)
	}
	// kage's go.sum holds every module the package needs.
	gosum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{"main.go": src, "go.mod": bytes.ReplaceAll(gomod, []byte("KAGE_ROOT"), []byte(root)), "go.sum": gosum} {
		if err := os.WriteFile(filepath.Join(mod, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	bin := filepath.Join(tmp, "spawner-bin")
	build := exec.Command("go", "build", "-mod=mod", "-o", bin, ".")
	build.Dir = mod
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOWORK=off", "GOFLAGS=")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	// kage's data folder with a file store, and a repository.
	data := filepath.Join(tmp, "kage")
	repo := filepath.Join(tmp, "api")
	for _, d := range []string{data, repo} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := exec.Command("git", "init", "-q", repo).CombinedOutput(); err != nil {
		t.Fatalf("git init: %v: %s", err, out)
	}
	repo, _ = filepath.EvalSymlinks(repo)
	id := filepath.Join(data, "identity.txt")
	if _, err := keyring.GenerateIdentityFile(id); err != nil {
		t.Fatal(err)
	}
	key, err := keyring.ParseIdentityFile(id)
	if err != nil {
		t.Fatal(err)
	}
	store := keyring.NewFile(filepath.Join(data, "secrets.age"), key)
	ctx := context.Background()
	for _, s := range []struct{ scope, name, value string }{
		{"global", "GITHUB_TOKEN", "ghp_global_0123456789"},
		{"repo:" + repo, "GITHUB_TOKEN", "ghp_repo_0123456789"},
		{"global", "AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI-0123456789"},
		{"global", "DEPLOY_KEY", "deploy-0123456789"},
	} {
		if err := store.Set(ctx, s.scope, s.name, []byte(s.value)); err != nil {
			t.Fatal(err)
		}
	}
	run := exec.Command(bin, data, id, repo, "GITHUB_*,DEPLOY_KEY", "sh", "-c",
		`printf '%s|%s|%s|%s\n' "$GITHUB_TOKEN" "$DEPLOY_KEY" "${AWS_SECRET_ACCESS_KEY-unset}" "${KAGE_PASSPHRASE-unset}"; printf '%s' "$GITHUB_TOKEN" | sed 's/_repo_/-REPO-/'`)
	run.Env = append(os.Environ(), "AWS_SECRET_ACCESS_KEY=from-the-shell", "KAGE_PASSPHRASE=pw")
	var stdout, stderr bytes.Buffer
	run.Stdout, run.Stderr = &stdout, &stderr
	if err := run.Run(); err != nil {
		t.Fatalf("spawner: %v\n%s", err, stderr.String())
	}
	if got, want := stdout.String(), "<kage:GITHUB_TOKEN>|<kage:DEPLOY_KEY>|unset|unset\nghp-REPO-0123456789"; got != want {
		t.Errorf("the child printed %q, want %q", got, want)
	}
	if got := stderr.String(); got != "held back AWS_SECRET_ACCESS_KEY\n" {
		t.Errorf("stderr %q", got)
	}
	if strings.Contains(stdout.String(), "ghp_repo_0123456789") {
		t.Error("a value got through the masker")
	}
}
