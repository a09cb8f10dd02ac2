package s3test_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/hoggo/common/s3"
	"github.com/hoggo/common/s3test"
)

func TestPutGetThroughSDK(t *testing.T) {
	srv := s3test.New(t, "symbol_sets")
	if !strings.HasPrefix(srv.URL, "http://127.0.0.1:") {
		t.Fatalf("URL %s", srv.URL)
	}
	ctx := context.Background()
	// A client built from the exported Config, the way a service would.
	client, err := s3.New(ctx, srv.Config)
	if err != nil {
		t.Fatal(err)
	}
	body := bytes.Repeat([]byte("sourcemap "), 1000)
	if _, err := client.PutObject(ctx, &awss3.PutObjectInput{
		Bucket: aws.String("symbol_sets"), Key: aws.String("symbolsets/abc"), Body: bytes.NewReader(body),
		ContentType: aws.String("application/octet-stream"),
	}); err != nil {
		t.Fatalf("put: %v", err)
	}
	out, err := srv.Client.GetObject(ctx, &awss3.GetObjectInput{Bucket: aws.String("symbol_sets"), Key: aws.String("symbolsets/abc")})
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	got, err := io.ReadAll(out.Body)
	out.Body.Close()
	if err != nil || !bytes.Equal(got, body) || aws.ToString(out.ContentType) != "application/octet-stream" {
		t.Fatalf("got %d bytes (%v), content type %q", len(got), err, aws.ToString(out.ContentType))
	}

	list, err := client.ListObjectsV2(ctx, &awss3.ListObjectsV2Input{Bucket: aws.String("symbol_sets"), Prefix: aws.String("symbolsets/")})
	if err != nil || len(list.Contents) != 1 || aws.ToString(list.Contents[0].Key) != "symbolsets/abc" {
		t.Fatalf("list: %+v, %v", list, err)
	}

	_, err = client.GetObject(ctx, &awss3.GetObjectInput{Bucket: aws.String("symbol_sets"), Key: aws.String("missing")})
	var nsk *types.NoSuchKey
	if !errors.As(err, &nsk) {
		t.Fatalf("missing key: %v, want NoSuchKey", err)
	}
	_, err = client.PutObject(ctx, &awss3.PutObjectInput{Bucket: aws.String("nope"), Key: aws.String("k"), Body: strings.NewReader("x")})
	if err == nil {
		t.Fatal("put into a missing bucket succeeded")
	}
	if err := srv.CreateBucket("nope"); err != nil {
		t.Fatal(err)
	}
	if _, err := client.PutObject(ctx, &awss3.PutObjectInput{Bucket: aws.String("nope"), Key: aws.String("k"), Body: strings.NewReader("x")}); err != nil {
		t.Fatalf("put after CreateBucket: %v", err)
	}
}
