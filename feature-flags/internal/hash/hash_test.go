package hash

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"testing"

	"github.com/hoggo/feature-flags/internal/conformance"
)

type corpus struct {
	Vectors []struct {
		ID           string  `json:"id"`
		Prefix       string  `json:"prefix"`
		Identifier   string  `json:"identifier"`
		Salt         string  `json:"salt"`
		InputHex     string  `json:"input_utf8_hex"`
		SHA1Hex      string  `json:"sha1_hex"`
		N            string  `json:"n"`
		Hash01       float64 `json:"hash01"`
		Hash01Hex    string  `json:"hash01_binary64_hex"`
		RolloutCheck []struct {
			Rollout  float64 `json:"rollout_percentage"`
			Included bool    `json:"included"`
		} `json:"rollout_checks"`
		HoldoutChecks []struct {
			Exclusion float64 `json:"exclusion_percentage"`
			Member    bool    `json:"member"`
		} `json:"holdout_checks"`
		VariantCheck *struct {
			Variants []struct {
				Key     string  `json:"key"`
				Rollout float64 `json:"rollout_percentage"`
			} `json:"variants"`
			Selected string `json:"selected"`
		} `json:"variant_check"`
	} `json:"vectors"`
	Thresholds []struct {
		ID       string  `json:"id"`
		Hash01   float64 `json:"hash01"`
		Rollout  float64 `json:"rollout_percentage"`
		Included bool    `json:"included"`
	} `json:"threshold_vectors"`
	Variants []struct {
		ID       string  `json:"id"`
		Hash01   float64 `json:"hash01"`
		Variants []struct {
			Key     string  `json:"key"`
			Rollout float64 `json:"rollout_percentage"`
		} `json:"variants"`
		Selected *string `json:"selected"`
	} `json:"variant_vectors"`
	Parity []struct {
		ID         string   `json:"id"`
		V1Input    string   `json:"v1_input"`
		Identifier *string  `json:"identifier"`
		Hash01     *float64 `json:"hash01"`
	} `json:"seed_parity"`
}

func pickVariant(h float64, variants []struct {
	Key     string  `json:"key"`
	Rollout float64 `json:"rollout_percentage"`
}) string {
	c := 0.0
	for _, v := range variants {
		c += v.Rollout / 100
		if h < c {
			return v.Key
		}
	}
	return ""
}

func TestCorpusVectors(t *testing.T) {
	var c corpus
	conformance.Load(t, "rules_v2_contract/1.2.0/corpus/hash_sha1_60_v1.json", &c)
	checked := 0
	for _, v := range c.Vectors {
		t.Run(v.ID, func(t *testing.T) {
			in := v.Prefix + Truncate(v.Identifier) + v.Salt
			if got := hex.EncodeToString([]byte(in)); got != v.InputHex {
				t.Fatalf("input hex = %s, want %s", got, v.InputHex)
			}
			d := sha1.Sum([]byte(in))
			if got := hex.EncodeToString(d[:]); got != v.SHA1Hex {
				t.Fatalf("sha1 = %s, want %s", got, v.SHA1Hex)
			}
			n, _ := strconv.ParseUint(v.SHA1Hex[:15], 16, 64)
			if fmt.Sprint(n) != v.N {
				t.Fatalf("n = %d, want %s", n, v.N)
			}
			h := Sum(v.Prefix, v.Identifier, v.Salt)
			if h != v.Hash01 {
				t.Fatalf("hash01 = %v, want %v", h, v.Hash01)
			}
			if got := fmt.Sprintf("%016x", math.Float64bits(h)); got != v.Hash01Hex {
				t.Fatalf("hash01 bits = %s, want %s", got, v.Hash01Hex)
			}
			for _, rc := range v.RolloutCheck {
				if got := Included(h, rc.Rollout); got != rc.Included {
					t.Errorf("rollout %v: included = %v, want %v", rc.Rollout, got, rc.Included)
				}
			}
			for _, hc := range v.HoldoutChecks {
				if got := Included(h, hc.Exclusion); got != hc.Member {
					t.Errorf("holdout %v: member = %v, want %v", hc.Exclusion, got, hc.Member)
				}
			}
			if v.VariantCheck != nil {
				if got := pickVariant(h, v.VariantCheck.Variants); got != v.VariantCheck.Selected {
					t.Errorf("variant = %q, want %q", got, v.VariantCheck.Selected)
				}
			}
		})
		checked++
	}
	for _, v := range c.Thresholds {
		if got := Included(v.Hash01, v.Rollout); got != v.Included {
			t.Errorf("%s: included = %v, want %v", v.ID, got, v.Included)
		}
		checked++
	}
	for _, v := range c.Variants {
		want := ""
		if v.Selected != nil {
			want = *v.Selected
		}
		if got := pickVariant(v.Hash01, v.Variants); got != want {
			t.Errorf("%s: variant = %q, want %q", v.ID, got, want)
		}
		checked++
	}
	for _, v := range c.Parity {
		if v.Identifier == nil || v.Hash01 == nil {
			checked++
			continue
		}
		d := sha1.Sum([]byte(v.V1Input))
		n := uint64(0)
		for _, b := range d[:8] {
			n = n<<8 | uint64(b)
		}
		if got := float64(n>>4) / scale; got != *v.Hash01 {
			t.Errorf("%s: hash01 = %v, want %v", v.ID, got, *v.Hash01)
		}
		checked++
	}
	want := len(c.Vectors) + len(c.Thresholds) + len(c.Variants) + len(c.Parity)
	t.Logf("hash corpus: %d/%d vectors checked", checked, want)
	if checked != 32 {
		t.Errorf("checked %d vectors, the corpus lists 32", checked)
	}
}

func TestSpecVectors(t *testing.T) {
	if got := Rollout("beta-search", "user-17"); got != 0.009101217133290002 {
		t.Errorf("rollout = %v", got)
	}
	if got := Variant("checkout-layout", "user-61"); got != 0.5698252224547713 {
		t.Errorf("variant = %v", got)
	}
	if got := Holdout("user-31"); got != 0.0194745413007599 {
		t.Errorf("holdout = %v", got)
	}
	if got := Holdout(""); got != 0.9268829483920294 {
		t.Errorf("empty holdout = %v", got)
	}
	if Rollout("x", "") != 0 || Variant("x", "") != 0 {
		t.Error("empty identifier must short-circuit to 0")
	}
	if Included(Rollout("simple-flag", "distinct_id_0"), 45) || !Included(Rollout("simple-flag", "distinct_id_1"), 45) {
		t.Error("simple-flag check vectors")
	}
}

func BenchmarkRollout(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		Rollout("some-flag-key", "distinct-id-1234567")
	}
}
