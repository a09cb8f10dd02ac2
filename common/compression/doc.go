// Package compression decodes the payload encodings PostHog SDKs send:
// gzip (with an output cap and bomb detection), lz-string's base64 form
// ("lz64", posthog-js's legacy compression) and capture's optimistic base64.
// Every decoder takes untrusted input: it never panics and never allocates
// much more than its output cap.
package compression
