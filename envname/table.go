package envname

// name is one refused name, as people write it.
type name struct {
	name string
	cat  Category
}

// family is a refused family: every name that starts with prefix and ends
// with suffix ("" for any end).
type family struct {
	prefix, suffix string
	cat            Category
}

func (f family) pattern() string { return f.prefix + "*" + f.suffix }

// exact are the refused names. Sources: the bash, zsh, fish, nushell and
// PowerShell manuals, ld.so(8), git(1)'s environment, and each runtime's
// documented variables; TestShellsAgree asks the installed shells
// themselves and fails when one reports a special or read-only name that
// is missing here.
var exact = [...]name{
	// How the shell finds and runs commands.
	{"PATH", Shell}, {"IFS", Shell}, {"CDPATH", Shell}, {"ENV", Shell}, {"BASH", Shell},
	{"GLOBIGNORE", Shell}, {"GLOBSORT", Shell},
	{"EXECIGNORE", Shell}, {"FIGNORE", Shell}, {"HOME", Shell}, {"SHELL", Shell},
	{"TMPDIR", Shell}, {"FPATH", Shell}, {"ZDOTDIR", Shell}, {"ZSH", Shell},
	{"POSIXLY_CORRECT", Shell}, {"INPUTRC", Shell}, {"HOSTFILE", Shell}, {"OLDPWD", Shell},
	{"TERM", Shell}, {"TERMINFO", Shell}, {"TERMINFO_DIRS", Shell}, {"TERMCAP", Shell},
	{"LANG", Shell}, {"LANGUAGE", Shell}, {"LC_ALL", Shell}, {"LC_CTYPE", Shell},
	{"LC_COLLATE", Shell}, {"LC_MESSAGES", Shell}, {"LC_MONETARY", Shell},
	{"LC_NUMERIC", Shell}, {"LC_TIME", Shell}, {"LC_ADDRESS", Shell},
	{"LC_IDENTIFICATION", Shell}, {"LC_MEASUREMENT", Shell}, {"LC_NAME", Shell},
	{"LC_PAPER", Shell}, {"LC_TELEPHONE", Shell}, {"TEXTDOMAIN", Shell},
	{"TEXTDOMAINDIR", Shell}, {"COLUMNS", Shell}, {"LINES", Shell}, {"TMOUT", Shell},
	{"IGNOREEOF", Shell}, {"OPTIND", Shell}, {"OPTARG", Shell}, {"OPTERR", Shell},
	{"FUNCNEST", Shell}, {"FUNCNAME", Shell}, {"CHILD_MAX", Shell}, {"COMPREPLY", Shell},
	{"DIRSTACK", Shell}, {"GROUPS", Shell}, {"RANDOM", Shell}, {"SRANDOM", Shell},
	{"SECONDS", Shell},
	{"HOSTTYPE", Shell}, {"MACHTYPE", Shell}, {"OSTYPE", Shell}, {"USER", Shell},
	{"LOGNAME", Shell},

	// Prompts, history and mail checks.
	{"PS0", Prompt}, {"PS1", Prompt}, {"PS2", Prompt}, {"PS3", Prompt}, {"PS4", Prompt},
	{"PROMPT", Prompt}, {"PROMPT2", Prompt}, {"PROMPT3", Prompt}, {"PROMPT4", Prompt},
	{"RPROMPT", Prompt}, {"RPROMPT2", Prompt}, {"RPS1", Prompt}, {"RPS2", Prompt},
	{"SPROMPT", Prompt}, {"PSVAR", Prompt}, {"POSTEDIT", Prompt}, {"HISTFILE", Prompt},
	{"HISTFILESIZE", Prompt}, {"HISTSIZE", Prompt}, {"HISTCONTROL", Prompt},
	{"HISTIGNORE", Prompt}, {"HISTTIMEFORMAT", Prompt}, {"HISTCHARS", Prompt},
	{"HISTORY_IGNORE", Prompt}, {"SAVEHIST", Prompt}, {"MAIL", Prompt},
	{"MAILCHECK", Prompt}, {"MAILPATH", Prompt}, {"WATCH", Prompt}, {"WATCHFMT", Prompt},
	{"LOGCHECK", Prompt}, {"REPORTTIME", Prompt}, {"REPORTMEMORY", Prompt},
	{"TIMEFMT", Prompt}, {"PERIOD", Prompt},

	// The dynamic loader and the C library.
	{"GCONV_PATH", Loader}, {"LOCPATH", Loader}, {"NLSPATH", Loader},
	{"GLIBC_TUNABLES", Loader}, {"HOSTALIASES", Loader}, {"RESOLV_HOST_CONF", Loader},
	{"RES_OPTIONS", Loader}, {"LOCALDOMAIN", Loader}, {"OPENSSL_CONF", Loader},
	{"OPENSSL_ENGINES", Loader}, {"OPENSSL_MODULES", Loader}, {"TZDIR", Loader},
	{"MEMUSAGE_OUTPUT", Loader}, {"PCPROFILE_OUTPUT", Loader},
	{"SEGFAULT_OUTPUT_NAME", Loader}, {"GMON_OUT_PREFIX", Loader}, {"GETCONF_DIR", Loader},
	{"LIBPATH", Loader}, {"SHLIB_PATH", Loader},

	// The desktop session.
	{"DISPLAY", Session}, {"WAYLAND_DISPLAY", Session}, {"XAUTHORITY", Session},

	// Proxies, CA bundles and what else decides whom a program trusts.
	{"HTTP_PROXY", Proxy}, {"HTTPS_PROXY", Proxy}, {"ALL_PROXY", Proxy},
	{"NO_PROXY", Proxy}, {"FTP_PROXY", Proxy}, {"SOCKS_PROXY", Proxy},
	{"SOCKS5_PROXY", Proxy}, {"RSYNC_PROXY", Proxy}, {"WSS_PROXY", Proxy},
	{"WS_PROXY", Proxy}, {"SSL_CERT_FILE", Proxy}, {"SSL_CERT_DIR", Proxy},
	{"CURL_CA_BUNDLE", Proxy}, {"REQUESTS_CA_BUNDLE", Proxy},
	{"NODE_EXTRA_CA_CERTS", Proxy}, {"NODE_TLS_REJECT_UNAUTHORIZED", Proxy},
	{"NODE_USE_ENV_PROXY", Proxy}, {"AWS_CA_BUNDLE", Proxy},
	{"GRPC_DEFAULT_SSL_ROOTS_FILE_PATH", Proxy}, {"HTTPLIB2_CA_CERTS", Proxy},
	{"NIX_SSL_CERT_FILE", Proxy},
	{"SSLKEYLOGFILE", Proxy}, {"CURL_HOME", Proxy}, {"WGETRC", Proxy}, {"NETRC", Proxy},
	{"DENO_CERT", Proxy}, {"DENO_TLS_CA_STORE", Proxy},

	// Interpreters, compilers and build tools.
	{"NODE_OPTIONS", Runtime}, {"NODE_PATH", Runtime}, {"NODE_REPL_EXTERNAL_MODULE", Runtime},
	{"NODE_REPL_HISTORY", Runtime}, {"NODE_ICU_DATA", Runtime},
	{"NODE_REDIRECT_WARNINGS", Runtime}, {"NODE_V8_COVERAGE", Runtime},
	{"NODE_COMPILE_CACHE", Runtime}, {"NODE_PRESERVE_SYMLINKS", Runtime},
	{"PERLLIB", Runtime}, {"PERLIO", Runtime}, {"PERLDB_OPTS", Runtime},
	{"PERL_MM_OPT", Runtime}, {"PERL_MB_OPT", Runtime}, {"RUBYOPT", Runtime},
	{"RUBYLIB", Runtime}, {"RUBYPATH", Runtime}, {"RUBYSHELL", Runtime},
	{"JAVA_TOOL_OPTIONS", Runtime}, {"_JAVA_OPTIONS", Runtime}, {"JDK_JAVA_OPTIONS", Runtime},
	{"JAVA_OPTIONS", Runtime}, {"JAVA_OPTS", Runtime}, {"JAVA_HOME", Runtime},
	{"CLASSPATH", Runtime}, {"MAVEN_OPTS", Runtime}, {"MAVEN_ARGS", Runtime},
	{"GRADLE_OPTS", Runtime}, {"ANT_OPTS", Runtime}, {"SBT_OPTS", Runtime},
	{"GOFLAGS", Runtime}, {"GOROOT", Runtime}, {"GOTOOLCHAIN", Runtime}, {"GOENV", Runtime},
	{"GOCACHEPROG", Runtime}, {"GOEXPERIMENT", Runtime}, {"GODEBUG", Runtime},
	{"GOBIN", Runtime}, {"GOPATH", Runtime}, {"GOCACHE", Runtime}, {"GOMODCACHE", Runtime},
	{"RUSTC_WRAPPER", Runtime}, {"RUSTC_WORKSPACE_WRAPPER", Runtime}, {"RUSTC", Runtime},
	{"RUSTDOC", Runtime}, {"RUSTFLAGS", Runtime}, {"RUSTDOCFLAGS", Runtime},
	{"RUSTUP_HOME", Runtime}, {"RUSTUP_TOOLCHAIN", Runtime}, {"PHPRC", Runtime},
	{"PHP_INI_SCAN_DIR", Runtime}, {"R_PROFILE", Runtime}, {"R_PROFILE_USER", Runtime},
	{"R_ENVIRON", Runtime}, {"R_ENVIRON_USER", Runtime}, {"R_LIBS", Runtime},
	{"R_LIBS_USER", Runtime}, {"R_HOME", Runtime}, {"TCLLIBPATH", Runtime},
	{"TCL_LIBRARY", Runtime}, {"TK_LIBRARY", Runtime}, {"ERL_AFLAGS", Runtime},
	{"ERL_ZFLAGS", Runtime}, {"ERL_FLAGS", Runtime}, {"ERL_LIBS", Runtime},
	{"ELIXIR_ERL_OPTIONS", Runtime}, {"GHC_ENVIRONMENT", Runtime}, {"GHCRTS", Runtime},
	{"JULIA_LOAD_PATH", Runtime}, {"JULIA_DEPOT_PATH", Runtime}, {"JULIA_PROJECT", Runtime},
	{"EMACSLOADPATH", Runtime}, {"DENO_DIR", Runtime}, {"CC", Runtime}, {"CXX", Runtime},
	{"CPP", Runtime}, {"LD", Runtime}, {"AR", Runtime}, {"AS", Runtime},
	{"CFLAGS", Runtime}, {"CXXFLAGS", Runtime}, {"CPPFLAGS", Runtime}, {"LDFLAGS", Runtime},
	{"MAKEFLAGS", Runtime}, {"MAKEFILES", Runtime}, {"GNUMAKEFLAGS", Runtime},
	{"MFLAGS", Runtime}, {"PKG_CONFIG_PATH", Runtime}, {"LIBRARY_PATH", Runtime},
	{"CPATH", Runtime}, {"C_INCLUDE_PATH", Runtime}, {"CPLUS_INCLUDE_PATH", Runtime},
	{"GCC_EXEC_PREFIX", Runtime}, {"COMPILER_PATH", Runtime},

	// Package managers and cloud command lines.
	{"YARN_RC_FILENAME", Packages}, {"YARN_REGISTRY", Packages},
	{"YARN_NPM_REGISTRY_SERVER", Packages}, {"PNPM_HOME", Packages},
	{"UV_INDEX_URL", Packages}, {"UV_EXTRA_INDEX_URL", Packages},
	{"UV_DEFAULT_INDEX", Packages}, {"UV_INDEX", Packages}, {"UV_FIND_LINKS", Packages},
	{"UV_CONFIG_FILE", Packages}, {"UV_PYTHON_INSTALL_MIRROR", Packages},
	{"POETRY_CONFIG_DIR", Packages}, {"POETRY_HOME", Packages}, {"CONDARC", Packages},
	{"GOPROXY", Packages}, {"GONOSUMDB", Packages}, {"GONOSUMCHECK", Packages},
	{"GONOPROXY", Packages}, {"GOPRIVATE", Packages}, {"GOINSECURE", Packages},
	{"GOSUMDB", Packages}, {"GOAUTH", Packages}, {"GOVCS", Packages},
	{"CARGO_HOME", Packages}, {"CARGO_INSTALL_ROOT", Packages},
	{"CARGO_ENCODED_RUSTFLAGS", Packages}, {"CARGO_REGISTRY_CREDENTIAL_PROVIDER", Packages},
	{"CARGO_REGISTRY_GLOBAL_CREDENTIAL_PROVIDERS", Packages},
	{"CARGO_REGISTRY_DEFAULT", Packages}, {"BUNDLE_GEMFILE", Packages},
	{"BUNDLE_APP_CONFIG", Packages}, {"BUNDLE_USER_CONFIG", Packages},
	{"BUNDLE_USER_HOME", Packages}, {"BUNDLE_PATH", Packages}, {"BUNDLE_BIN", Packages},
	{"GEM_HOME", Packages}, {"GEM_PATH", Packages}, {"GEM_SPEC_CACHE", Packages},
	{"GEMRC", Packages}, {"COMPOSER", Packages}, {"COMPOSER_HOME", Packages},
	{"GRADLE_USER_HOME", Packages}, {"M2_HOME", Packages}, {"MAVEN_HOME", Packages},
	{"AWS_CONFIG_FILE", Packages}, {"AWS_SHARED_CREDENTIALS_FILE", Packages},
	{"AZURE_CONFIG_DIR", Packages}, {"KUBECONFIG", Packages}, {"DOCKER_CONFIG", Packages},
	{"DOCKER_HOST", Packages}, {"DOCKER_CERT_PATH", Packages}, {"DOCKER_CONTEXT", Packages},
	{"HELM_PLUGINS", Packages}, {"TF_CLI_CONFIG_FILE", Packages},
	{"TERRAFORM_CONFIG", Packages}, {"TF_PLUGIN_CACHE_DIR", Packages},
	{"GH_CONFIG_DIR", Packages}, {"ANSIBLE_CONFIG", Packages},
	{"ANSIBLE_VAULT_PASSWORD_FILE", Packages},

	// Programs and agents other programs start or trust.
	{"EDITOR", Tools}, {"VISUAL", Tools}, {"PAGER", Tools}, {"MANPAGER", Tools},
	{"MANOPT", Tools}, {"MANPATH", Tools}, {"MANROFFOPT", Tools}, {"LESS", Tools},
	{"LESSOPEN", Tools}, {"LESSCLOSE", Tools}, {"LESSKEY", Tools}, {"LESSKEYIN", Tools},
	{"LESSEDIT", Tools}, {"LESSSECURE", Tools}, {"LESSHISTFILE", Tools}, {"BROWSER", Tools},
	{"TERMINAL", Tools}, {"SSH_ASKPASS", Tools}, {"SSH_ASKPASS_REQUIRE", Tools},
	{"SUDO_ASKPASS", Tools}, {"SSH_AUTH_SOCK", Tools},
	{"SSH_AGENT_PID", Tools}, {"GPG_AGENT_INFO", Tools}, {"GNUPGHOME", Tools},
	{"KRB5CCNAME", Tools}, {"KRB5_CONFIG", Tools}, {"FCEDIT", Tools},
	{"SYSTEMD_LESS", Tools},
	{"VIMINIT", Tools}, {"EXINIT", Tools}, {"GVIMINIT", Tools}, {"MYVIMRC", Tools},
	{"MYGVIMRC", Tools}, {"VIMRUNTIME", Tools}, {"NVIM_APPNAME", Tools},
	{"HGRCPATH", Tools}, {"HGEDITOR", Tools}, {"CVSEDITOR", Tools}, {"STARSHIP_CONFIG", Tools},
	{"IPYTHONDIR", Tools}, {"JUPYTER_CONFIG_DIR", Tools}, {"SCREENRC", Tools},
	{"AWK", Tools}, {"SED", Tools}, {"AWKPATH", Tools}, {"JQ_LIBRARY_PATH", Tools},
	{"GTK_MODULES", Loader}, {"GTK_PATH", Loader}, {"GIO_EXTRA_MODULES", Loader},

	// fish's own, beside the fish_* family.
	{"CMD_DURATION", Fish},

	// zsh's specials. The lower-case arrays tied to an upper-case scalar
	// (path to PATH) are listed in their case, which Refused matches first:
	// zsh cannot assign them a string, while the scalar may be forced.
	{"path", Zsh}, {"fpath", Zsh}, {"cdpath", Zsh}, {"manpath", Zsh}, {"mailpath", Zsh},
	{"module_path", Zsh}, {"psvar", Zsh}, {"fignore", Zsh}, {"watch", Zsh},
	{"histchars", Zsh}, {"dirstack", Zsh}, {"termcap", Zsh}, {"terminfo", Zsh}, {"ARGC", Zsh}, {"argv", Zsh}, {"aliases", Zsh}, {"builtins", Zsh}, {"commands", Zsh},
	{"funcfiletrace", Zsh}, {"funcsourcetrace", Zsh}, {"funcstack", Zsh},
	{"functions", Zsh}, {"functions_source", Zsh}, {"functrace", Zsh}, {"galiases", Zsh},
	{"historywords", Zsh}, {"jobdirs", Zsh}, {"jobstates", Zsh}, {"jobtexts", Zsh},
	{"keymaps", Zsh}, {"modules", Zsh}, {"nameddirs", Zsh}, {"options", Zsh},
	{"parameters", Zsh}, {"patchars", Zsh}, {"reswords", Zsh}, {"saliases", Zsh},
	{"userdirs", Zsh}, {"usergroups", Zsh}, {"widgets", Zsh}, {"epochtime", Zsh},
	{"errnos", Zsh}, {"langinfo", Zsh}, {"mapfile", Zsh}, {"sysparams", Zsh},
	{"signals", Zsh}, {"NULLCMD", Zsh}, {"READNULLCMD", Zsh},
	{"STTY", Zsh}, {"USERNAME", Zsh}, {"KEYTIMEOUT", Zsh}, {"WORDCHARS", Zsh}, {"KEYBOARD_HACK", Zsh},
	{"TRY_BLOCK_ERROR", Zsh}, {"TRY_BLOCK_INTERRUPT", Zsh}, {"ZBEEP", Zsh},
	{"DIRSTACKSIZE", Zsh}, {"LISTMAX", Zsh}, {"CORRECT_IGNORE", Zsh},
	{"CORRECT_IGNORE_FILE", Zsh}, {"TMPPREFIX", Zsh}, {"precmd_functions", Zsh},
	{"preexec_functions", Zsh}, {"chpwd_functions", Zsh}, {"periodic_functions", Zsh},
	{"zshaddhistory_functions", Zsh}, {"zshexit_functions", Zsh},

	// nushell's own.
	{"config", Nushell}, {"ENV_CONVERSIONS", Nushell}, {"LAST_EXIT_CODE", Nushell},
	{"CMD_DURATION_MS", Nushell},

	// PowerShell, and what Windows runs programs by.
	{"PSModulePath", PowerShell}, {"PSModuleAnalysisCachePath", PowerShell},
	{"PSExecutionPolicyPreference", PowerShell}, {"__PSLockdownPolicy", PowerShell},
	{"PATHEXT", PowerShell}, {"COMSPEC", PowerShell}, {"SYSTEMROOT", PowerShell},
	{"WINDIR", PowerShell}, {"APPDATA", PowerShell}, {"LOCALAPPDATA", PowerShell},
	{"USERPROFILE", PowerShell}, {"HOMEDRIVE", PowerShell}, {"HOMEPATH", PowerShell},
	{"TEMP", PowerShell}, {"TMP", PowerShell}, {"PROGRAMDATA", PowerShell},

	// Read-only in bash, zsh, fish or nushell. Some are in a family of
	// another category too: listed here, they cannot be forced.
	{"SHELLOPTS", ReadOnly}, {"BASHOPTS", ReadOnly}, {"BASH_VERSINFO", ReadOnly},
	{"FILE_PWD", ReadOnly}, {"CURRENT_FILE", ReadOnly}, {"ZSH_SUBSHELL", ReadOnly},
	{"ZSH_EVAL_CONTEXT", ReadOnly}, {"zsh_scheduled_events", ReadOnly},
	{"EPOCHSECONDS", ReadOnly}, {"EPOCHREALTIME", ReadOnly}, {"UID", ReadOnly}, {"EUID", ReadOnly}, {"GID", ReadOnly}, {"EGID", ReadOnly},
	{"PPID", ReadOnly}, {"BASHPID", ReadOnly}, {"LINENO", ReadOnly}, {"HISTCMD", ReadOnly},
	{"TTYIDLE", ReadOnly}, {"PWD", ReadOnly}, {"SHLVL", ReadOnly}, {"_", ReadOnly},
	{"status", ReadOnly}, {"pipestatus", ReadOnly}, {"history", ReadOnly},
	{"version", ReadOnly}, {"hostname", ReadOnly}, {"last_pid", ReadOnly},
	{"status_generation", ReadOnly}, {"umask", ReadOnly},
}

