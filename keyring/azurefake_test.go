//go:build azure

package keyring_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// azureVaultURL is the vault the tests name. Its host ends in
// .vault.azure.net so that the SDK's challenge policy verifies the
// challenge's resource as it does for a real vault; the fake's HTTP
// client dials the local server for it.
const azureVaultURL = "https://kagetest.vault.azure.net/"

// azureToken is the bearer token the tests' credential gives.
const azureToken = "kage-test-token"

// azureFake is a local Azure Key Vault: it speaks the REST API (7.x) over
// TLS for the calls kage makes, with the bearer-challenge flow (a request
// without Authorization gets 401 and a WWW-Authenticate challenge) and the
// service's error shapes, so that the real SDK client is used with only
// its transport pointed here.
type azureFake struct {
	t      *testing.T
	Client *http.Client

	mu      sync.Mutex
	secrets map[string]*azSecret // by lower-case name: names ignore case
	calls   map[string]int
	// fail, when it returns a status, answers op with that error.
	fail func(op string) (status int, code, msg string)
	// pageSize is the list page size; small so that paging is used.
	pageSize int
	// challenges counts the 401 challenges sent.
	challenges int
}

type azSecret struct {
	name        string
	value       string
	contentType string
	tags        map[string]string
	created     time.Time
	updated     time.Time
	version     int
	deleted     bool
}

func newAzureFake(t *testing.T) *azureFake {
	f := &azureFake{t: t, secrets: map[string]*azSecret{}, calls: map[string]int{}, pageSize: 3}
	srv := httptest.NewTLSServer(http.HandlerFunc(f.serve))
	t.Cleanup(srv.Close)
	tr := srv.Client().Transport.(*http.Transport).Clone()
	addr := srv.Listener.Addr().String()
	tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}
	// httptest's certificate is for example.com.
	tr.TLSClientConfig.ServerName = "example.com"
	f.Client = &http.Client{Transport: tr}
	return f
}

var azureNameRE = regexp.MustCompile(`^[0-9A-Za-z-]{1,127}$`)

func azErr(w http.ResponseWriter, status int, code, msg string, inner string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	e := map[string]any{"code": code, "message": msg}
	if inner != "" {
		e["innererror"] = map[string]any{"code": inner}
	}
	json.NewEncoder(w).Encode(map[string]any{"error": e})
}

