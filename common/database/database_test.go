package database

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

func serverURL(t *testing.T) string {
	t.Helper()
	u := os.Getenv("DATABASE_URL")
	if u == "" {
		u = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("Postgres not reachable (CI=true requires it): %v", err)
		}
		t.Skipf("Postgres not reachable: %v", err)
	}
	_ = conn.Close(ctx)
	return u
}

func testPool(t *testing.T, cfg PoolConfig) *pgxpool.Pool {
	t.Helper()
	pool, err := NewPool(context.Background(), serverURL(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

func pgErr(code, msg string) error {
	return fmt.Errorf("query: %w", &pgconn.PgError{Code: code, Message: msg, Severity: "ERROR"})
}

type netTimeout struct{}

func (netTimeout) Error() string   { return "i/o timeout" }
func (netTimeout) Timeout() bool   { return true }
func (netTimeout) Temporary() bool { return true }

func TestIsTransient(t *testing.T) {
	_, parseErr := pgconn.ParseConfig("postgres://host:notaport/db")
	cases := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"pool timeout", ErrPoolTimeout, true},
		{"pool closed", errors.New("closed pool"), true},
		{"io refused", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}, true},
		{"io reset", fmt.Errorf("read: %w", syscall.ECONNRESET), true},
		{"io eof", fmt.Errorf("receive message: %w", io.EOF), true},
		{"io unexpected eof", fmt.Errorf("receive message: %w", io.ErrUnexpectedEOF), true},
		{"io deadline", fmt.Errorf("read: %w", os.ErrDeadlineExceeded), true},
		{"tls", tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}, true},
		{"protocol connection lost", errors.New("protocol error: connection lost"), true},
		{"protocol operation timeout", errors.New("protocol error: operation timeout"), true},
		{"protocol invalid version", errors.New("protocol error: invalid protocol version"), false},
		{"configuration", parseErr, false},
		{"column not found", pgErr("42703", `column "nope" does not exist`), false},
		{"row not found", pgx.ErrNoRows, false},
		{"worker crashed", errors.New("background worker crashed"), false},
		{"unique violation", pgErr("23505", "duplicate key value violates unique constraint"), false},
		{"unique violation mentioning connection", pgErr("23505", `duplicate key value violates unique constraint "connection_key"`), false},
		{"connection exception 08006", pgErr("08006", "connection failure"), true},
		{"too many connections 53300", pgErr("53300", "too many clients"), true},
		{"admin shutdown 57P01", pgErr("57P01", "terminating connection due to administrator command"), true},
		{"query canceled 57014", pgErr("57014", "canceling statement due to statement timeout"), true},
		{"system error 58030", pgErr("58030", "could not write"), true},
		{"serialization 40001", pgErr("40001", "could not serialize"), true},
		{"statement completion unknown 40003", pgErr("40003", "x"), true},
		{"deadlock 40P01", pgErr("40P01", "deadlock detected"), true},
		{"syntax 42601", pgErr("42601", "syntax error"), false},
		{"lock not available 55P03", pgErr("55P03", "could not obtain lock"), false},
		{"lock timeout 55P03", pgErr("55P03", "canceling statement due to lock timeout"), true},
		{"idle in transaction 25P03", pgErr("25P03", "terminating connection due to idle-in-transaction timeout"), true},
		{"context deadline", context.DeadlineExceeded, true},
		{"context canceled", context.Canceled, false},
		{"net timeout", netTimeout{}, true},
		{"message deadlock", errors.New("Deadlock found"), true},
		{"message disk full", errors.New("disk full"), true},
		{"plain error", errors.New("json: cannot unmarshal"), false},
	}
	for _, c := range cases {
		if got := IsTransient(c.err); got != c.want {
			t.Errorf("%s: IsTransient(%v) = %v, want %v", c.name, c.err, got, c.want)
		}
	}
}

func TestIsForeignKeyViolation(t *testing.T) {
	cases := []struct {
		err  error
		want bool
	}{
		{pgErr("23503", "insert or update on table violates foreign key constraint"), true},
		{pgErr("23503", "anything"), true},
		{errors.New(`insert or update on table "x" violates foreign key constraint "fk"`), true},
		{pgErr("23505", "duplicate key value violates unique constraint"), false},
		{pgErr("23505", "mentions foreign key constraint but is unique"), false},
		{errors.New("other"), false},
		{nil, false},
	}
	for _, c := range cases {
		if got := IsForeignKeyViolation(c.err); got != c.want {
			t.Errorf("IsForeignKeyViolation(%v) = %v, want %v", c.err, got, c.want)
		}
	}
	if !IsUniqueViolation(pgErr("23505", "")) || IsUniqueViolation(pgErr("23503", "")) {
		t.Error("IsUniqueViolation")
	}
}

