package redis

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math"
	"math/big"
	"os/exec"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// Golden pickles written by CPython 3 (pickle.dumps(value, protocol)),
// generated once with:
//
//	python3 -c 'import pickle; print(pickle.dumps(<value>, <protocol>).hex())'
//
// for the Python values named in pickleWant. Protocol 5 is what Django's
// Redis cache writes (pickle.HIGHEST_PROTOCOL); 0, 2, 3 and 4 cover older
// writers. Every vector must decode to its want value; protocol-5 vectors of
// values EncodePickle can express must also be reproduced byte for byte.
var pickleGolden = []struct {
	name  string
	proto int
	hex   string
}{
	{"none", 5, "80054e2e"},
	{"true", 5, "8005882e"},
	{"false", 5, "8005892e"},
	{"int0", 5, "80054b002e"},
	{"int1", 5, "80054b012e"},
	{"int255", 5, "80054bff2e"},
	{"int256", 5, "80059504000000000000004d00012e"},
	{"int65535", 5, "80059504000000000000004dffff2e"},
	{"int65536", 5, "80059506000000000000004a000001002e"},
	{"intneg1", 5, "80059506000000000000004affffffff2e"},
	{"int32max", 5, "80059506000000000000004affffff7f2e"},
	{"int32min", 5, "80059506000000000000004a000000802e"},
	{"int32max+1", 5, "80059508000000000000008a0500000080002e"},
	{"int32min-1", 5, "80059508000000000000008a05ffffff7fff2e"},
	{"int64max", 5, "8005950b000000000000008a08ffffffffffffff7f2e"},
	{"int64min", 5, "8005950b000000000000008a0800000000000000802e"},
	{"int2^64", 5, "8005950c000000000000008a090000000000000000012e"},
	{"intneg2^100", 5, "80059510000000000000008a0d000000000000000000000000f02e"},
	{"int-129", 5, "80059506000000000000004a7fffffff2e"},
	{"int-128", 5, "80059506000000000000004a80ffffff2e"},
	{"float", 5, "8005950a00000000000000473ff80000000000002e"},
	{"floatnegzero", 5, "8005950a000000000000004780000000000000002e"},
	{"floatbig", 5, "8005950a00000000000000477e37e43c8800759c2e"},
	{"strempty", 5, "80059504000000000000008c00942e"},
	{"str", 5, "80059509000000000000008c0568656c6c6f942e"},
	{"strutf8", 5, "80059513000000000000008c0f68c3a96c6c6f20e29c9320f09f9880942e"},
	{"str300", 5, "8005953301000000000000582c010000616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161942e"},
	{"bytesempty", 5, "80059504000000000000004300942e"},
	{"bytes", 5, "8005950600000000000000430200ff942e"},
	{"bytes300", 5, "8005953301000000000000422c010000787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878942e"},
	{"listempty", 5, "80055d942e"},
	{"list", 5, "8005950c000000000000005d94284b018c0161944e652e"},
	{"listsingle", 5, "8005950b000000000000005d948c046f6e6c7994612e"},
	{"dictempty", 5, "80057d942e"},
	{"dictsingle", 5, "8005950a000000000000007d948c0161944b01732e"},
	{"dict", 5, "80059531000000000000007d94288c0161944b018c0162945d94284b014b02658c0163947d94288c0164944e8c01659447400400000000000075752e"},
	{"repeatedstr", 5, "80059512000000000000005d94288c01789468017d946801680173652e"},
	{"json", 5, "80059538000000000000008c347b22666c616773223a5b7b226b6579223a2266222c22616374697665223a747275657d5d2c22636f686f727473223a6e756c6c7d942e"},
	{"tuple2", 5, "80059507000000000000004b014b0286942e"},
	{"tuple4", 5, "8005950c00000000000000284b014b024b034b0474942e"},
	{"sharedlist", 5, "8005950c000000000000005d94285d944b01616801652e"},
	{"p0str", 0, "5668e96c6c6f5c75303030615c75323731330a70300a2e"},
	{"p0dict", 0, "286470300a56610a70310a286c70320a49310a614930310a614e6146312e350a614c313138303539313632303731373431313330333432344c0a61732e"},
	{"p0false", 0, "4930300a2e"},
	{"p2str", 2, "8002580500000068656c6c6f71002e"},
	{"p2dict", 2, "80027d71002858010000006171014b01580100000062710286710358010000006371044afbffffff752e"},
	{"p3bytes", 3, "8003430361626371002e"},
	{"p4str", 4, "80049509000000000000008c0568656c6c6f942e"},
	{"p4dict", 4, "80049512000000000000007d948c016b945d94288c017694680365732e"},
	{"p5bytearray", 5, "8005950d000000000000009602000000000000006162942e"},
}

