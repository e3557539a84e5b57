//go:build !aws

package keyring

import (
	"context"
	"errors"
)

// AWSBuilt says whether this kage has the aws backend compiled in.
const AWSBuilt = false

// AWSConfig is what NewAWS needs; see aws.go, built with -tags aws.
type AWSConfig struct {
	// Region overrides the SDK's region chain when set.
	Region string
	// RecoveryWindowDays is how long a deleted secret can be restored;
	// 0 leaves AWS's default.
	RecoveryWindowDays int
	// ForceDelete deletes without any recovery window.
	ForceDelete bool
	// BaseEndpoint replaces the service's address, for tests.
	BaseEndpoint string
	// MaxAttempts is how many times the SDK tries a call.
	MaxAttempts int
}

// AWS is the AWS Secrets Manager backend; this build has none, so that the
// default binary stays free of the AWS SDK.
type AWS struct{ Store }

// NewAWS fails: this kage was built without the aws tag.
func NewAWS(ctx context.Context, cfg AWSConfig) (*AWS, error) {
	return nil, &UnavailableError{
		Reason: "the aws backend is not built into this kage",
		Fix:    "build kage with it: go build -tags aws ./cmd/kage (or make build-all)",
		Err:    errors.New("built without -tags aws"),
	}
}
