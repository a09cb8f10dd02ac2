package event

import (
	"crypto/rand"
	"encoding/binary"
	"time"

	"github.com/google/uuid"
)

// NewUUIDv7 returns a UUIDv7 for instant t: 48-bit Unix milliseconds
// (instants before the epoch are floored to 0), version 7, variant 10, the
// rest random.
func NewUUIDv7(t time.Time) uuid.UUID {
	var u uuid.UUID
	ms := t.UnixMilli()
	if ms < 0 {
		ms = 0
	}
	var ts [8]byte
	binary.BigEndian.PutUint64(ts[:], uint64(ms))
	copy(u[0:6], ts[2:8])
	_, _ = rand.Read(u[6:])
	u[6] = (u[6] & 0x0f) | 0x70
	u[8] = (u[8] & 0x3f) | 0x80
	return u
}