func (f *azureFake) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("api-version") == "" {
		azErr(w, 400, "BadParameter", "The request URI contains an invalid API version.", "")
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+azureToken {
		f.mu.Lock()
		f.challenges++
		f.mu.Unlock()
		w.Header().Set("WWW-Authenticate", `Bearer authorization="https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47", resource="https://vault.azure.net"`)
		azErr(w, 401, "Unauthorized", "AKV10000: Request is missing a Bearer or PoP token.", "")
		return
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	var op string
	switch {
	case len(parts) == 1 && parts[0] == "secrets" && r.Method == http.MethodGet:
		op = "List"
	case len(parts) == 2 && parts[0] == "secrets" && r.Method == http.MethodPut:
		op = "Set"
	case len(parts) == 2 && parts[0] == "secrets" && r.Method == http.MethodDelete:
		op = "Delete"
	case (len(parts) == 2 || len(parts) == 3 && parts[2] == "") && parts[0] == "secrets" && r.Method == http.MethodGet:
		op = "Get"
	case len(parts) == 2 && parts[0] == "deletedsecrets" && r.Method == http.MethodDelete:
		op = "Purge"
	default:
		f.t.Errorf("azurefake: kage sent %s %s, which the fake does not serve", r.Method, r.URL.Path)
		azErr(w, 400, "BadParameter", "unsupported", "")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[op]++
	if f.fail != nil {
		if st, code, msg := f.fail(op); st != 0 {
			if st == http.StatusTooManyRequests {
				w.Header().Set("Retry-After", "0")
			}
			azErr(w, st, code, msg, "")
			return
		}
	}
	var name string
	if len(parts) > 1 {
		name = parts[1]
		if !azureNameRE.MatchString(name) {
			azErr(w, 400, "BadParameter", "The request URI contains an invalid name: "+name, "")
			return
		}
	}
	s := f.secrets[strings.ToLower(name)]
	base := "https://" + r.Host
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	switch op {
	case "Set":
		var in struct {
			Value       *string           `json:"value"`
			ContentType string            `json:"contentType"`
			Tags        map[string]string `json:"tags"`
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Value == nil {
			azErr(w, 400, "BadParameter", "Property value is required.", "")
			return
		}
		if len(*in.Value) > 25*1024 {
			azErr(w, 400, "BadParameter", "Secret value is too large.", "")
			return
		}
		if len(in.Tags) > 15 {
			azErr(w, 400, "BadParameter", "Too many tags.", "")
			return
		}
		for k, v := range in.Tags {
			if len(k) > 512 || len(v) > 256 {
				azErr(w, 400, "BadParameter", "Tag too long.", "")
				return
			}
		}
		now := time.Now().Truncate(time.Second)
		if s != nil && s.deleted {
			azErr(w, 409, "Conflict", fmt.Sprintf("Secret %s is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged.", name), "ObjectIsDeletedButRecoverable")
			return
		}
		if s == nil {
			s = &azSecret{name: name, created: now}
			f.secrets[strings.ToLower(name)] = s
		}
		s.value, s.contentType, s.tags, s.updated = *in.Value, in.ContentType, in.Tags, now
		s.version++
		json.NewEncoder(w).Encode(f.bundle(base, s, true))
	case "Get":
		if s == nil || s.deleted {
			azErr(w, 404, "SecretNotFound", fmt.Sprintf("A secret with (name/id) %s was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command.", name), "")
			return
		}
		json.NewEncoder(w).Encode(f.bundle(base, s, true))
	case "Delete":
		if s == nil || s.deleted {
			azErr(w, 404, "SecretNotFound", fmt.Sprintf("A secret with (name/id) %s was not found in this key vault.", name), "")
			return
		}
		s.deleted = true
		out := f.bundle(base, s, false)
		out["recoveryId"] = base + "/deletedsecrets/" + s.name
		out["deletedDate"] = time.Now().Unix()
		out["scheduledPurgeDate"] = time.Now().Add(90 * 24 * time.Hour).Unix()
		json.NewEncoder(w).Encode(out)
	case "Purge":
		if s == nil || !s.deleted {
			azErr(w, 404, "SecretNotFound", fmt.Sprintf("Deleted Secret not found: %s", name), "")
			return
		}
		delete(f.secrets, strings.ToLower(name))
		w.WriteHeader(http.StatusNoContent)
	case "List":
		var names []string
		for n, s := range f.secrets {
			if !s.deleted {
				names = append(names, n)
			}
		}
		slices.Sort(names)
		start := 0
		if tok := r.URL.Query().Get("$skiptoken"); tok != "" {
			start, _ = strconv.Atoi(tok)
		}
		end := min(start+f.pageSize, len(names))
		list := []any{}
		for _, n := range names[min(start, end):end] {
			list = append(list, f.bundle(base, f.secrets[n], false))
		}
		out := map[string]any{"value": list, "nextLink": nil}
		if end < len(names) {
			out["nextLink"] = fmt.Sprintf("%s/secrets?api-version=%s&$skiptoken=%d&maxresults=%d", base, r.URL.Query().Get("api-version"), end, f.pageSize)
		}
		json.NewEncoder(w).Encode(out)
	}
}

// bundle is a SecretBundle (withValue) or a SecretItem, as the REST API
// writes them: whole-second Unix times, the id with the version for a
// bundle and without for an item.
func (f *azureFake) bundle(base string, s *azSecret, withValue bool) map[string]any {
	out := map[string]any{
		"id": base + "/secrets/" + s.name,
		"attributes": map[string]any{
			"enabled": true, "created": s.created.Unix(), "updated": s.updated.Unix(),
			"recoveryLevel": "Recoverable+Purgeable", "recoverableDays": 90,
		},
		"tags": s.tags,
	}
	if s.contentType != "" {
		out["contentType"] = s.contentType
	}
	if withValue {
		out["id"] = fmt.Sprintf("%s/secrets/%s/%032x", base, s.name, uint64(s.version)+rand.Uint64()<<32)
		out["value"] = s.value
	}
	return out
}
