//go:build aws

package keyring_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

// awsFake is a local AWS Secrets Manager: it speaks the service's JSON 1.1
// protocol (POST /, X-Amz-Target: secretsmanager.Op, application/x-amz-json-1.1)
// for the calls kage makes, with the service's error shapes, so that the
// real SDK client can be pointed at it with only the endpoint changed.
type awsFake struct {
	t   *testing.T
	URL string

	mu      sync.Mutex
	secrets map[string]*fakeSecret
	calls   map[string]int
	// fail, when it returns a code, answers op with that error instead.
	fail func(op string) (code, msg string)
	// pageSize is ListSecrets' page size when the caller sets none; small
	// so that kage's paging is exercised.
	pageSize int
	// lastDelete is the last DeleteSecret request, as sent.
	lastDelete map[string]any
}

type fakeSecret struct {
	name     string
	arn      string
	value    []byte
	created  time.Time
	changed  time.Time
	tags     []fakeTag
	deleted  time.Time // zero unless scheduled for deletion
	versions int
}

type fakeTag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

func newAWSFake(t *testing.T) *awsFake {
	f := &awsFake{t: t, secrets: map[string]*fakeSecret{}, calls: map[string]int{}, pageSize: 3}
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	return f
}

// epoch is how the JSON protocol writes timestamps: seconds since 1970 as
// a number, here to the millisecond as the service does.
func epoch(t time.Time) json.Number {
	return json.Number(strconv.FormatFloat(float64(t.UnixMilli())/1000, 'f', 3, 64))
}

// now is time.Now, to the millisecond as the service keeps it, and never
// equal to the previous call: two writes within one millisecond still
// change LastChangedDate.
func (f *awsFake) now(prev time.Time) time.Time {
	n := time.Now().Truncate(time.Millisecond)
	if !n.After(prev) {
		n = prev.Add(time.Millisecond)
	}
	return n
}

func (f *awsFake) serve(w http.ResponseWriter, r *http.Request) {
	target := r.Header.Get("X-Amz-Target")
	op, ok := strings.CutPrefix(target, "secretsmanager.")
	if r.Method != http.MethodPost || !ok || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-amz-json-1.1") {
		f.t.Errorf("awsfake: unexpected request %s %s target %q content type %q", r.Method, r.URL, target, r.Header.Get("Content-Type"))
		writeErr(w, 400, "UnknownOperationException", "")
		return
	}
	if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 Credential=") {
		writeErr(w, 400, "UnrecognizedClientException", "The security token included in the request is invalid.")
		return
	}
	var in map[string]any
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		writeErr(w, 400, "SerializationException", err.Error())
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[op]++
	if f.fail != nil {
		if code, msg := f.fail(op); code != "" {
			writeErr(w, 400, code, msg)
			return
		}
	}
	var out any
	var code, msg string
	switch op {
	case "CreateSecret":
		out, code, msg = f.create(in)
	case "PutSecretValue":
		out, code, msg = f.put(in)
	case "GetSecretValue":
		out, code, msg = f.get(in)
	case "BatchGetSecretValue":
		out, code, msg = f.batchGet(in)
	case "DeleteSecret":
		out, code, msg = f.delete(in)
	case "ListSecrets":
		out, code, msg = f.list(in)
	default:
		f.t.Errorf("awsfake: kage called %s, which the fake does not serve", op)
		code, msg = "UnknownOperationException", op
	}
	if code != "" {
		writeErr(w, 400, code, msg)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-RequestId", fmt.Sprintf("%08x-fake", rand.Uint32()))
	json.NewEncoder(w).Encode(out)
}

func writeErr(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", code)
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": msg})
}

// validTagValue is the service's pattern for tag values.
var validTagValue = regexp.MustCompile(`^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$`)

const (
	msgNotFound = "Secrets Manager can't find the specified secret."
	msgDeleted  = "You can't perform this operation on the secret because it was marked for deletion."
)

func str(in map[string]any, k string) string { s, _ := in[k].(string); return s }

// lookup finds a secret by name or ARN, as SecretId allows.
func (f *awsFake) lookup(id string) *fakeSecret {
	if s, ok := f.secrets[id]; ok {
		return s
	}
	for _, s := range f.secrets {
		if s.arn == id {
			return s
		}
	}
	return nil
}

// binary decodes SecretBinary, which the protocol carries in base64.
func binary(in map[string]any) ([]byte, bool) {
	s, ok := in["SecretBinary"].(string)
	if !ok {
		return nil, false
	}
	var b []byte
	if err := json.Unmarshal([]byte(strconv.Quote(s)), &b); err != nil {
		return nil, false
	}
	return b, true
}

func (f *awsFake) create(in map[string]any) (any, string, string) {
	name := str(in, "Name")
	if s := f.secrets[name]; s != nil {
		if !s.deleted.IsZero() {
			return nil, "InvalidRequestException", "You can't create this secret because a secret with this name is already scheduled for deletion."
		}
		return nil, "ResourceExistsException", fmt.Sprintf("The operation failed because the secret %s already exists.", name)
	}
	v, ok := binary(in)
	if !ok || len(v) > 65536 {
		return nil, "InvalidParameterException", "You must provide SecretBinary of at most 65536 bytes."
	}
	now := f.now(time.Time{})
	s := &fakeSecret{name: name, arn: fmt.Sprintf("arn:aws:secretsmanager:us-east-1:123456789012:secret:%s-%06d", name, rand.IntN(1e6)), value: v, created: now, changed: now, versions: 1}
	if len(name) > 512 {
		return nil, "ValidationException", "Member must have length less than or equal to 512"
	}
	if tags, ok := in["Tags"].([]any); ok {
		for _, tg := range tags {
			m, _ := tg.(map[string]any)
			v := str(m, "Value")
			if !validTagValue.MatchString(v) || utf8.RuneCountInString(v) > 256 {
				return nil, "InvalidParameterException", "You provided an invalid tag value: " + v
			}
			s.tags = append(s.tags, fakeTag{Key: str(m, "Key"), Value: v})
		}
	}
	f.secrets[name] = s
	return map[string]any{"ARN": s.arn, "Name": s.name, "VersionId": "v1"}, "", ""
}

