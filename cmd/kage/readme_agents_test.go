//go:build linux

package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/kage-cli/kage/config"
	"github.com/kage-cli/kage/internal/testkeyring"
)

// readmeBlocks returns the fenced code blocks of the README section titled
// heading, by language, in order.
func readmeBlocks(t *testing.T, heading string) map[string][]string {
	t.Helper()
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, sec, ok := strings.Cut(string(readme), "\n## "+heading+"\n")
	if !ok {
		t.Fatalf("README has no section %q", heading)
	}
	sec, _, _ = strings.Cut(sec, "\n## ")
	blocks := map[string][]string{}
	for _, m := range regexp.MustCompile("(?s)\n```([a-z]+)\n(.*?)\n```\n").FindAllStringSubmatch(sec, -1) {
		blocks[m[1]] = append(blocks[m[1]], m[2])
	}
	return blocks
}

// TestReadmeAgentRecipes runs the recipes of the README's "Using kage with
// coding agents", as written, with stand-ins for the agents (claude, codex,
// aider, npx: programs that print the names of the secrets they were
// given): each gets the names its recipe allows and no other secret.
func TestReadmeAgentRecipes(t *testing.T) {
	blocks := readmeBlocks(t, "Using kage with coding agents")
	if len(blocks["json"]) != 2 || len(blocks["sh"]) != 1 || len(blocks["toml"]) != 2 || len(blocks["python"]) != 1 || len(blocks["go"]) != 1 {
		t.Fatalf("the section's blocks changed: %d json, %d sh, %d toml, %d python, %d go; update this test",
			len(blocks["json"]), len(blocks["sh"]), len(blocks["toml"]), len(blocks["python"]), len(blocks["go"]))
	}
	bus := testkeyring.Start(t)
	home := t.TempDir()
	repo := filepath.Join(home, "code", "api")
	if err := os.MkdirAll(repo, 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("git", "init", "-q", repo).CombinedOutput(); err != nil {
		t.Fatalf("git init: %v: %s", err, out)
	}
	kage := func(stdin string, args ...string) string {
		t.Helper()
		cmd := kageCmd(t, bus, home, stdin, args...)
		cmd.Dir = repo
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("kage %s: %v", strings.Join(args, " "), err)
		}
		return string(out)
	}
	const anthropic = "sk-ant-work-0123456789"
	kage(anthropic, "subscription", "add", "--name", "work")
	kage("", "subscription", "use", "work", "--scope", "global")
	for name, v := range map[string]string{"GITHUB_TOKEN": "ghp_0123456789abcdef", "OPENAI_API_KEY": "sk-openai-0123456789", "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG"} {
		kage(v, "secret", "set", name)
	}

	// The stand-ins print the secrets' names they have, one a line.
	bin := t.TempDir()
	for _, prog := range []string{"claude", "codex", "aider", "npx"} {
		script := "#!/bin/sh\nenv | cut -d= -f1 | grep -E '^(ANTHROPIC_API_KEY|GITHUB_TOKEN|OPENAI_API_KEY|AWS_SECRET_ACCESS_KEY)$' | sort\n"
		if err := os.WriteFile(filepath.Join(bin, prog), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	run := func(what string, want []string, name string, args ...string) {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Dir = repo
		cmd.Env = append(kageCmd(t, bus, home, "").Env, "PATH="+bin+":"+os.Getenv("PATH"))
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if got := strings.Fields(string(out)); !slices.Equal(got, want) {
			t.Errorf("%s: the agent got %q, want %q", what, got, want)
		}
	}

	// apiKeyHelper: Claude Code runs it with a shell.
	var settings struct{ APIKeyHelper string }
	if err := json.Unmarshal([]byte(blocks["json"][0]), &settings); err != nil || settings.APIKeyHelper == "" {
		t.Fatalf("settings.json block: %v", err)
	}
	helper := exec.Command("sh", "-c", settings.APIKeyHelper)
	helper.Dir, helper.Env = repo, kageCmd(t, bus, home, "").Env
	if out, err := helper.Output(); err != nil || string(out) != anthropic {
		t.Errorf("apiKeyHelper printed %q, %v; want the bound key", out, err)
	}

	run("the sh recipe", []string{"ANTHROPIC_API_KEY", "GITHUB_TOKEN"}, "sh", "-c", blocks["sh"][0])

	// Both config.toml tables, then each program started plainly.
	cfg := strings.Join(blocks["toml"], "\n")
	if _, err := config.Parse("config.toml", []byte(cfg)); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, ".kage", "config.toml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	run("[exec.claude]", []string{"ANTHROPIC_API_KEY", "GITHUB_TOKEN"}, "kage", "exec", "--", "claude")
	run("[exec.codex]", []string{"OPENAI_API_KEY"}, "kage", "exec", "--", "codex")
	run("[exec.aider]", []string{"ANTHROPIC_API_KEY", "OPENAI_API_KEY"}, "kage", "exec", "--", "aider")

	// .mcp.json: the server as the agent would start it.
	var mcp struct {
		MCPServers map[string]struct {
			Command string
			Args    []string
		}
	}
	if err := json.Unmarshal([]byte(blocks["json"][1]), &mcp); err != nil || len(mcp.MCPServers) != 1 {
		t.Fatalf(".mcp.json block: %v", err)
	}
	for _, s := range mcp.MCPServers {
		run(".mcp.json", []string{"GITHUB_TOKEN"}, s.Command, s.Args...)
	}

	// The Go spawner, as a program of its own.
	dir := t.TempDir()
	prog := "package main\n\nimport (\n\t\"os\"\n\t\"os/exec\"\n\t\"strings\"\n)\n\n" + blocks["go"][0] + `

func main() {
	cmd, err := startAgent(os.Args[1], []string{"GITHUB_TOKEN", "OPENAI_API_KEY"}, "codex")
	if err != nil {
		panic(err)
	}
	if err := cmd.Wait(); err != nil {
		panic(err)
	}
}
`
	if err := os.WriteFile(filepath.Join(dir, "spawn.go"), []byte(prog), 0o600); err != nil {
		t.Fatal(err)
	}
	spawner := filepath.Join(dir, "spawn")
	build := exec.Command("go", "build", "-o", spawner, filepath.Join(dir, "spawn.go"))
	build.Env = append(os.Environ(), "GO111MODULE=off", "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("the Go spawner does not build: %v\n%s", err, out)
	}
	run("the Go spawner", []string{"GITHUB_TOKEN", "OPENAI_API_KEY"}, spawner, repo)

	// The Python spawner.
	if _, err := exec.LookPath("python3"); err != nil {
		if os.Getenv("KAGE_REQUIRE_SHELLS") == "1" {
			t.Fatal("python3 is not installed and KAGE_REQUIRE_SHELLS=1")
		}
		t.Skip("python3 is not installed: skipping the README's Python spawner")
	}
	py := blocks["python"][0] + "\nimport sys\nsys.exit(start_agent(sys.argv[1], [\"ANTHROPIC_API_KEY\"], [\"aider\"]).wait())\n"
	run("the Python spawner", []string{"ANTHROPIC_API_KEY"}, "python3", "-c", py, repo)
}
