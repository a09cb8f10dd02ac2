package s3

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
)

func TestNewOptions(t *testing.T) {
	ctx := context.Background()
	c, err := New(ctx, Config{Endpoint: "http://127.0.0.1:19000", AccessKey: "object_storage_root_user",
		SecretKey: "object_storage_root_password", ForcePathStyle: true})
	if err != nil {
		t.Fatal(err)
	}
	o := c.Options()
	if o.Region != "us-east-1" || !o.UsePathStyle || aws.ToString(o.BaseEndpoint) != "http://127.0.0.1:19000" ||
		o.RequestChecksumCalculation != aws.RequestChecksumCalculationWhenRequired {
		t.Fatalf("options: region %q path %v endpoint %q checksum %v", o.Region, o.UsePathStyle, aws.ToString(o.BaseEndpoint), o.RequestChecksumCalculation)
	}
	creds, err := o.Credentials.Retrieve(ctx)
	if err != nil || creds.AccessKeyID != "object_storage_root_user" || creds.SecretAccessKey != "object_storage_root_password" {
		t.Fatalf("credentials %+v, %v", creds, err)
	}

	// No endpoint: AWS, virtual-hosted style, SDK checksum defaults.
	t.Setenv("AWS_ACCESS_KEY_ID", "env-key")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "env-secret")
	c, err = New(ctx, Config{Region: "eu-central-1"})
	if err != nil {
		t.Fatal(err)
	}
	o = c.Options()
	if o.Region != "eu-central-1" || o.UsePathStyle || o.BaseEndpoint != nil {
		t.Fatalf("aws options: %q %v %v", o.Region, o.UsePathStyle, o.BaseEndpoint)
	}
	// Without static keys the default chain is used (here: the env vars).
	creds, err = o.Credentials.Retrieve(ctx)
	if err != nil || creds.AccessKeyID != "env-key" {
		t.Fatalf("default chain credentials %+v, %v", creds, err)
	}
}

func TestNewRejectsHalfCredentials(t *testing.T) {
	for _, cfg := range []Config{{AccessKey: "a"}, {SecretKey: "s"}} {
		if _, err := New(context.Background(), cfg); err == nil {
			t.Errorf("%+v accepted", cfg)
		}
	}
}