func (f *awsFake) put(in map[string]any) (any, string, string) {
	s := f.lookup(str(in, "SecretId"))
	if s == nil {
		return nil, "ResourceNotFoundException", msgNotFound
	}
	if !s.deleted.IsZero() {
		return nil, "InvalidRequestException", msgDeleted
	}
	v, ok := binary(in)
	if !ok || len(v) > 65536 {
		return nil, "InvalidParameterException", "You must provide SecretBinary of at most 65536 bytes."
	}
	s.value, s.changed = v, f.now(s.changed)
	s.versions++
	return map[string]any{"ARN": s.arn, "Name": s.name, "VersionId": fmt.Sprintf("v%d", s.versions)}, "", ""
}

func (f *awsFake) get(in map[string]any) (any, string, string) {
	s := f.lookup(str(in, "SecretId"))
	if s == nil {
		return nil, "ResourceNotFoundException", msgNotFound
	}
	if !s.deleted.IsZero() {
		return nil, "InvalidRequestException", msgDeleted
	}
	return f.valueEntry(s), "", ""
}

func (f *awsFake) valueEntry(s *fakeSecret) map[string]any {
	return map[string]any{"ARN": s.arn, "Name": s.name, "SecretBinary": s.value, "VersionId": fmt.Sprintf("v%d", s.versions), "VersionStages": []string{"AWSCURRENT"}, "CreatedDate": epoch(s.changed)}
}

func (f *awsFake) batchGet(in map[string]any) (any, string, string) {
	ids, _ := in["SecretIdList"].([]any)
	if len(ids) == 0 || len(ids) > 20 {
		return nil, "InvalidParameterException", "SecretIdList must hold 1 to 20 secret IDs."
	}
	values, errs := []any{}, []any{}
	for _, x := range ids {
		id, _ := x.(string)
		s := f.lookup(id)
		switch {
		case s == nil:
			errs = append(errs, map[string]any{"SecretId": id, "ErrorCode": "ResourceNotFoundException", "Message": msgNotFound})
		case !s.deleted.IsZero():
			errs = append(errs, map[string]any{"SecretId": id, "ErrorCode": "InvalidRequestException", "Message": msgDeleted})
		default:
			values = append(values, f.valueEntry(s))
		}
	}
	return map[string]any{"SecretValues": values, "Errors": errs}, "", ""
}

func (f *awsFake) delete(in map[string]any) (any, string, string) {
	f.lastDelete = in
	s := f.lookup(str(in, "SecretId"))
	if s == nil {
		return nil, "ResourceNotFoundException", msgNotFound
	}
	force, _ := in["ForceDeleteWithoutRecovery"].(bool)
	days, hasDays := in["RecoveryWindowInDays"].(float64)
	if force && hasDays {
		return nil, "InvalidParameterException", "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays."
	}
	if hasDays && (days < 7 || days > 30) {
		return nil, "InvalidParameterException", "RecoveryWindowInDays must be between 7 and 30 days."
	}
	if !hasDays {
		days = 30
	}
	if force {
		delete(f.secrets, s.name)
		return map[string]any{"ARN": s.arn, "Name": s.name, "DeletionDate": epoch(time.Now())}, "", ""
	}
	if !s.deleted.IsZero() {
		return nil, "InvalidRequestException", msgDeleted
	}
	s.deleted = time.Now().Add(time.Duration(days) * 24 * time.Hour)
	return map[string]any{"ARN": s.arn, "Name": s.name, "DeletionDate": epoch(s.deleted)}, "", ""
}

func (f *awsFake) list(in map[string]any) (any, string, string) {
	var prefixes []string
	filters, _ := in["Filters"].([]any)
	for _, x := range filters {
		m, _ := x.(map[string]any)
		if str(m, "Key") != "name" {
			return nil, "InvalidParameterException", "the fake filters by name only"
		}
		vals, _ := m["Values"].([]any)
		for _, v := range vals {
			s, _ := v.(string)
			prefixes = append(prefixes, s)
		}
	}
	var names []string
	for n, s := range f.secrets {
		if !s.deleted.IsZero() && in["IncludePlannedDeletion"] != true {
			continue
		}
		if len(prefixes) == 0 || slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(n, p) }) {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	start := 0
	if tok := str(in, "NextToken"); tok != "" {
		var err error
		if start, err = strconv.Atoi(tok); err != nil {
			return nil, "InvalidNextTokenException", "bad token"
		}
	}
	size := f.pageSize
	if m, ok := in["MaxResults"].(float64); ok {
		size = int(m)
	}
	end := min(start+size, len(names))
	list := []any{}
	for _, n := range names[min(start, end):end] {
		s := f.secrets[n]
		list = append(list, map[string]any{"ARN": s.arn, "Name": s.name, "CreatedDate": epoch(s.created), "LastChangedDate": epoch(s.changed), "Tags": s.tags})
	}
	out := map[string]any{"SecretList": list}
	if end < len(names) {
		out["NextToken"] = strconv.Itoa(end)
	}
	return out, "", ""
}
