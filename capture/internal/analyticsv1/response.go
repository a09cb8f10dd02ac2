package analyticsv1

import (
	"net/http"

	"github.com/google/uuid"

	"github.com/hoggo/common/types"
)

// eventResult is one entry of the 200 response.
type eventResult struct {
	id      uuid.UUID
	result  Result
	details string
}

// results are the per-event outcomes in input order.
type results struct {
	entries []eventResult
}

func newResults(events []wrapped) *results {
	r := &results{entries: make([]eventResult, len(events))}
	for i := range events {
		r.entries[i] = eventResult{id: events[i].id, result: events[i].result, details: events[i].details}
	}
	return r
}

// hasRetry reports whether any event must be resent.
func (r *results) hasRetry() bool {
	for _, e := range r.entries {
		if e.result == ResultRetry {
			return true
		}
	}
	return false
}

// outcome classifies the batch for capture_v1_batch_outcomes: all_ok (ok
// and warning only), all_drop, all_retry, partial_failure, or none.
func (r *results) outcome() string {
	if len(r.entries) == 0 {
		return "none"
	}
	var ok, drop, retry int
	for _, e := range r.entries {
		switch e.result {
		case ResultOK, ResultWarning:
			ok++
		case ResultDrop:
			drop++
		case ResultRetry:
			retry++
		}
	}
	switch len(r.entries) {
	case ok:
		return "all_ok"
	case drop:
		return "all_drop"
	case retry:
		return "all_retry"
	}
	return "partial_failure"
}

// appendJSON appends {"results":{"<uuid>":{"result":..,"details":..},..}}
// keyed by the canonical lowercase uuid, in input order; details is
// omitted when empty.
func (r *results) appendJSON(dst []byte) []byte {
	dst = append(dst, `{"results":{`...)
	for i, e := range r.entries {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = types.AppendUUID(dst, e.id)
		dst = append(dst, `:{"result":"`...)
		dst = append(dst, e.result...)
		dst = append(dst, '"')
		if e.details != "" {
			dst = append(dst, `,"details":`...)
			dst = types.AppendJSONString(dst, e.details)
		}
		dst = append(dst, '}')
	}
	return append(dst, "}}"...)
}

// write sends the 200 answer; Retry-After: 1 iff an event is "retry".
func (r *results) write(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	if r.hasRetry() {
		h.Set("Retry-After", "1")
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(r.appendJSON(make([]byte, 0, 64+len(r.entries)*64)))
}
