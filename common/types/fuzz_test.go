package types

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"
)

func conformancePayloads(tb testing.TB) [][]byte {
	var out [][]byte
	fixtures, _ := filepath.Glob(filepath.Join(conformanceDir(tb), "fixtures", "*.json"))
	for _, f := range fixtures {
		b, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, b)
	}
	for _, c := range dumpCases(tb) {
		out = append(out, c.payload(tb))
	}
	return out
}

func FuzzParseRawRequest(f *testing.F) {
	for _, p := range conformancePayloads(f) {
		f.Add(p)
	}
	f.Add([]byte(`{"event":"e","token":"a","api_key":"b"}`))
	f.Add([]byte(`{"api_key":"t","batch":[{"event":"a","uuid":""}],"historical_migration":true}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		req, err := ParseRawRequest(in)
		if err != nil {
			return
		}
		if !json.Valid(in) {
			t.Fatalf("accepted invalid JSON %q", in)
		}
		for _, ev := range req.Events {
			out := ev.AppendJSON(nil)
			if !json.Valid(out) {
				t.Fatalf("serialised invalid JSON %q", out)
			}
			if ev.Event == "" && req.Shape == ShapeEngage {
				continue
			}
			again, err := ParseRawEvent(out)
			if err != nil {
				t.Fatalf("re-parse of %q: %v", out, err)
			}
			if out2 := again.AppendJSON(nil); !bytes.Equal(out, out2) {
				t.Fatalf("not idempotent:\n%q\n%q", out, out2)
			}
			ev.ExtractDistinctID()
			ev.ExtractToken()
			ev.IsCookielessMode()
		}
	})
}

func FuzzCapturedEventJSON(f *testing.F) {
	f.Add("d", "1.2.3.4", `{"event":"x"}`, "t", "e", int64(1713364856900), true)
	f.Add("\x00<>&\u2028", "", "\"\\\n", "", "\xff", int64(-1), false)
	f.Fuzz(func(t *testing.T, did, ip, data, tok, event string, ms int64, flag bool) {
		e := CapturedEvent{
			UUID: uuid.Nil, DistinctID: did, IP: ip, Data: data, Now: "n", Token: tok, Event: event,
			Timestamp: time.UnixMilli(ms % 253402300799000), IsCookielessMode: flag, HistoricalMigration: !flag,
		}
		out := e.AppendJSON(nil)
		if !json.Valid(out) {
			t.Fatalf("invalid JSON %q", out)
		}
		var back CapturedEvent
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("decode %q: %v", out, err)
		}
		if back.Data != string(bytes.ToValidUTF8([]byte(data), []byte("\uFFFD"))) {
			t.Fatalf("data %q → %q", data, back.Data)
		}
	})
}

func FuzzAppendJSONString(f *testing.F) {
	f.Add("plain ascii text that is long enough for words")
	f.Add("0123456\"89abcdef\\x\x01\x1f\x7fé🦔\xff\u2028")
	f.Fuzz(func(t *testing.T, s string) {
		out := AppendJSONString(nil, s)
		var back string
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("%q → invalid JSON %q: %v", s, out, err)
		}
		if want := string(bytes.ToValidUTF8([]byte(s), []byte("\uFFFD"))); back != want {
			t.Fatalf("%q → %q → %q", s, out, back)
		}
		// The scanner agrees on the string's extent.
		sc := scanner{b: out}
		end, _, err := sc.str(0)
		if err != nil || end != len(out) {
			t.Fatalf("scanner on %q: end %d, %v", out, end, err)
		}
	})
}
