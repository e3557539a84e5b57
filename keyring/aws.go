//go:build aws

package keyring

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/smithy-go"
)

// AWSMaxValue is the largest secret value AWS Secrets Manager stores.
const AWSMaxValue = 65536

// awsPrefix starts the name of every secret kage keeps in Secrets Manager,
// so that List asks only for kage's and the console groups them.
const awsPrefix = "kage/"

// awsMaxName is the longest secret name Secrets Manager takes.
const awsMaxName = 512

// awsBatch is the most secrets one BatchGetSecretValue call takes by id.
const awsBatch = 20

// AWSBuilt says whether this kage has the aws backend compiled in.
const AWSBuilt = true

// AWS keeps each kage secret as one AWS Secrets Manager secret named
// kage/global/NAME, kage/namespace/NS/NAME or kage/repo/ENC/NAME (ENC the
// canonical path in unpadded base64url, so the name stays within the
// characters Secrets Manager allows and decodes back exactly), tagged
// kage:scope and kage:name. Values are kept as SecretBinary so that every
// byte survives. It needs no local index: List asks the service.
type AWS struct {
	client *secretsmanager.Client
	cfg    AWSConfig
}

// NewAWS makes the client from the SDK's standard chain (environment,
// shared config and profiles, SSO, IMDS); cfg.Region, when set, wins over
// the chain's region. It contacts no service: credentials are looked up on
// the first call.
func NewAWS(ctx context.Context, cfg AWSConfig) (*AWS, error) {
	var opts []func(*awsconfig.LoadOptions) error
	if cfg.Region != "" {
		opts = append(opts, awsconfig.WithRegion(cfg.Region))
	}
	if cfg.MaxAttempts > 0 {
		opts = append(opts, awsconfig.WithRetryMaxAttempts(cfg.MaxAttempts))
	}
	ac, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, &UnavailableError{
			Reason: "cannot load the AWS configuration: " + err.Error(),
			Fix:    "check ~/.aws/config and the AWS_* environment variables (aws configure list shows what the SDK sees)",
			Err:    err,
		}
	}
	if ac.Region == "" {
		return nil, &UnavailableError{
			Reason: "no AWS region for the aws backend",
			Fix:    "set region = \"us-east-1\" (your region) under [secrets] in config.toml, or AWS_REGION, or region in your AWS profile",
		}
	}
	client := secretsmanager.NewFromConfig(ac, func(o *secretsmanager.Options) {
		if cfg.BaseEndpoint != "" {
			o.BaseEndpoint = aws.String(cfg.BaseEndpoint)
		}
	})
	return &AWS{client: client, cfg: cfg}, nil
}

// awsSecretName is the Secrets Manager name of a kage secret.
func awsSecretName(scope, name string) string {
	switch {
	case scope == "global":
		return awsPrefix + "global/" + name
	case strings.HasPrefix(scope, "namespace:"):
		return awsPrefix + "namespace/" + strings.TrimPrefix(scope, "namespace:") + "/" + name
	case strings.HasPrefix(scope, "subscription:") && !strings.Contains(scope, "/"):
		return awsPrefix + "subscription/" + strings.TrimPrefix(scope, "subscription:") + "/" + name
	case strings.HasPrefix(scope, "repo:"):
		return awsPrefix + "repo/" + base64.RawURLEncoding.EncodeToString([]byte(strings.TrimPrefix(scope, "repo:"))) + "/" + name
	}
	// Not a canonical scope: keep it apart from the real ones rather than
	// fail, as the Store contract leaves scopes uninterpreted.
	return awsPrefix + "other/" + base64.RawURLEncoding.EncodeToString([]byte(scope)) + "/" + name
}

// awsTagValue makes v a valid tag value: Secrets Manager takes only
// letters, digits, spaces and _.:/=+-@, at most 256 of them. The tags are
// for people reading the console; kage reads scope and name from the
// secret's name, so a path with other characters loses only a little
// readability.
func awsTagValue(v string) string {
	out := []rune{}
	for _, r := range v {
		if len(out) == 256 {
			break
		}
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsNumber(r) && !unicode.In(r, unicode.Zs) && !strings.ContainsRune("_.:/=+-@", r) {
			r = '_'
		}
		out = append(out, r)
	}
	return string(out)
}