// families are the refused families of names.
var families = [...]family{
	{"BASH_", "", Shell}, {"COMP_", "", Shell}, {"ZSH_", "", Shell},
	{"PROMPT_", "", Prompt},
	{"LD_", "", Loader}, {"DYLD_", "", Loader}, {"MALLOC_", "", Loader},
	{"GIT_", "", Git},
	{"DBUS_", "", Session}, {"XDG_", "", Session},
	{"PYTHON", "", Runtime}, {"PERL5", "", Runtime}, {"DOTNET_", "", Runtime},
	{"COMPlus_", "", Runtime}, {"COR_", "", Runtime}, {"CORECLR_", "", Runtime},
	{"LUA_", "", Runtime}, {"CGO_", "", Runtime},
	{"npm_config_", "", Packages}, {"PIP_", "", Packages},
	{"POETRY_REPOSITORIES_", "", Packages}, {"CARGO_BUILD_", "", Packages},
	{"CARGO_TARGET_", "", Packages}, {"CARGO_HTTP_", "", Packages},
	{"CARGO_NET_", "", Packages}, {"CARGO_ALIAS_", "", Packages},
	{"CARGO_SOURCE_", "", Packages}, {"CARGO_REGISTRIES_", "_INDEX", Packages},
	{"CARGO_REGISTRIES_", "_CREDENTIAL_PROVIDER", Packages},
	{"AWS_ENDPOINT_URL", "", Packages}, {"CLOUDSDK_", "", Packages},
	{"TF_CLI_ARGS", "", Packages},
	{"fish_", "", Fish}, {"__fish_", "", Fish},
	{"dis_", "", Zsh}, {"ZLE_", "", Zsh}, {"ZCURSES_", "", Zsh},
	{"NU_", "", Nushell}, {"TRANSIENT_PROMPT_", "", Nushell},
	{"POWERSHELL_", "", PowerShell},
	{"KAGE_", "", Kage}, {"_kage_", "", Kage}, {"__kage_", "", Kage},
	// Last: a name of a family above (GIT_PAGER) is refused as that one.
	{"", "_PLUGIN_PATH", Loader}, {"GST_PLUGIN_", "", Loader}, {"LIBGL_", "", Loader},
	{"", "_EDITOR", Tools}, {"", "_PAGER", Tools}, {"", "_RSH", Tools},
	{"FZF_", "_COMMAND", Tools}, {"FZF_DEFAULT_", "", Tools},
}
