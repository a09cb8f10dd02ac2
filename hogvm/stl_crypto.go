package hogvm

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"hash"
	"net/netip"
	"strings"
)

func newHash(algo string) func() hash.Hash {
	switch algo {
	case "md5":
		return md5.New
	case "sha1":
		return sha1.New
	}
	return sha256.New
}

// encodeDigest renders a digest like Node's hash.digest(encoding).
func encodeDigest(sum []byte, enc Value) string {
	e := "hex"
	if enc.kind != KindNull {
		e = jsString(enc)
	}
	switch e {
	case "base64":
		return base64.StdEncoding.EncodeToString(sum)
	case "base64url":
		return base64.RawURLEncoding.EncodeToString(sum)
	case "binary", "latin1":
		r := make([]rune, len(sum))
		for i, b := range sum {
			r[i] = rune(b)
		}
		return string(r)
	}
	return hex.EncodeToString(sum)
}

func hashFn(algo string, hexOnly bool) stlFunc {
	return func(m *machine, a []Value) (Value, error) {
		switch a[0].kind {
		case KindNull:
			return Null, nil
		case KindString:
		default:
			return Null, vmErrorf(`The "data" argument must be of type string or an instance of Buffer, TypedArray, or DataView. Received %s`, describeJS(a[0]))
		}
		h := newHash(algo)()
		h.Write([]byte(a[0].s()))
		enc := Null
		if !hexOnly {
			enc = arg(a, 1)
		}
		return String(encodeDigest(h.Sum(nil), enc)), nil
	}
}

func hmacChainFn(algo string, hexOnly bool) stlFunc {
	return func(m *machine, a []Value) (Value, error) {
		arr := a[0].AsArray()
		if arr == nil || len(arr.Items) < 2 {
			return Null, vmErrorf("Data array must contain at least two elements.")
		}
		newH := newHash(algo)
		mac := hmac.New(newH, []byte(jsString(arr.Items[0])))
		mac.Write([]byte(jsString(arr.Items[1])))
		sum := mac.Sum(nil)
		for _, it := range arr.Items[2:] {
			mac = hmac.New(newH, sum)
			mac.Write([]byte(jsString(it)))
			sum = mac.Sum(nil)
		}
		enc := Null
		if !hexOnly {
			enc = arg(a, 1)
		}
		return String(encodeDigest(sum, enc)), nil
	}
}

func stlIsIPAddressInRange(m *machine, a []Value) (Value, error) {
	if a[0].kind != KindString || a[1].kind != KindString {
		return False, nil
	}
	addr, err := netip.ParseAddr(strings.TrimSpace(a[0].s()))
	if err != nil {
		return False, nil
	}
	prefix, err := netip.ParsePrefix(strings.TrimSpace(a[1].s()))
	if err != nil {
		return False, nil
	}
	addr = addr.Unmap()
	if addr.Is4() != prefix.Addr().Is4() {
		return False, nil
	}
	return Bool(prefix.Masked().Contains(addr)), nil
}