// awsParseName undoes awsSecretName; ok is false for a name kage did not
// make.
func awsParseName(secret string) (scope, name string, ok bool) {
	rest, found := strings.CutPrefix(secret, awsPrefix)
	if !found {
		return "", "", false
	}
	i := strings.LastIndexByte(rest, '/')
	if i < 0 || i == len(rest)-1 {
		return "", "", false
	}
	where, name := rest[:i], rest[i+1:]
	kind, arg, _ := strings.Cut(where, "/")
	switch kind {
	case "global":
		if where != "global" {
			return "", "", false
		}
		return "global", name, true
	case "namespace", "subscription":
		if arg == "" {
			return "", "", false
		}
		return kind + ":" + arg, name, true
	case "repo", "other":
		b, err := base64.RawURLEncoding.DecodeString(arg)
		if err != nil || len(b) == 0 {
			return "", "", false
		}
		if kind == "repo" {
			return "repo:" + string(b), name, true
		}
		return string(b), name, true
	}
	return "", "", false
}

// MaxValue is Secrets Manager's limit, the same for every name.
func (a *AWS) MaxValue(scope, name string) int { return AWSMaxValue }

// Set writes a new version of the secret, creating it when there is none.
// Putting first makes the common case, an update, one call.
func (a *AWS) Set(ctx context.Context, scope, name string, value []byte) error {
	if len(value) > AWSMaxValue {
		return &TooBigError{Name: name, Size: len(value), Limit: AWSMaxValue, System: "AWS Secrets Manager"}
	}
	id := awsSecretName(scope, name)
	if len(id) > awsMaxName {
		return &UnavailableError{
			Reason: fmt.Sprintf("the AWS Secrets Manager name for %q in %s would be %d characters; the service takes at most %d", name, scope, len(id), awsMaxName),
			Fix:    "use a shorter name, or a namespace instead of this deeply nested repository scope",
		}
	}
	for range 3 {
		_, err := a.client.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{
			SecretId:     aws.String(id),
			SecretBinary: value,
		})
		if !isAWSCode(err, "ResourceNotFoundException") {
			return a.translate(err, "secretsmanager:PutSecretValue", scope, name)
		}
		_, err = a.client.CreateSecret(ctx, &secretsmanager.CreateSecretInput{
			Name:         aws.String(id),
			SecretBinary: value,
			Description:  aws.String("kage secret " + name + " in " + scope),
			Tags: []types.Tag{
				{Key: aws.String("kage:scope"), Value: aws.String(awsTagValue(scope))},
				{Key: aws.String("kage:name"), Value: aws.String(awsTagValue(name))},
			},
		})
		// Another kage created it between our two calls: put again.
		if !isAWSCode(err, "ResourceExistsException") {
			return a.translate(err, "secretsmanager:CreateSecret and secretsmanager:TagResource", scope, name)
		}
	}
	return &UnavailableError{
		Reason: fmt.Sprintf("secret %s kept appearing and disappearing while kage set it", id),
		Fix:    "another process is creating and deleting it; run the command again",
	}
}

// Get reads the current version.
func (a *AWS) Get(ctx context.Context, scope, name string) ([]byte, error) {
	out, err := a.client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(awsSecretName(scope, name))})
	if err != nil {
		return nil, a.translate(err, "secretsmanager:GetSecretValue", scope, name)
	}
	if out.SecretBinary == nil && out.SecretString != nil {
		// Made by hand in the console: its text is the value.
		return []byte(*out.SecretString), nil
	}
	return out.SecretBinary, nil
}

// Delete schedules the secret's deletion after the configured recovery
// window (AWS's default when none is set), or deletes it at once with
// ForceDelete.
func (a *AWS) Delete(ctx context.Context, scope, name string) error {
	in := &secretsmanager.DeleteSecretInput{SecretId: aws.String(awsSecretName(scope, name))}
	switch {
	case a.cfg.ForceDelete:
		in.ForceDeleteWithoutRecovery = aws.Bool(true)
	case a.cfg.RecoveryWindowDays > 0:
		in.RecoveryWindowInDays = aws.Int64(int64(a.cfg.RecoveryWindowDays))
	}
	_, err := a.client.DeleteSecret(ctx, in)
	return a.translate(err, "secretsmanager:DeleteSecret", scope, name)
}

