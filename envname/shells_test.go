package envname

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// TestShellsAgree asks each installed shell which variables are its own —
// special (assigning them changes the shell), read-only (assigning them
// fails, which would stop the prompt hook's load half-way), or set by the
// shell itself — and fails for every one the policy accepts, and for every
// one the shell cannot assign that --force could store. The shells run in
// an empty environment (only PATH, HOME and a few locale and terminal
// variables, which zsh marks special only once they are set), so what they
// report is theirs and not the caller's.
func TestShellsAgree(t *testing.T) {
	home := t.TempDir()
	base := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home}
	for _, sh := range []struct {
		name  string
		probe func(t *testing.T, bin string, env []string) findings
	}{
		{"bash", probeBash},
		{"dash", probeDash},
		{"zsh", probeZsh},
		{"fish", probeFish},
		{"nu", probeNu},
		{"elvish", probeElvish},
		{"pwsh", probePwsh},
	} {
		t.Run(sh.name, func(t *testing.T) {
			bin, err := exec.LookPath(sh.name)
			if err != nil {
				if os.Getenv("KAGE_REQUIRE_SHELLS") == "1" && sh.name != "pwsh" {
					t.Fatalf("%s is not installed and KAGE_REQUIRE_SHELLS=1", sh.name)
				}
				t.Skipf("%s is not installed", sh.name)
			}
			found := sh.probe(t, bin, base)
			if len(found) == 0 {
				t.Fatalf("%s reported no variables of its own: the probe is broken", sh.name)
			}
			names := make([]string, 0, len(found))
			for n := range found {
				names = append(names, n)
			}
			sort.Strings(names)
			for _, n := range names {
				if !Valid(n) {
					continue // $#, $?, $-: no environment name
				}
				r, ok := Refused(n)
				switch {
				case !ok:
					t.Errorf("%s: %s is %s, but envname accepts it", sh.name, n, found[n].why)
				case found[n].cannot && r.Forceable():
					t.Errorf("%s: %s cannot be assigned (%s), but --force may store it (%s, %s)", sh.name, n, found[n].why, r.Pattern, r.Category)
				}
			}
			t.Logf("%s: %d names checked", sh.name, len(names))
		})
	}
}

// finding is why a shell reports a variable as its own, and whether the
// shell cannot assign it.
type finding struct {
	why    string
	cannot bool
}

// findings are a probe's answer, by variable name.
type findings map[string]finding

func (f findings) add(name, why string, cannot bool) {
	if old, ok := f[name]; ok && old.cannot {
		return
	}
	f[name] = finding{why, cannot}
}

// run runs bin with args in env and returns its standard output.
func run(t *testing.T, env []string, bin string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = env
	cmd.Dir = t.TempDir()
	cmd.Stdin = nil
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v", bin, strings.Join(args, " "), err)
	}
	return string(out)
}

// lines returns the non-empty lines of s.
func lines(s string) []string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// assignedName returns NAME from a NAME=… line, or "".
func assignedName(l string) string {
	n, _, ok := strings.Cut(l, "=")
	if !ok || !Valid(n) {
		return ""
	}
	return n
}

// probeBash: every variable a clean interactive bash defines (compgen -v)
// and every read-only one (readonly -p).
func probeBash(t *testing.T, bin string, env []string) findings {
	out := run(t, env, bin, "--norc", "--noprofile", "-i", "-c", "compgen -v; echo ---; readonly -p")
	found := findings{}
	own, ro, _ := strings.Cut(out, "---\n")
	for _, l := range lines(own) {
		found.add(l, "set by bash itself", false)
	}
	for _, l := range lines(ro) {
		f := strings.Fields(l) // declare -ir UID="0"
		if len(f) >= 3 {
			if n := assignedName(f[2]); n != "" {
				found.add(n, "read-only in bash", true)
			}
		}
	}
	return found
}

// probeDash: every variable a clean dash defines, and the read-only ones.
func probeDash(t *testing.T, bin string, env []string) findings {
	out := run(t, env, bin, "-c", "set; echo ---; readonly -p")
	found := findings{}
	own, ro, _ := strings.Cut(out, "---\n")
	for _, l := range lines(own) {
		if n := assignedName(l); n != "" {
			found.add(n, "set by dash itself", false)
		}
	}
	for _, l := range lines(ro) {
		f := strings.Fields(l) // readonly NAME=…
		if len(f) >= 2 {
			if n := assignedName(f[1] + "="); n != "" {
				found.add(n, "read-only in dash", true)
			}
		}
	}
	return found
}

// zshProbe loads the modules an interactive zsh commonly has, then lists
// every parameter zsh reports as special or read-only, and whether export
// NAME=x, as kage's output does it, fails for it (tried in a subshell).
const zshProbe = `zmodload zsh/parameter
for m in zsh/zle zsh/complist zsh/datetime zsh/system zsh/terminfo zsh/termcap \
  zsh/mathfunc zsh/zutil zsh/sched zsh/langinfo zsh/mapfile zsh/stat zsh/curses \
  zsh/files zsh/pcre zsh/regex zsh/zpty zsh/zselect zsh/computil zsh/param/private \
  zsh/watch zsh/zprof zsh/net/tcp zsh/clone; do
  zmodload $m 2>/dev/null
done
for k in ${(k)parameters}; do
  t=${parameters[$k]}
  [[ $k =~ '^[A-Za-z_][A-Za-z0-9_]*$' ]] || continue
  case $t in *special*|*readonly*)
    if ( export $k=x ) 2>/dev/null; then c=can; else c=cannot; fi
    print -r -- "$k $c $t";;
  esac
done
`