func bigInt(s string) *big.Int {
	n, ok := new(big.Int).SetString(s, 10)
	if !ok {
		panic(s)
	}
	return n
}

var pickleWant = map[string]any{
	"none": nil, "true": true, "false": false,
	"int0": int64(0), "int1": int64(1), "int255": int64(255), "int256": int64(256), "int65535": int64(65535),
	"int65536": int64(65536), "intneg1": int64(-1), "int32max": int64(math.MaxInt32), "int32min": int64(math.MinInt32),
	"int32max+1": int64(math.MaxInt32 + 1), "int32min-1": int64(math.MinInt32 - 1),
	"int64max": int64(math.MaxInt64), "int64min": int64(math.MinInt64),
	"int2^64": bigInt("18446744073709551616"), "intneg2^100": bigInt("-1267650600228229401496703205376"),
	"int-129": int64(-129), "int-128": int64(-128),
	"float": 1.5, "floatnegzero": math.Copysign(0, -1), "floatbig": 1e300,
	"strempty": "", "str": "hello", "strutf8": "h\u00e9llo \u2713 \U0001F600", "str300": strings.Repeat("a", 300),
	"bytesempty": []byte{}, "bytes": []byte{0, 0xff}, "bytes300": bytes.Repeat([]byte("x"), 300),
	"listempty": []any{}, "list": []any{int64(1), "a", nil}, "listsingle": []any{"only"},
	"dictempty": map[string]any{}, "dictsingle": map[string]any{"a": int64(1)},
	"dict":        map[string]any{"a": int64(1), "b": []any{int64(1), int64(2)}, "c": map[string]any{"d": nil, "e": 2.5}},
	"repeatedstr": []any{"x", "x", map[string]any{"x": "x"}},
	"json":        `{"flags":[{"key":"f","active":true}],"cohorts":null}`,
	"tuple2":      []any{int64(1), int64(2)}, "tuple4": []any{int64(1), int64(2), int64(3), int64(4)},
	"sharedlist": []any{[]any{int64(1)}, []any{int64(1)}},
	"p0str":      "h\u00e9llo\n\u2713",
	"p0dict":     map[string]any{"a": []any{int64(1), true, nil, 1.5, bigInt("1180591620717411303424")}},
	"p0false":    false,
	"p2str":      "hello", "p2dict": map[string]any{"a": []any{int64(1), "b"}, "c": int64(-5)},
	"p3bytes": []byte("abc"), "p4str": "hello", "p4dict": map[string]any{"k": []any{"v", "v"}},
	"p5bytearray": []byte("ab"),
}

// notEncodable are protocol-5 vectors whose Python value has no Go twin
// (tuples, shared references, bytearray).
var notEncodable = map[string]bool{"tuple2": true, "tuple4": true, "sharedlist": true, "p5bytearray": true}

// comparable turns *big.Int into strings so reflect.DeepEqual works, and
// keeps the sign of zero visible.
func comparable(v any) any {
	switch v := v.(type) {
	case *big.Int:
		return "big:" + v.String()
	case float64:
		return "float:" + strconv.FormatUint(math.Float64bits(v), 16)
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = comparable(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = comparable(e)
		}
		return out
	}
	return v
}

func TestPickleGoldenDecode(t *testing.T) {
	for _, g := range pickleGolden {
		want, ok := pickleWant[g.name]
		if !ok {
			t.Fatalf("no want value for %s", g.name)
		}
		b, _ := hex.DecodeString(g.hex)
		got, err := DecodePickle(b)
		if err != nil {
			t.Errorf("%s: %v", g.name, err)
			continue
		}
		if !reflect.DeepEqual(comparable(got), comparable(want)) {
			t.Errorf("%s: decoded %#v, want %#v", g.name, got, want)
		}
	}
}

func TestPickleGoldenEncode(t *testing.T) {
	for _, g := range pickleGolden {
		if g.proto != 5 || notEncodable[g.name] {
			continue
		}
		got, err := EncodePickle(pickleWant[g.name])
		if err != nil {
			t.Errorf("%s: %v", g.name, err)
			continue
		}
		if hex.EncodeToString(got) != g.hex {
			t.Errorf("%s:\n got %x\nwant %s", g.name, got, g.hex)
		}
	}
}

