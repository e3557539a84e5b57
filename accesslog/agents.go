package accesslog

// marker is how one coding agent shows in the environment of what it
// runs: any of vars set (non-empty) means the agent, and session, when it
// holds an id, is that agent's session. Only markers the agents' own
// source or documentation show them setting are here (README, "Using kage
// with coding agents"). They are what the environment claims: anyone who
// starts kage can set them.
type marker struct {
	name    string
	vars    []string
	session string
}

var markers = []marker{
	// Claude Code sets CLAUDECODE=1 in its Bash tool, hooks and MCP
	// servers, and CLAUDE_CODE_SESSION_ID (the session's UUID, as hooks
	// get it) since 2.1.132.
	{"claude-code", []string{"CLAUDECODE", "CLAUDE_CODE_SESSION_ID"}, "CLAUDE_CODE_SESSION_ID"},
	// Codex sets CODEX_THREAD_ID in its shell tool's environment, and the
	// sandbox markers.
	{"codex", []string{"CODEX_THREAD_ID", "CODEX_SANDBOX", "CODEX_SANDBOX_NETWORK_DISABLED"}, "CODEX_THREAD_ID"},
	// Gemini CLI sets GEMINI_CLI=1 for shell commands and MCP servers,
	// GEMINI_SESSION_ID in hooks.
	{"gemini-cli", []string{"GEMINI_CLI", "GEMINI_SESSION_ID"}, "GEMINI_SESSION_ID"},
	{"opencode", []string{"OPENCODE"}, ""},
	{"cursor", []string{"CURSOR_AGENT"}, ""},
	{"cline", []string{"CLINE_ACTIVE"}, ""},
	{"copilot", []string{"COPILOT_AGENT"}, ""},
}

// Agents lists the coding agents whose markers getenv holds, in a fixed
// order. A session id that does not look like one (a UUID, a word) is
// left out rather than recorded.
func Agents(getenv func(string) string) []Agent {
	var out []Agent
	for _, m := range markers {
		set := false
		for _, v := range m.vars {
			if getenv(v) != "" {
				set = true
				break
			}
		}
		if !set {
			continue
		}
		a := Agent{Name: m.name}
		if m.session != "" {
			if id := getenv(m.session); safeID(id) {
				a.Session = id
			}
		}
		out = append(out, a)
	}
	return out
}