// zshSpecialWhenSet are variables zsh treats as special once they are set:
// its probe runs with them set.
var zshSpecialWhenSet = []string{"LANG=C", "LC_ALL=C", "LC_COLLATE=C", "LC_CTYPE=C",
	"LC_MESSAGES=C", "LC_NUMERIC=C", "LC_TIME=C", "TERM=dumb", "TERMINFO=/nonexistent",
	"TERMINFO_DIRS=/nonexistent", "RPROMPT=x", "RPS1=x", "POSTEDIT=x",
	"ZLE_RPROMPT_INDENT=1", "HISTFILE=/nonexistent", "KEYTIMEOUT=1", "TMOUT=0",
	"STTY=", "MAIL=/nonexistent", "MAILCHECK=60"}

func probeZsh(t *testing.T, bin string, env []string) findings {
	script := filepath.Join(t.TempDir(), "probe.zsh")
	if err := os.WriteFile(script, []byte(zshProbe), 0o600); err != nil {
		t.Fatal(err)
	}
	found := findings{}
	for _, l := range lines(run(t, append(env, zshSpecialWhenSet...), bin, "-f", script)) {
		f := strings.SplitN(l, " ", 3)
		if len(f) == 3 {
			found.add(f[0], "zsh's "+f[2], f[1] == "cannot")
		}
	}
	return found
}

// probeFish: every variable a clean fish defines (after a background job,
// so that last_pid is set too), and every one of those it cannot assign.
func probeFish(t *testing.T, bin string, env []string) findings {
	out := run(t, env, bin, "--no-config", "-c", `command true &; wait
for n in (set -n)
  if set -gx $n x 2>/dev/null
    echo "$n set by fish itself"
  else
    echo "$n read-only in fish"
  end
end`)
	found := findings{}
	for _, l := range lines(out) {
		n, why, _ := strings.Cut(l, " ")
		found.add(n, why, strings.HasPrefix(why, "read-only"))
	}
	return found
}

// nuCandidates are the variables nushell's documentation calls its own;
// probeNu tries to load each, as kage's nu output does.
var nuCandidates = []string{"PWD", "FILE_PWD", "CURRENT_FILE", "config", "ENV_CONVERSIONS",
	"NU_LIB_DIRS", "NU_PLUGIN_DIRS", "NU_VERSION", "LAST_EXIT_CODE", "CMD_DURATION_MS",
	"PROMPT_COMMAND", "PROMPT_COMMAND_RIGHT", "PROMPT_INDICATOR", "PROMPT_INDICATOR_VI_INSERT",
	"PROMPT_INDICATOR_VI_NORMAL", "PROMPT_MULTILINE_INDICATOR", "TRANSIENT_PROMPT_COMMAND",
	"TRANSIENT_PROMPT_COMMAND_RIGHT", "TRANSIENT_PROMPT_INDICATOR", "NU_LOG_LEVEL", "PATH", "Path", "HOME"}

func probeNu(t *testing.T, bin string, env []string) findings {
	found := findings{}
	for _, args := range [][]string{{"-n", "-c"}, {"-c"}} {
		for _, n := range lines(run(t, env, bin, append(args, `$env | columns | to text`)...)) {
			found.add(n, "set by nushell itself", false)
		}
	}
	// One nu per candidate: a failed load-env ends the script.
	var script strings.Builder
	for _, n := range nuCandidates {
		script.WriteString(`try { load-env {"` + n + `": "x"} } catch { print "` + n + `" }` + "\n")
	}
	for _, n := range lines(run(t, env, bin, "-n", "-c", script.String())) {
		found.add(n, "refused by nushell's load-env", true)
	}
	return found
}

// probeElvish: the variables a clean elvish passes on as its own, and every
// candidate its set-env refuses.
func probeElvish(t *testing.T, bin string, env []string) findings {
	found := findings{}
	for _, l := range lines(run(t, []string{env[0]}, bin, "-norc", "-c", "e:env")) {
		if n := assignedName(l); n != "" && n != "PATH" {
			found.add(n, "set by elvish itself", false)
		}
	}
	var script strings.Builder
	for _, n := range append([]string{"PATH", "PWD", "SHLVL"}, nuCandidates...) {
		script.WriteString(`try { set-env ` + n + ` x } catch { echo ` + n + ` }` + "\n")
	}
	for _, n := range lines(run(t, env, bin, "-norc", "-c", script.String())) {
		found.add(n, "refused by elvish's set-env", true)
	}
	found.add("PATH", "tied to elvish's $paths", false)
	return found
}

// probePwsh: the environment variables a clean PowerShell defines.
func probePwsh(t *testing.T, bin string, env []string) findings {
	found := findings{}
	out := run(t, env, bin, "-NoProfile", "-NonInteractive", "-Command", "Get-ChildItem env: | ForEach-Object Name")
	for _, n := range lines(out) {
		if n != "HOME" {
			found.add(n, "set by PowerShell itself", false)
		}
	}
	return found
}
