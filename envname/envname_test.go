package envname

import (
	"os"
	"strings"
	"testing"
)

// mustRefuse lists, per category, names a hostile .env file or keychain
// item could use to take over a shell or what it starts (several from
// issue #12, where each was stored and then exported).
var mustRefuse = map[Category][]string{
	Shell: {"PATH", "IFS", "CDPATH", "ENV", "BASH_ENV", "BASH_FUNC_ls%%", "GLOBIGNORE", "HOME", "SHELL", "TMPDIR", "FPATH", "ZDOTDIR", "LANG", "LC_ALL", "TERM",
		"BASH_XTRACEFD", "COMP_WORDBREAKS", "ZSH_CUSTOM", "INPUTRC", "SECONDS", "RANDOM"},
	Prompt: {"PS0", "PS1", "PS2", "PS3", "PS4", "PROMPT_COMMAND", "PROMPT", "RPROMPT", "RPS1",
		"HISTFILE", "HISTCONTROL", "MAILPATH", "MAIL", "MAILCHECK", "PROMPT_DIRTRIM"},
	Loader: {"LD_PRELOAD", "LD_LIBRARY_PATH", "LD_AUDIT", "DYLD_INSERT_LIBRARIES",
		"GTK_MODULES", "GTK_PATH", "QT_PLUGIN_PATH", "GIO_EXTRA_MODULES", "GST_PLUGIN_PATH", "LIBGL_DRIVERS_PATH",
		"GCONV_PATH", "LOCPATH", "NLSPATH", "GLIBC_TUNABLES", "HOSTALIASES", "OPENSSL_CONF",
		"MALLOC_CHECK_"},
	Git: {"GIT_CONFIG_COUNT", "GIT_CONFIG_KEY_0", "GIT_CONFIG_VALUE_0", "GIT_CONFIG_GLOBAL",
		"GIT_DIR", "GIT_SSH_COMMAND", "GIT_ASKPASS", "GIT_EXEC_PATH", "GIT_PAGER", "GIT_EDITOR",
		"GIT_PROXY_COMMAND", "GIT_SSL_NO_VERIFY", "GIT_TEMPLATE_DIR"},
	Session: {"DBUS_SESSION_BUS_ADDRESS", "DBUS_SYSTEM_BUS_ADDRESS", "XDG_CONFIG_HOME",
		"XDG_DATA_HOME", "XDG_RUNTIME_DIR", "DISPLAY", "XAUTHORITY"},
	Proxy: {"http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY",
		"no_proxy", "NO_PROXY", "ftp_proxy", "FTP_PROXY", "SSL_CERT_FILE", "SSL_CERT_DIR",
		"CURL_CA_BUNDLE", "REQUESTS_CA_BUNDLE", "NODE_EXTRA_CA_CERTS", "SSLKEYLOGFILE",
		"NODE_TLS_REJECT_UNAUTHORIZED", "AWS_CA_BUNDLE"},
	Runtime: {"NODE_OPTIONS", "NODE_PATH", "PYTHONPATH", "PYTHONSTARTUP", "PYTHONHOME",
		"PYTHONBREAKPOINT", "PYTHONWARNINGS", "PERL5LIB", "PERL5OPT", "PERL5DB", "PERLLIB",
		"RUBYOPT", "RUBYLIB", "JAVA_TOOL_OPTIONS", "_JAVA_OPTIONS", "JDK_JAVA_OPTIONS",
		"CLASSPATH", "GOFLAGS", "GOROOT", "GOTOOLCHAIN", "RUSTC_WRAPPER", "RUSTFLAGS",
		"DOTNET_STARTUP_HOOKS", "COR_PROFILER", "COR_ENABLE_PROFILING", "CORECLR_PROFILER",
		"CORECLR_PROFILER_PATH", "LUA_PATH", "LUA_CPATH", "LUA_INIT", "PHPRC", "MAKEFLAGS",
		"CGO_CFLAGS", "GOENV"},
	Packages: {"npm_config_registry", "NPM_CONFIG_REGISTRY", "npm_config_userconfig",
		"PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_CONFIG_FILE", "GOPROXY", "GONOSUMDB",
		"GOPRIVATE", "GOINSECURE", "CARGO_HOME", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE",
		"CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUNNER", "CARGO_BUILD_RUSTC_WRAPPER",
		"CARGO_REGISTRIES_MINE_INDEX", "CARGO_REGISTRIES_MINE_CREDENTIAL_PROVIDER",
		"KUBECONFIG", "DOCKER_CONFIG", "DOCKER_HOST", "BUNDLE_GEMFILE", "GEM_HOME",
		"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "TF_CLI_CONFIG_FILE"},
	Tools: {"EDITOR", "VISUAL", "PAGER", "MANPAGER", "LESSOPEN", "LESSCLOSE", "BROWSER",
		// From the attack review of issue 12: programs other tools run.
		"RSYNC_RSH", "CVS_RSH", "FZF_DEFAULT_COMMAND", "FZF_DEFAULT_OPTS", "FZF_CTRL_T_COMMAND",
		"GH_PAGER", "GH_EDITOR", "BAT_PAGER", "PSQL_PAGER", "KUBE_EDITOR", "SVN_EDITOR", "HGEDITOR",
		"HGRCPATH", "STARSHIP_CONFIG", "IPYTHONDIR", "JUPYTER_CONFIG_DIR", "SCREENRC", "AWK", "SED",
		"SSH_ASKPASS", "SUDO_ASKPASS", "SSH_AUTH_SOCK", "GNUPGHOME", "VIMINIT"},
	Fish:    {"fish_user_paths", "fish_function_path", "fish_complete_path", "fish_greeting", "fish_pid", "FISH_VERSION", "__fish_config_dir", "CMD_DURATION"},
	Zsh:     {"argv", "ARGC", "options", "commands", "functions", "mapfile", "parameters", "NULLCMD", "READNULLCMD", "STTY", "MODULE_PATH", "precmd_functions", "ZLE_RPROMPT_INDENT", "dis_aliases", "zcurses_windows"},
	Nushell: {"config", "ENV_CONVERSIONS", "NU_LIB_DIRS", "NU_PLUGIN_DIRS", "LAST_EXIT_CODE", "CMD_DURATION_MS", "NU_VERSION", "TRANSIENT_PROMPT_COMMAND"},
	PowerShell: {"PSModulePath", "PSMODULEPATH", "PSExecutionPolicyPreference", "__PSLockdownPolicy",
		"PATHEXT", "COMSPEC", "APPDATA", "LOCALAPPDATA", "USERPROFILE", "POWERSHELL_TELEMETRY_OPTOUT"},
	ReadOnly: {"SHELLOPTS", "BASHOPTS", "BASH_VERSINFO", "FILE_PWD", "CURRENT_FILE", "UID", "EUID", "GID", "EGID", "PPID", "BASHPID", "PWD", "SHLVL", "_", "status",
		"pipestatus", "history", "version", "hostname", "HOSTNAME", "last_pid", "umask", "LINENO"},
	Kage: {"KAGE_PASSPHRASE", "KAGE_AGE_IDENTITY", "KAGE_LOADED", "KAGE_STATE", "kage_x",
		"__kage_saved_HOME", "__KAGE_SAVED_X", "__kage_unset_X", "_kage_hook", "_KAGE_X"},
}

// The zsh spellings that share a rule with their upper-case partner.
var mustRefuseSpellings = []string{"path", "fpath", "cdpath", "manpath", "mailpath",
	"module_path", "psvar", "fignore", "prompt", "watch", "histchars", "Path", "pwd"}

// mustAccept are names people really keep credentials under: refusing one
// would make kage useless for it.
var mustAccept = []string{
	"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION",
	"AWS_DEFAULT_REGION", "AWS_PROFILE", "GITHUB_TOKEN", "GH_TOKEN", "GH_ENTERPRISE_TOKEN",
	"GITLAB_TOKEN", "NPM_TOKEN", "NODE_AUTH_TOKEN", "NODE_ENV", "OPENAI_API_KEY",
	"ANTHROPIC_API_KEY", "GEMINI_API_KEY", "MISTRAL_API_KEY", "GROQ_API_KEY",
	"OPENROUTER_API_KEY", "DATABASE_URL", "REDIS_URL", "CARGO_REGISTRY_TOKEN",
	"CARGO_REGISTRIES_MINE_TOKEN", "POETRY_PYPI_TOKEN_PYPI", "POETRY_HTTP_BASIC_PYPI_PASSWORD",
	"TWINE_USERNAME", "TWINE_PASSWORD", "GEM_HOST_API_KEY", "UV_PUBLISH_TOKEN",
	"UV_INDEX_PRIVATE_PASSWORD", "YARN_NPM_AUTH_TOKEN", "COMPOSER_AUTH", "STRIPE_SECRET_KEY",
	"SLACK_BOT_TOKEN", "SENTRY_DSN", "SENTRY_AUTH_TOKEN", "DOCKER_PASSWORD", "DOCKERHUB_TOKEN",
	"HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "GOOGLE_API_KEY", "GOOGLE_APPLICATION_CREDENTIALS",
	"AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_TENANT_ID", "ARM_CLIENT_SECRET",
	"TF_VAR_db_password", "VAULT_TOKEN", "CLOUDFLARE_API_TOKEN", "DIGITALOCEAN_TOKEN",
	"HEROKU_API_KEY", "NETLIFY_AUTH_TOKEN", "VERCEL_TOKEN", "DB_PASSWORD", "API_KEY",
	"SECRET_KEY", "JWT_SECRET", "PGPASSWORD", "MYSQL_PWD", "POSTGRES_PASSWORD", "HOST",
	"PORT", "DEBUG", "TZ", "ORG_GRADLE_PROJECT_signingKey", "SONAR_TOKEN", "CODECOV_TOKEN",
	"PULUMI_ACCESS_TOKEN", "SNYK_TOKEN", "SSH_PRIVATE_KEY", "TOKEN", "PASSWORD", "KEEP",
	"_SECRET", "X", "Path2", "PATH_TO_KEY", "LDAP_PASSWORD", "GITHUB_PAT",
	"NUGET_API_KEY", "KAGEX",
}

func TestRefusedByCategory(t *testing.T) {
	for cat, names := range mustRefuse {
		for _, n := range names {
			r, ok := Refused(n)
			if !ok {
				t.Errorf("%s (%s) is accepted", n, cat)
				continue
			}
			if r.Category != cat {
				t.Errorf("%s is refused as %s (%s), want %s", n, r.Category, r.Pattern, cat)
			}
		}
	}
	for _, n := range mustRefuseSpellings {
		if _, ok := Refused(n); !ok {
			t.Errorf("%s is accepted", n)
		}
	}
}

func TestAccepted(t *testing.T) {
	for _, n := range mustAccept {
		if err := Check(n); err != nil {
			t.Errorf("Check(%q) = %v", n, err)
		}
		if r, ok := Refused(n); ok {
			t.Errorf("%s is refused by %s (%s)", n, r.Pattern, r.Category)
		}
	}
}

// TestForceable: the names a shell cannot assign, or that are a shell's or
// kage's own, cannot be forced; the others can.
func TestForceable(t *testing.T) {
	for _, n := range []string{"path", "fpath", "status", "UID", "SHELLOPTS", "BASH_VERSINFO",
		"fish_user_paths", "FISH_VERSION", "argv", "PWD", "FILE_PWD", "config", "KAGE_STATE",
		"__kage_saved_HOME", "ZSH_SUBSHELL"} {
		if r, ok := Refused(n); !ok || r.Forceable() {
			t.Errorf("%s: refused %v, forceable %v (%s)", n, ok, r.Forceable(), r.Pattern)
		}
	}
	for _, n := range []string{"PATH", "Path", "LD_PRELOAD", "EDITOR", "http_proxy", "GIT_SSH_COMMAND",
		"NODE_OPTIONS", "PROMPT_COMMAND", "BASH_ENV", "ZSH_CUSTOM", "PSModulePath"} {
		if r, ok := Refused(n); !ok || !r.Forceable() {
			t.Errorf("%s: refused %v, forceable %v (%s)", n, ok, r.Forceable(), r.Pattern)
		}
	}
}

// TestCase pins the decision to compare names without regard to case.
func TestCase(t *testing.T) {
	for _, n := range []string{"path", "Path", "ld_preload", "Git_Dir", "HTTP_proxy", "Fish_User_Paths", "Kage_x", "psmodulepath"} {
		if _, ok := Refused(n); !ok {
			t.Errorf("%s is accepted", n)
		}
	}
}

func TestCheck(t *testing.T) {
	for _, n := range []string{"A", "_", "a1", "API_KEY", strings.Repeat("A", MaxLen)} {
		if err := Check(n); err != nil {
			t.Errorf("Check(%q) = %v", n, err)
		}
	}
	for n, want := range map[string]string{
		"":                              `invalid secret name ""`,
		"1ABC":                          `invalid secret name "1ABC"`,
		"BAD-NAME":                      `invalid secret name "BAD-NAME"`,
		"A B":                           `invalid secret name "A B"`,
		"É":                             `invalid secret name "É"`,
		strings.Repeat("A", MaxLen+1):   "invalid secret name: it is 129 characters long",
		"sk-" + strings.Repeat("x", 40): "invalid secret name (43 characters, not shown)",
	} {
		err := Check(n)
		if err == nil || err.Error() != want {
			t.Errorf("Check(%.20q) = %v, want %s", n, err, want)
		}
	}
}

// TestTable keeps the table clean: valid names, no name listed twice (a
// second spelling only to refuse --force for it, as zsh's path beside
// PATH), no name a family already covers (unless to refuse --force for
// it), every category used.
func TestTable(t *testing.T) {
	seen := map[string]bool{}
	folded := map[string]Rule{}
	used := map[Category]bool{}
	for _, e := range exact {
		up := strings.ToUpper(e.name)
		r := Rule{Pattern: e.name, Category: e.cat}
		if !Valid(e.name) {
			t.Errorf("%q is not a valid name", e.name)
		}
		if seen[e.name] {
			t.Errorf("%s is listed twice", e.name)
		}
		if other, ok := folded[up]; ok && (r.Forceable() || !other.Forceable()) {
			t.Errorf("%s is listed as %s already", e.name, other.Pattern)
		}
		seen[e.name] = true
		if _, ok := folded[up]; !ok {
			folded[up] = r
		}
		used[e.cat] = true
		for _, f := range families {
			if len(e.name) >= len(f.prefix)+len(f.suffix) && hasFold(e.name, f.prefix, f.suffix) &&
				(r.Forceable() || !(Rule{Category: f.cat}).Forceable()) {
				t.Errorf("%s is covered by %s already", e.name, f.pattern())
			}
		}
	}
	for i, f := range families {
		used[f.cat] = true
		if !Valid(f.prefix) && f.prefix != "" {
			t.Errorf("family %s: prefix is not a name", f.pattern())
		}
		for j, g := range families {
			if i != j && g.suffix == "" && len(f.prefix) >= len(g.prefix) && strings.EqualFold(f.prefix[:len(g.prefix)], g.prefix) {
				t.Errorf("family %s is covered by %s", f.pattern(), g.pattern())
			}
		}
	}
	for _, c := range Categories() {
		if !used[c] {
			t.Errorf("category %s has no rule", c)
		}
		if c.String() == "" || c.Reason() == "" {
			t.Errorf("category %d has no text", c)
		}
	}
	if n := len(Rules()); n != len(exact)+len(families) {
		t.Errorf("Rules() has %d rules, want %d", n, len(exact)+len(families))
	}
}

func TestWhy(t *testing.T) {
	r, _ := Refused("LD_PRELOAD")
	if got, want := r.Why(), "like every LD_* name, it loads other code into every program (loaders and libc)"; got != want {
		t.Errorf("Why = %q, want %q", got, want)
	}
	r, _ = Refused("Path")
	if got, want := r.Why(), "it changes how the shell finds and runs commands (shell behaviour)"; got != want {
		t.Errorf("Why = %q, want %q", got, want)
	}
}

// TestReadme checks that the README's table of refused names names every
// category, so a category added here is documented.
func TestReadme(t *testing.T) {
	data, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range Categories() {
		if !strings.Contains(string(data), "| "+c.String()+" |") {
			t.Errorf("README.md has no table row for %q", c)
		}
	}
}

func BenchmarkRefused(b *testing.B) {
	names := append([]string{}, mustAccept...)
	for b.Loop() {
		for _, n := range names {
			Refused(n)
		}
	}
}
