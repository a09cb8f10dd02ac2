// Package lifecycle runs a service's components and shuts them down together,
// the Go version of PostHog's rust/common/lifecycle (health model v2) plus
// the older rust/common/health registry (v1, see HealthRegistry).
//
// A Manager traps SIGINT/SIGTERM, polls the Kubernetes pre-stop file,
// watches component heartbeats and, when any of these fire (or a component
// fails, dies or asks for it), cancels one shutdown context that every
// component watches. Each component then gets its own graceful budget, all of
// them together a global one. /_readiness turns 503 once shutdown begins;
// /_liveness always answers 200, because recovery from stalls is the
// manager's job (a graceful restart), not a kubelet kill.
//
// Components are registered before Run. A component is usually a goroutine
// started with Handle.Go, which turns an early return or a panic into a
// "died" shutdown; code that holds a Handle elsewhere calls Handle.Close when
// it is done instead (the Go spelling of the Rust drop guard).
package lifecycle
