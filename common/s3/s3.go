// Package s3 builds AWS SDK v2 S3 clients from one small Config, for AWS
// itself and for S3-compatible stores (MinIO in docker-compose, SeaweedFS,
// gofakes3 in tests) reached through an endpoint override.
package s3

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
)

// DefaultRegion is used when Config.Region is empty, as in the reference
// services.
const DefaultRegion = "us-east-1"

// Config selects the store and credentials. Services fill it from their own
// env vars (e.g. cymbal's OBJECT_STORAGE_*, kafka-deduplicator's S3_*).
type Config struct {
	// Endpoint overrides the S3 endpoint ("http://127.0.0.1:19000" for
	// MinIO); empty means AWS.
	Endpoint string
	// Region defaults to DefaultRegion.
	Region string
	// AccessKey and SecretKey are static credentials. When both are empty
	// the default AWS chain is used (env, shared config, IRSA web identity,
	// instance metadata).
	AccessKey string
	SecretKey string
	// ForcePathStyle addresses buckets as endpoint/bucket instead of
	// bucket.endpoint; MinIO and gofakes3 need it.
	ForcePathStyle bool
}

// New returns an S3 client for cfg.
func New(ctx context.Context, cfg Config) (*awss3.Client, error) {
	if (cfg.AccessKey == "") != (cfg.SecretKey == "") {
		return nil, errors.New("s3 config: set both access key and secret key, or neither")
	}
	region := cfg.Region
	if region == "" {
		region = DefaultRegion
	}
	opts := []func(*config.LoadOptions) error{config.WithRegion(region)}
	if cfg.AccessKey != "" {
		opts = append(opts, config.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider(cfg.AccessKey, cfg.SecretKey, "")))
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("load aws config: %w", err)
	}
	return awss3.NewFromConfig(awsCfg, func(o *awss3.Options) {
		o.UsePathStyle = cfg.ForcePathStyle
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
			// S3-compatible stores do not all understand the SDK's default
			// flexible checksums (aws-chunked trailers); send them only
			// when an operation requires one.
			o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
			o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
		}
	}), nil
}