func TestTimeoutKind(t *testing.T) {
	cases := []struct {
		err  error
		want string
	}{
		{ErrPoolTimeout, "pool_timeout"},
		{fmt.Errorf("acquire: %w", ErrPoolTimeout), "pool_timeout"},
		{pgErr("57014", "canceling statement due to statement timeout"), "query_canceled"},
		{pgErr("55P03", "canceling statement due to lock timeout"), "lock_not_available"},
		{pgErr("25P03", "terminating connection due to idle-in-transaction timeout"), "idle_in_transaction_timeout"},
		{pgErr("XX000", "some timeout happened"), "database_timeout"},
		{context.DeadlineExceeded, "client_timeout"},
		{netTimeout{}, "io_timeout"},
		{errors.New("protocol error: operation timeout"), "database_timeout"},
		{pgErr("23505", "duplicate"), ""},
		{errors.New("nope"), ""},
		{nil, ""},
	}
	for _, c := range cases {
		got, ok := TimeoutKind(c.err)
		if got != c.want || ok != (c.want != "") {
			t.Errorf("TimeoutKind(%v) = %q, %v; want %q", c.err, got, ok, c.want)
		}
	}
}

func TestPoolConfigDefaults(t *testing.T) {
	pc, err := ParsePoolConfig("postgres://u@h:5432/d", PoolConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if pc.MaxConns != 10 || pc.MinConns != 0 || pc.MaxConnIdleTime != 300*time.Second ||
		pc.MaxConnLifetime != 1800*time.Second || pc.ConnConfig.ConnectTimeout != 10*time.Second {
		t.Fatalf("defaults: max %d min %d idle %v life %v connect %v", pc.MaxConns, pc.MinConns,
			pc.MaxConnIdleTime, pc.MaxConnLifetime, pc.ConnConfig.ConnectTimeout)
	}
	pc, err = ParsePoolConfig("postgres://u@h:5432/d", PoolConfig{MaxConnections: 4, MinConnections: 9, StatementTimeout: 1500 * time.Millisecond, ApplicationName: "capture"})
	if err != nil {
		t.Fatal(err)
	}
	if pc.MaxConns != 4 || pc.MinConns != 4 || pc.ConnConfig.RuntimeParams["statement_timeout"] != "1500" ||
		pc.ConnConfig.RuntimeParams["application_name"] != "capture" {
		t.Fatalf("overrides: %+v %v", pc, pc.ConnConfig.RuntimeParams)
	}
	if _, err := ParsePoolConfig("postgres://h:notaport/d", PoolConfig{}); err == nil || IsTransient(err) {
		t.Fatalf("bad url: %v (transient %v)", err, IsTransient(err))
	}
}

func TestNewPoolIsLazyAndRefusedConnectionIsTransient(t *testing.T) {
	pool, err := NewPool(context.Background(), "postgres://postgres@127.0.0.1:1/x?sslmode=disable", PoolConfig{AcquireTimeout: time.Second})
	if err != nil {
		t.Fatalf("NewPool must not dial: %v", err)
	}
	defer pool.Close()
	err = pool.Ping(context.Background())
	if err == nil || !IsTransient(err) {
		t.Fatalf("ping refused: %v (transient %v)", err, IsTransient(err))
	}
}

func TestClosedPoolIsTransient(t *testing.T) {
	pool, err := NewPool(context.Background(), serverURL(t), PoolConfig{})
	if err != nil {
		t.Fatal(err)
	}
	pool.Close()
	_, err = pool.Exec(context.Background(), "SELECT 1")
	if err == nil || !IsTransient(err) {
		t.Fatalf("closed pool: %v (transient %v)", err, IsTransient(err))
	}
}

func TestSessionSettings(t *testing.T) {
	pool := testPool(t, PoolConfig{StatementTimeout: 1500 * time.Millisecond, ApplicationName: "hoggo-test"})
	var st, app string
	if err := pool.QueryRow(context.Background(), "SELECT current_setting('statement_timeout'), current_setting('application_name')").Scan(&st, &app); err != nil {
		t.Fatal(err)
	}
	if st != "1500ms" || app != "hoggo-test" {
		t.Fatalf("statement_timeout %q application_name %q", st, app)
	}
}

// tables creates a parent/child pair with a foreign key and a unique key,
// dropped at cleanup (the server's own database is shared by all tests).
func tables(t *testing.T, pool *pgxpool.Pool) (parent, child string) {
	t.Helper()
	suffix := fmt.Sprintf("%d", time.Now().UnixNano())
	parent, child = "dbtest_parent_"+suffix, "dbtest_child_"+suffix
	ctx := context.Background()
	_, err := pool.Exec(ctx, fmt.Sprintf(`
		CREATE TABLE %[1]s (id int PRIMARY KEY, name text UNIQUE);
		CREATE TABLE %[2]s (id int PRIMARY KEY, parent_id int NOT NULL REFERENCES %[1]s (id) DEFERRABLE INITIALLY DEFERRED);
		INSERT INTO %[1]s VALUES (1, 'one');`, parent, child))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = pool.Exec(ctx, "DROP TABLE IF EXISTS "+child+", "+parent) })
	return parent, child
}

