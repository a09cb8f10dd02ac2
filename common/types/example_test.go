package types_test

import (
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/hoggo/common/types"
)

// Capture's core: decode a payload, re-serialise each event into data and
// wrap it in the CapturedEvent that goes to Kafka.
func Example() {
	req, err := types.ParseRawRequest([]byte(`{"api_key":"phc_x","batch":[{"event":"$pageview","$distinct_id":"u1","type":"capture","properties":{"$lib":"web"}}]}`))
	if err != nil {
		panic(err)
	}
	now := time.Date(2024, 4, 17, 14, 40, 56, 918578000, time.UTC)
	for _, ev := range req.Events {
		ev.UUID = new(uuid.MustParse("018eec80-f044-7c2d-b966-35efc8ed61d5"))
		did, _ := ev.ExtractDistinctID()
		ce := types.CapturedEvent{
			UUID: *ev.UUID, DistinctID: did, IP: "127.0.0.1", Data: string(ev.AppendJSON(nil)),
			Now: types.FormatTimestamp(now), Token: *req.Token, Event: ev.Event, Timestamp: now,
		}
		fmt.Println(ce.Key())
		fmt.Println(string(ce.AppendJSON(nil)))
		h := ce.ToHeaders()
		fmt.Println(*h.Timestamp)
	}
	// Output:
	// phc_x:u1
	// {"uuid":"018eec80-f044-7c2d-b966-35efc8ed61d5","distinct_id":"u1","ip":"127.0.0.1","data":"{\"distinct_id\":\"u1\",\"uuid\":\"018eec80-f044-7c2d-b966-35efc8ed61d5\",\"event\":\"$pageview\",\"properties\":{\"$lib\":\"web\"}}","now":"2024-04-17T14:40:56.918578Z","token":"phc_x","event":"$pageview","timestamp":"2024-04-17T14:40:56.918578Z"}
	// 1713364856918
}
