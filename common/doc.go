// Package common is the root of hoggo's shared libraries. Each sub-package
// mirrors one crate of PostHog's rust/common (config, lifecycle, metrics,
// httpserver, kafka, database, redis, limiters, types, compression, s3, ssrf).
package common