func TestRealConstraintViolations(t *testing.T) {
	pool := testPool(t, PoolConfig{})
	parent, child := tables(t, pool)
	ctx := context.Background()

	_, err := pool.Exec(ctx, "INSERT INTO "+child+" VALUES (1, 42)")
	if Code(err) != "23503" || !IsForeignKeyViolation(err) || IsTransient(err) || IsUniqueViolation(err) {
		t.Fatalf("fk: code %q fk %v transient %v: %v", Code(err), IsForeignKeyViolation(err), IsTransient(err), err)
	}
	if _, ok := TimeoutKind(err); ok {
		t.Fatal("fk violation classified as timeout")
	}

	_, err = pool.Exec(ctx, "INSERT INTO "+parent+" VALUES (2, 'one')")
	if Code(err) != "23505" || !IsUniqueViolation(err) || IsForeignKeyViolation(err) || IsTransient(err) {
		t.Fatalf("unique: code %q: %v", Code(err), err)
	}

	_, err = pool.Exec(ctx, "SELECT nope FROM "+parent)
	if Code(err) != "42703" || IsTransient(err) {
		t.Fatalf("column not found: code %q transient %v", Code(err), IsTransient(err))
	}

	err = pool.QueryRow(ctx, "SELECT id FROM "+parent+" WHERE id = 99").Scan(new(int))
	if !errors.Is(err, pgx.ErrNoRows) || IsTransient(err) {
		t.Fatalf("row not found: %v", err)
	}
}

func TestRealStatementTimeout(t *testing.T) {
	pool := testPool(t, PoolConfig{StatementTimeout: 50 * time.Millisecond})
	_, err := pool.Exec(context.Background(), "SELECT pg_sleep(5)")
	label, ok := TimeoutKind(err)
	if Code(err) != "57014" || label != "query_canceled" || !ok || !IsTransient(err) {
		t.Fatalf("statement timeout: code %q label %q transient %v: %v", Code(err), label, IsTransient(err), err)
	}
}

func TestRealLockNotAvailable(t *testing.T) {
	pool := testPool(t, PoolConfig{})
	parent, _ := tables(t, pool)
	ctx := context.Background()
	holder, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Rollback(ctx) //nolint:errcheck
	if _, err := holder.Exec(ctx, "SELECT * FROM "+parent+" WHERE id = 1 FOR UPDATE"); err != nil {
		t.Fatal(err)
	}
	waiter, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer waiter.Rollback(ctx) //nolint:errcheck
	if _, err := waiter.Exec(ctx, "SET LOCAL lock_timeout = '50ms'"); err != nil {
		t.Fatal(err)
	}
	_, err = waiter.Exec(ctx, "UPDATE "+parent+" SET name = 'uno' WHERE id = 1")
	label, ok := TimeoutKind(err)
	if Code(err) != "55P03" || label != "lock_not_available" || !ok || !IsTransient(err) {
		t.Fatalf("lock timeout: code %q label %q transient %v: %v", Code(err), label, IsTransient(err), err)
	}
}

func TestRealClientDeadline(t *testing.T) {
	pool := testPool(t, PoolConfig{})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := pool.Exec(ctx, "SELECT pg_sleep(5)")
	label, ok := TimeoutKind(err)
	if !ok || label != "client_timeout" || !IsTransient(err) {
		t.Fatalf("client deadline: label %q transient %v: %v", label, IsTransient(err), err)
	}
}

func TestRealIdleInTransactionTimeout(t *testing.T) {
	pool := testPool(t, PoolConfig{})
	ctx := context.Background()
	conn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SET idle_in_transaction_session_timeout = '100ms'"); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "BEGIN"); err != nil {
		t.Fatal(err)
	}
	// Give the server time to end the idle session.
	time.Sleep(500 * time.Millisecond)
	_, err = conn.Exec(ctx, "SELECT 1")
	if err == nil {
		t.Fatal("query after the idle-in-transaction timeout succeeded")
	}
	label, ok := TimeoutKind(err)
	if Code(err) != "25P03" || label != "idle_in_transaction_timeout" || !ok || !IsTransient(err) {
		t.Fatalf("idle in transaction: code %q label %q: %v", Code(err), label, err)
	}
	conn.Conn().Close(ctx) //nolint:errcheck // the server already closed it
}