// List pages through ListSecrets filtered to kage's prefix. Secrets
// scheduled for deletion are left out, as the service does by default.
func (a *AWS) List(ctx context.Context) ([]Entry, error) {
	var out []Entry
	p := secretsmanager.NewListSecretsPaginator(a.client, &secretsmanager.ListSecretsInput{
		Filters: []types.Filter{{Key: types.FilterNameStringTypeName, Values: []string{awsPrefix}}},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, a.translate(err, "secretsmanager:ListSecrets", "", "")
		}
		for _, s := range page.SecretList {
			scope, name, ok := awsParseName(aws.ToString(s.Name))
			// The name filter is a prefix match that ignores case;
			// keep only names kage made.
			if !ok {
				continue
			}
			e := Entry{Scope: scope, Name: name, Created: aws.ToTime(s.CreatedDate), Updated: aws.ToTime(s.LastChangedDate)}
			if e.Updated.IsZero() || e.Updated.Before(e.Created) {
				e.Updated = e.Created
			}
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(x, y Entry) int {
		if c := strings.Compare(x.Name, y.Name); c != 0 {
			return c
		}
		return strings.Compare(x.Scope, y.Scope)
	})
	return out, nil
}

// GetMany reads refs with BatchGetSecretValue, twenty ids a call: one
// call for a whole resolution chain of a few names.
func (a *AWS) GetMany(ctx context.Context, refs []Ref) (map[Ref][]byte, error) {
	byID := map[string]Ref{}
	var ids []string
	for _, r := range refs {
		id := awsSecretName(r.Scope, r.Name)
		if _, dup := byID[id]; !dup {
			byID[id] = r
			ids = append(ids, id)
		}
	}
	got := map[Ref][]byte{}
	for chunk := range slices.Chunk(ids, awsBatch) {
		in := &secretsmanager.BatchGetSecretValueInput{SecretIdList: chunk}
		for {
			out, err := a.client.BatchGetSecretValue(ctx, in)
			if err != nil {
				return nil, a.translate(err, "secretsmanager:BatchGetSecretValue and secretsmanager:GetSecretValue", "", "")
			}
			for _, v := range out.SecretValues {
				r, ok := byID[aws.ToString(v.Name)]
				if !ok {
					continue
				}
				if v.SecretBinary == nil && v.SecretString != nil {
					got[r] = []byte(*v.SecretString)
				} else {
					got[r] = v.SecretBinary
				}
			}
			for _, e := range out.Errors {
				code, msg := aws.ToString(e.ErrorCode), aws.ToString(e.Message)
				if code == "ResourceNotFoundException" || (code == "InvalidRequestException" && awsDeletedMessage(msg)) {
					continue
				}
				r := byID[aws.ToString(e.SecretId)]
				return nil, a.translate(&smithy.GenericAPIError{Code: code, Message: msg}, "secretsmanager:GetSecretValue", r.Scope, r.Name)
			}
			if aws.ToString(out.NextToken) == "" {
				break
			}
			in.NextToken = out.NextToken
		}
	}
	return got, nil
}

// DeleteNow deletes the secret at once, without a recovery window, for
// kage secret rm --force; it also ends the recovery window of a secret
// already scheduled for deletion.
func (a *AWS) DeleteNow(ctx context.Context, scope, name string) error {
	_, err := a.client.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{
		SecretId:                   aws.String(awsSecretName(scope, name)),
		ForceDeleteWithoutRecovery: aws.Bool(true),
	})
	return a.translate(err, "secretsmanager:DeleteSecret", scope, name)
}

// awsDeletedMessage says whether an InvalidRequestException is the one for
// a secret scheduled for deletion; the service gives it no code of its own.
func awsDeletedMessage(msg string) bool {
	msg = strings.ToLower(msg)
	return strings.Contains(msg, "marked for deletion") || strings.Contains(msg, "scheduled for deletion")
}

func isAWSCode(err error, code string) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == code
}

