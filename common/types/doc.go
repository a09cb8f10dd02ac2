// Package types holds the wire types shared by hoggo's services: the event an
// SDK sends (RawEvent), the Kafka value capture produces (CapturedEvent), its
// Kafka headers, the ClickHouse event row, the team row and the app-metrics
// messages. Each type serialises to exactly the JSON bytes PostHog's Rust
// services produce (common-and-stack.md §2), so hoggo and the reference can
// share topics.
//
// Encoding and decoding are hand-written for the hot path: RawEvent keeps
// properties as raw JSON bytes instead of a map, because capture only looks at
// a handful of keys and must pass the rest through untouched at >150 MB/s.
//
// For exact bytes call AppendJSON or MarshalJSON directly (or use a
// json.Encoder with SetEscapeHTML(false)): json.Marshal re-escapes <, > and &
// in a Marshaler's output, which yields the same JSON value but not the
// reference's bytes.
package types