// Large values exercise CPython's framing (frames are cut at 64 KiB and
// large strings are written outside frames). Digests of pickle.dumps(v, 5):
//
//	python3 -c 'import pickle,hashlib; print(hashlib.sha256(pickle.dumps(v, 5)).hexdigest())'
func TestPickleGoldenLarge(t *testing.T) {
	many := make([]any, 20000)
	for i := range many {
		many[i] = strconv.Itoa(i)
	}
	ints := make([]any, 1002)
	for i := range ints {
		ints[i] = int64(i)
	}
	cases := []struct {
		name   string
		value  any
		size   int
		sha256 string
	}{
		{"'a'*70000", strings.Repeat("a", 70000), 70009, "3c0dd40ace462809f627e64857a865754d271fc1ca6e8f66f6fbc52869960275"},
		{"['a'*70000, 'b'*10]", []any{strings.Repeat("a", 70000), strings.Repeat("b", 10)}, 70035, "6d265c7466804af84d6c155690e16ff0d433d132cf00630f779e6602ed311893"},
		{"[str(i) for i in range(20000)]", many, 148962, "bc216d28fa434f3df243a045570ed235aa5efad8f0c8202721214a3d9f8bf960"},
		{"list(range(1002))", ints, 2773, ""},
	}
	for _, c := range cases {
		b, err := EncodePickle(c.value)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		sum := sha256.Sum256(b)
		if c.sha256 != "" && (len(b) != c.size || hex.EncodeToString(sum[:]) != c.sha256) {
			t.Errorf("%s: %d bytes sha256 %x, want %d bytes %s", c.name, len(b), sum, c.size, c.sha256)
		}
		back, err := DecodePickle(b)
		if err != nil || !reflect.DeepEqual(back, c.value) {
			t.Errorf("%s: round trip failed: %v", c.name, err)
		}
	}
}

func TestPickleBatchesOfAThousand(t *testing.T) {
	ints := make([]any, 1002)
	for i := range ints {
		ints[i] = int64(i)
	}
	b, err := EncodePickle(ints)
	if err != nil {
		t.Fatal(err)
	}
	// CPython: MARK, items 0..999, APPENDS, MARK, 1000, 1001, APPENDS.
	if bytes.Count(b, []byte{opAppends}) < 2 || !bytes.HasSuffix(b, []byte{0x4d, 0xe8, 0x03, 0x4d, 0xe9, 0x03, opAppends, opStop}) {
		t.Fatalf("batches not as CPython writes them: ...%x", b[len(b)-16:])
	}
}

func TestEncodePickleGoTypes(t *testing.T) {
	type named string
	cases := []struct {
		in   any
		want any
	}{
		{map[string]string{"b": "2", "a": "1"}, map[string]any{"a": "1", "b": "2"}},
		{[]string{"x", "y"}, []any{"x", "y"}},
		{[]int{1, -1}, []any{int64(1), int64(-1)}},
		{uint64(math.MaxUint64), bigInt("18446744073709551615")},
		{float32(0.5), 0.5},
		{named("n"), "n"},
		{[]any(nil), nil},
		{map[string]any(nil), nil},
		{(*int)(nil), nil},
	}
	for _, c := range cases {
		b, err := EncodePickle(c.in)
		if err != nil {
			t.Fatalf("%#v: %v", c.in, err)
		}
		got, err := DecodePickle(b)
		if err != nil || !reflect.DeepEqual(comparable(got), comparable(c.want)) {
			t.Errorf("%#v: got %#v, %v; want %#v", c.in, got, err, c.want)
		}
	}
	for _, bad := range []any{map[int]string{1: "a"}, struct{}{}, make(chan int)} {
		if _, err := EncodePickle(bad); err == nil {
			t.Errorf("%T encoded", bad)
		}
	}
}

func TestDecodePickleRejects(t *testing.T) {
	cases := map[string]string{
		"empty":                  "",
		"no stop":                "80054e",
		"truncated str":          "80058c0568656c",
		"huge length":            "800558ffffffff",
		"future protocol":        "80064e2e",
		"global (datetime.date)": "80059520000000000000008c086461746574696d65948c0464617465949394430407ea0b1b94859452942e",
		"reduce":                 "80054e4e522e",
		"int dict key":           "80057d944b014b02732e",
		"stack underflow":        "8005612e",
		"bad memo":               "800568052e",
		"setitem on list":        "80055d944b014b02732e",
		"pop mark no mark":       "8005312e",
		"recursive list":         "80055d94680061" + "2e",
		"bad text int":           "49787878780a2e",
		"truncated line":         "4931",
		"bad unicode escape":     "565c757a7a7a7a0a2e",
	}
	for name, h := range cases {
		b, err := hex.DecodeString(h)
		if err != nil {
			// odd-length hex on purpose is a test bug
			t.Fatalf("%s: %v", name, err)
		}
		if v, err := DecodePickle(b); err == nil {
			t.Errorf("%s: decoded %#v, want error", name, v)
		}
	}
	_, err := DecodePickle([]byte{0x80, 5, 0x93})
	if !errors.Is(err, ErrPickleUnsupported) {
		t.Errorf("STACK_GLOBAL: %v, want ErrPickleUnsupported", err)
	}
}

