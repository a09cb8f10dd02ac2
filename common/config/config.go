// Package config fills a service's Config struct from environment variables
// with github.com/caarlos0/env, keeping the variable names of PostHog's Rust
// services (`env:"KAFKA_HOSTS" envDefault:"localhost:9092"`).
//
// The one thing it adds to the library is error messages that name the
// environment variable: the library reports parse failures by Go field name,
// which tells an operator nothing.
package config

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"

	"github.com/caarlos0/env/v11"
)

// Parse returns a T filled from the process environment. T must be a struct
// with `env` tags. Missing required variables and malformed values are
// reported together, each naming its variable.
func Parse[T any]() (T, error) {
	var v T
	err := ParseInto(&v)
	return v, err
}

// ParseInto fills the struct ptr points to from the process environment.
// Fields already set keep their value unless the variable is set or has an
// envDefault, which lets callers preset service-specific defaults.
func ParseInto(ptr any) error {
	return parse(ptr, env.Options{})
}

// ParseFrom is Parse over an explicit environment instead of the process's,
// for tests and for composing services in one process (devstack) without
// touching os.Environ.
func ParseFrom[T any](environ map[string]string) (T, error) {
	var v T
	err := parse(&v, env.Options{Environment: environ})
	return v, err
}

func parse(ptr any, opts env.Options) error {
	err := env.ParseWithOptions(ptr, opts)
	if err == nil {
		return nil
	}
	var agg env.AggregateError
	if !errors.As(err, &agg) {
		return fmt.Errorf("config: %w", err)
	}
	environ := opts.Environment
	if environ == nil {
		environ = osEnviron()
	}
	keys := fieldKeys(reflect.TypeOf(ptr), opts.Prefix)
	msgs := make([]string, 0, len(agg.Errors))
	for _, e := range agg.Errors {
		msgs = append(msgs, describe(e, keys, environ))
	}
	return &parseError{msg: "config: " + strings.Join(msgs, "; "), err: err}
}

// parseError keeps the library's error reachable through errors.As (for
// env.AggregateError and friends) while printing variable names instead.
type parseError struct {
	msg string
	err error
}

func (e *parseError) Error() string { return e.msg }
func (e *parseError) Unwrap() error { return e.err }

// describe renders one library error with the environment variable it is about.
func describe(err error, keys map[string][]string, environ map[string]string) string {
	var pe env.ParseError
	if errors.As(err, &pe) {
		name := varName(keys[pe.Name], environ)
		return fmt.Sprintf("invalid value for %s (%s): %v", name, pe.Type, pe.Err)
	}
	var unset env.VarIsNotSetError
	if errors.As(err, &unset) {
		return fmt.Sprintf("required variable %s is not set", unset.Key)
	}
	var empty env.EmptyVarError
	if errors.As(err, &empty) {
		return fmt.Sprintf("variable %s must not be empty", empty.Key)
	}
	return err.Error()
}

// varName picks the variable behind a field-name-only parse error. Field names
// can repeat across nested structs; the ones actually set in the environment
// are the candidates that can fail to parse.
func varName(candidates []string, environ map[string]string) string {
	if len(candidates) == 1 {
		return candidates[0]
	}
	var set []string
	for _, k := range candidates {
		if _, ok := environ[k]; ok {
			set = append(set, k)
		}
	}
	if len(set) > 0 {
		candidates = set
	}
	if len(candidates) == 0 {
		return "an environment variable"
	}
	return strings.Join(candidates, " or ")
}

// fieldKeys maps Go field names to the env variable names their tags produce,
// following nested structs and envPrefix tags the way the library does.
func fieldKeys(t reflect.Type, prefix string) map[string][]string {
	out := map[string][]string{}
	var walk func(t reflect.Type, prefix string, depth int)
	walk = func(t reflect.Type, prefix string, depth int) {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || depth > 8 {
			return
		}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			tag := f.Tag.Get("env")
			name, _, _ := strings.Cut(tag, ",")
			if name == "-" {
				continue
			}
			if name != "" {
				out[f.Name] = append(out[f.Name], prefix+name)
				continue
			}
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				walk(ft, prefix+f.Tag.Get("envPrefix"), depth+1)
			}
		}
	}
	walk(t, prefix, 0)
	return out
}

func osEnviron() map[string]string {
	m := map[string]string{}
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return m
}