// translate turns Secrets Manager and SDK errors into kage's. actions
// names the IAM actions the call needs, for an access-denied hint.
func (a *AWS) translate(err error, actions, scope, name string) error {
	if err == nil {
		return nil
	}
	id := awsSecretName(scope, name)
	var ae smithy.APIError
	if errors.As(err, &ae) {
		code, msg := ae.ErrorCode(), ae.ErrorMessage()
		switch {
		case code == "ResourceNotFoundException" && name != "":
			return &NotFoundError{Scope: scope, Name: name}
		case code == "InvalidRequestException" && awsDeletedMessage(msg):
			if strings.Contains(actions, "CreateSecret") || strings.Contains(actions, "PutSecretValue") {
				return &UnavailableError{
					Reason: fmt.Sprintf("secret %s is scheduled for deletion in AWS Secrets Manager", id),
					Fix:    fmt.Sprintf("restore it with: aws secretsmanager restore-secret --secret-id %s (then set it again), or delete it now with: kage secret rm --force", id),
					Err:    err,
				}
			}
			// To a reader a deleted secret is not there.
			if name != "" {
				return &NotFoundError{Scope: scope, Name: name}
			}
		case strings.Contains(code, "AccessDenied"), code == "UnrecognizedClientException", code == "InvalidSignatureException", code == "ExpiredTokenException":
			if code == "AccessDeniedException" || code == "AccessDenied" {
				return &UnavailableError{
					Reason: "AWS denied access: " + msg,
					Fix:    fmt.Sprintf("grant the caller %s on arn:aws:secretsmanager:*:*:secret:kage/* (ListSecrets and BatchGetSecretValue on *); see the README's IAM policy", actions),
					Err:    err,
				}
			}
			return &UnavailableError{
				Reason: "AWS rejected the credentials: " + msg,
				Fix:    "refresh them (aws sso login, or new access keys) and check which identity is used: aws sts get-caller-identity",
				Err:    err,
			}
		case strings.Contains(code, "Throttl") || code == "TooManyRequestsException" || code == "LimitExceededException":
			return &UnavailableError{
				Reason: "AWS Secrets Manager is throttling requests (kage retried with the SDK's backoff): " + msg,
				Fix:    "wait a moment and run the command again; many kage processes at once share the account's request quota",
				Err:    err,
			}
		case code == "DecryptionFailure" || code == "KMSAccessDeniedException":
			return &UnavailableError{
				Reason: "AWS could not decrypt " + id + ": " + msg,
				Fix:    "grant the caller kms:Decrypt on the secret's KMS key",
				Err:    err,
			}
		}
		return &UnavailableError{
			Reason: fmt.Sprintf("AWS Secrets Manager refused the request (%s): %s", code, msg),
			Fix:    "check the secret in the AWS console or with: aws secretsmanager describe-secret --secret-id " + id,
			Err:    err,
		}
	}
	if awsNoCredentials(err) {
		return &UnavailableError{
			Reason: "no AWS credentials found",
			Fix:    "configure them as for the aws CLI: aws configure, aws sso login --profile NAME with AWS_PROFILE=NAME, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; check with: aws sts get-caller-identity",
			Err:    err,
		}
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return &UnavailableError{Reason: "AWS Secrets Manager did not answer in time", Fix: "check your network connection and run the command again", Err: err}
	}
	return &UnavailableError{
		Reason: "cannot reach AWS Secrets Manager: " + err.Error(),
		Fix:    "check your network connection and the region (config.toml [secrets] region, or AWS_REGION)",
		Err:    err,
	}
}

// awsNoCredentials recognises the SDK's failure to find credentials: it
// has no error type of its own, only these messages.
func awsNoCredentials(err error) bool {
	msg := err.Error()
	for _, s := range []string{"get identity", "failed to retrieve credentials", "failed to refresh cached credentials", "no EC2 IMDS role found", "anonymous credentials"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// AWSConfig is what NewAWS needs. Defined in aws_stub.go too, so that
// callers compile without the tag.
type AWSConfig struct {
	// Region overrides the SDK's region chain when set (config.toml
	// [secrets] region).
	Region string
	// RecoveryWindowDays is how long a deleted secret can be restored
	// (7 to 30); 0 leaves AWS's default of 30 days.
	RecoveryWindowDays int
	// ForceDelete deletes without any recovery window (kage secret rm
	// --force).
	ForceDelete bool
	// BaseEndpoint replaces the service's address; for tests against a
	// local server only.
	BaseEndpoint string
	// MaxAttempts is how many times the SDK tries a call; 0 is its
	// default (3, with exponential backoff).
	MaxAttempts int
}

var _ Store = (*AWS)(nil)