func TestDjangoIntegers(t *testing.T) {
	// Django's RedisSerializer stores plain ints as text and pickles the rest.
	for in, want := range map[string]any{"42": int64(42), "-7": int64(-7), " 5 ": int64(5)} {
		got, err := DecodeDjango([]byte(in))
		if err != nil || got != want {
			t.Errorf("DecodeDjango(%q) = %#v, %v", in, got, err)
		}
	}
	b, _ := EncodeDjango(12)
	if string(b) != "12" {
		t.Errorf("EncodeDjango(12) = %q", b)
	}
	b, _ = EncodeDjango(true) // bool is pickled, as in Django
	if hex.EncodeToString(b) != "8005882e" {
		t.Errorf("EncodeDjango(true) = %x", b)
	}
	b, _ = EncodeDjango("s")
	if v, err := DecodeDjango(b); err != nil || v != "s" {
		t.Errorf("string round trip: %v %v", v, err)
	}
}

// TestPythonLoadsOurPickles checks with the local python3 (when present)
// that values EncodePickle writes load back to the same Python value.
func TestPythonLoadsOurPickles(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed")
	}
	values := []struct {
		v    any
		repr string
	}{
		{map[string]any{"flags": []any{map[string]any{"key": "f", "rollout": 50.5, "on": true}}, "n": nil, "big": bigInt("-123456789012345678901234567890")},
			"{'big': -123456789012345678901234567890, 'flags': [{'key': 'f', 'on': True, 'rollout': 50.5}], 'n': None}"},
		{[]any{"é✓😀", []byte{1, 2}, int64(math.MinInt64), strings.Repeat("z", 70000)[:3]}, "['é✓😀', b'\\x01\\x02', -9223372036854775808, 'zzz']"},
	}
	for _, c := range values {
		b, err := EncodePickle(c.v)
		if err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(py, "-c", "import pickle,sys; print(repr(pickle.loads(bytes.fromhex(sys.argv[1]))))", hex.EncodeToString(b)).CombinedOutput()
		if err != nil {
			t.Fatalf("python3: %v: %s", err, out)
		}
		if got := strings.TrimSpace(string(out)); got != c.repr {
			t.Errorf("python loaded %s, want %s", got, c.repr)
		}
	}
}

func FuzzDecodePickle(f *testing.F) {
	for _, g := range pickleGolden {
		b, _ := hex.DecodeString(g.hex)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := DecodePickle(data)
		if err != nil {
			return
		}
		// Whatever decodes must re-encode and decode to the same value.
		b, err := EncodePickle(v)
		if err != nil {
			t.Fatalf("re-encode %#v: %v", v, err)
		}
		back, err := DecodePickle(b)
		if err != nil || !reflect.DeepEqual(comparable(back), comparable(v)) {
			t.Fatalf("round trip: %#v -> %#v (%v)", v, back, err)
		}
	})
}

func BenchmarkEncodePickleJSON(b *testing.B) {
	v := strings.Repeat(`{"key":"flag","active":true,"filters":{"groups":[]}},`, 50)
	b.ReportAllocs()
	b.SetBytes(int64(len(v)))
	for b.Loop() {
		if _, err := EncodePickle(v); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodePickleJSON(b *testing.B) {
	v := strings.Repeat(`{"key":"flag","active":true,"filters":{"groups":[]}},`, 50)
	data, _ := EncodePickle(v)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := DecodePickle(data); err != nil {
			b.Fatal(err)
		}
	}
}

func TestDecodePickleSharedReferenceBomb(t *testing.T) {
	// L0 = [1]; Ln = [Ln-1, Ln-1]: 40 levels would expand to 2^40 values.
	b := []byte{0x80, 5, opEmptyList, opMemoize, opBinInt1, 1, opAppend}
	for i := range 40 {
		b = append(b, opEmptyList, opMemoize, opMark, opBinGet, byte(i), opBinGet, byte(i), opAppends)
	}
	b = append(b, opStop)
	_, err := DecodePickle(b)
	if err == nil || !strings.Contains(err.Error(), "more than") {
		t.Fatalf("bomb: %v", err)
	}
}
