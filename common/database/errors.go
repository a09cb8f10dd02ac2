package database

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
)

// SQLSTATE codes the classification relies on.
const (
	CodeForeignKeyViolation        = "23503"
	CodeUniqueViolation            = "23505"
	CodeQueryCanceled              = "57014"
	CodeLockNotAvailable           = "55P03"
	CodeIdleInTransactionTimeout   = "25P03"
	CodeSerializationFailure       = "40001"
	CodeStatementCompletionUnknown = "40003"
	CodeDeadlockDetected           = "40P01"
)

// Timeout labels used in metrics (and in feature-flags' "timeout:<label>"
// reason codes).
const (
	TimeoutPool              = "pool_timeout"
	TimeoutIO                = "io_timeout"
	TimeoutProtocol          = "protocol_timeout"
	TimeoutClient            = "client_timeout"
	TimeoutQueryCanceled     = "query_canceled"
	TimeoutLockNotAvailable  = "lock_not_available"
	TimeoutIdleInTransaction = "idle_in_transaction_timeout"
	TimeoutDatabase          = "database_timeout"
)

// ErrPoolTimeout marks a failed wait for a pool connection. pgxpool reports
// such waits as context errors; callers that bound acquisition separately may
// wrap their error with it to get the pool_timeout label.
var ErrPoolTimeout = errors.New("pool timed out while waiting for an open connection")

// Code returns the SQLSTATE of a Postgres server error in err's chain, or "".
func Code(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code
	}
	return ""
}

// IsForeignKeyViolation reports a foreign-key violation: SQLSTATE 23503, or
// (for errors without a code) a message mentioning a foreign key constraint.
func IsForeignKeyViolation(err error) bool {
	if err == nil {
		return false
	}
	if code := Code(err); code != "" {
		return code == CodeForeignKeyViolation
	}
	return strings.Contains(strings.ToLower(err.Error()), "foreign key constraint")
}

// IsUniqueViolation reports SQLSTATE 23505.
func IsUniqueViolation(err error) bool {
	return Code(err) == CodeUniqueViolation
}

// TimeoutKind classifies err as a timeout and returns its metric label.
func TimeoutKind(err error) (label string, ok bool) {
	if err == nil {
		return "", false
	}
	if errors.Is(err, ErrPoolTimeout) {
		return TimeoutPool, true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case CodeQueryCanceled:
			return TimeoutQueryCanceled, true
		case CodeLockNotAvailable:
			return TimeoutLockNotAvailable, true
		case CodeIdleInTransactionTimeout:
			return TimeoutIdleInTransaction, true
		}
		if timeoutMessage(pgErr.Message) {
			return TimeoutDatabase, true
		}
		return "", false
	}
	// A context deadline shows up both while waiting for a pooled connection
	// and mid-query (pgconn then reports a timeout wrapping the context error).
	if errors.Is(err, context.DeadlineExceeded) {
		return TimeoutClient, true
	}
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		return TimeoutIO, true
	}
	if errors.Is(err, syscall.ETIMEDOUT) {
		return TimeoutIO, true
	}
	if pgconn.Timeout(err) {
		return TimeoutProtocol, true
	}
	if timeoutMessage(err.Error()) {
		return TimeoutDatabase, true
	}
	return "", false
}

func timeoutMessage(msg string) bool {
	m := strings.ToLower(msg)
	return strings.Contains(m, "timeout") || strings.Contains(m, "timed out") ||
		strings.Contains(m, "canceling") || strings.Contains(m, "cancelling")
}

// IsTransient reports whether retrying the operation may succeed: connection
// and IO failures, pool timeouts and closure, TLS failures, SQLSTATE classes
// 08, 53, 57, 58, codes 40001, 40003, 40P01 and server messages about
// cancelled statements or terminated sessions (lock and idle timeouts).
// Constraint violations, missing rows or columns and configuration errors
// are not transient.
func IsTransient(err error) bool {
	if err == nil {
		return false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		// Only the server's phrases for ended sessions and cancelled
		// statements count as a fallback: generic words such as
		// "connection" also appear in constraint names.
		m := strings.ToLower(pgErr.Message)
		return transientCode(pgErr.Code) ||
			strings.Contains(m, "terminating connection due to") ||
			strings.Contains(m, "canceling statement due to")
	}
	if errors.Is(err, context.Canceled) {
		// The caller gave up; retrying under the same context is pointless.
		return false
	}
	var parseErr *pgconn.ParseConfigError
	if errors.As(err, &parseErr) {
		return false
	}
	if errors.Is(err, ErrPoolTimeout) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var connectErr *pgconn.ConnectError
	if errors.As(err, &connectErr) {
		return true
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		return true
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return true
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) {
		return true
	}
	if isTLSError(err) {
		return true
	}
	if pgconn.SafeToRetry(err) || pgconn.Timeout(err) {
		return true
	}
	return transientMessage(err.Error())
}

func transientCode(code string) bool {
	switch code {
	case CodeSerializationFailure, CodeStatementCompletionUnknown, CodeDeadlockDetected:
		return true
	}
	if len(code) < 2 {
		return false
	}
	switch code[:2] {
	case "08", "53", "57", "58":
		return true
	}
	return false
}

func isTLSError(err error) bool {
	var recordErr tls.RecordHeaderError
	var alertErr tls.AlertError
	var certErr *tls.CertificateVerificationError
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalidErr x509.CertificateInvalidError
	return errors.As(err, &recordErr) || errors.As(err, &alertErr) || errors.As(err, &certErr) ||
		errors.As(err, &unknownAuth) || errors.As(err, &hostErr) || errors.As(err, &invalidErr)
}

// transientMessages are the reference's fallback heuristics for errors that
// carry no SQLSTATE (driver, protocol and pool errors). "closed pool" is
// pgxpool's message for a closed pool.
var transientMessages = []string{
	"connection", "timeout", "timed out", "temporary", "deadlock", "serialization",
	"disk full", "canceling statement due to", "terminating connection due to",
	"ssl", "tls", "closed pool",
}

func transientMessage(msg string) bool {
	m := strings.ToLower(msg)
	for _, s := range transientMessages {
		if strings.Contains(m, s) {
			return true
		}
	}
	return false
}
