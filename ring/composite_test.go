package ring

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestCompositeKeyLayout(t *testing.T) {
	for _, c := range []struct {
		name string
		in   [][]byte
		want []byte
	}{
		{"none", nil, []byte{}},
		{"one is not wrapped", [][]byte{{0, 0, 0, 1}}, []byte{0, 0, 0, 1}},
		{"int 1, text a", [][]byte{{0, 0, 0, 1}, []byte("a")}, []byte{0, 4, 0, 0, 0, 1, 0, 0, 1, 'a', 0}},
		{"empty components", [][]byte{{}, {}}, []byte{0, 0, 0, 0, 0, 0}},
		{"long length is big-endian", [][]byte{make([]byte, 0x102), {7}},
			append(append([]byte{0x01, 0x02}, make([]byte, 0x103)...), 0, 1, 7, 0)},
	} {
		got := CompositeKey(c.in...)
		if !bytes.Equal(got, c.want) {
			t.Errorf("%s: CompositeKey = % x, want % x", c.name, got, c.want)
		}
		if got == nil {
			t.Errorf("%s: CompositeKey returned nil, want a non-nil slice", c.name)
		}
	}
}

// TestCompositeKeyToken ties serialization to published tokens: the brief's
// (int 1, text 'a') and gocql's (uuid, 4-byte) key from its murmur tests.
func TestCompositeKeyToken(t *testing.T) {
	uuid := []byte("C'R\x9f\xb6E\xdd\x00\xb8\x83\xec9\xaeD\x8b\xb8")
	for _, c := range []struct {
		parts [][]byte
		want  int64
	}{
		{[][]byte{{0, 0, 0, 1}, []byte("a")}, 6516349416904725244},
		{[][]byte{uuid, []byte("\x00\x06jk")}, -9223371632693506265},
	} {
		if got := Murmur3(CompositeKey(c.parts...)); got != c.want {
			t.Errorf("Murmur3(CompositeKey(% x)) = %d, want %d", c.parts, got, c.want)
		}
	}
}

func TestCompositeKeyDoesNotAlias(t *testing.T) {
	a := []byte{1, 2, 3}
	k := CompositeKey(a)
	k[0] = 9
	if a[0] != 1 {
		t.Errorf("CompositeKey(one component) aliases its input: input became % x", a)
	}
}

func TestCompositeKeyTooLong(t *testing.T) {
	defer func() {
		r := recover()
		if r == nil {
			t.Fatal("CompositeKey with a 65536-byte component did not panic")
		}
		if s, _ := r.(string); !strings.Contains(s, "65536") {
			t.Errorf("panic %q does not name the length 65536", r)
		}
	}()
	CompositeKey(make([]byte, MaxComponentLen+1), nil)
}

func TestCompositeKeyMaxLen(t *testing.T) {
	k := CompositeKey(make([]byte, MaxComponentLen), nil)
	parts, err := SplitCompositeKey(k, 2)
	if err != nil {
		t.Fatalf("SplitCompositeKey of a max-length component: %v", err)
	}
	if len(parts[0]) != MaxComponentLen || len(parts[1]) != 0 {
		t.Errorf("got component lengths %d, %d, want %d, 0", len(parts[0]), len(parts[1]), MaxComponentLen)
	}
}

func TestSplitCompositeKeyRoundTrip(t *testing.T) {
	for _, parts := range [][][]byte{
		{{1}},
		{{}},
		{{0, 0, 0, 1}, []byte("a")},
		{[]byte("x"), {}, []byte("zz"), {0xff, 0}},
	} {
		got, err := SplitCompositeKey(CompositeKey(parts...), len(parts))
		if err != nil {
			t.Fatalf("SplitCompositeKey(CompositeKey(% x)): %v", parts, err)
		}
		if len(got) != len(parts) {
			t.Fatalf("got %d components, want %d", len(got), len(parts))
		}
		for i := range parts {
			if !bytes.Equal(got[i], parts[i]) {
				t.Errorf("component %d = % x, want % x", i, got[i], parts[i])
			}
		}
	}
}

func TestSplitCompositeKeyCapsCapacity(t *testing.T) {
	k := CompositeKey([]byte("ab"), []byte("cd"))
	parts, err := SplitCompositeKey(k, 2)
	if err != nil {
		t.Fatal(err)
	}
	_ = append(parts[0], 'X')
	if !bytes.Equal(parts[1], []byte("cd")) || !bytes.Equal(k, CompositeKey([]byte("ab"), []byte("cd"))) {
		t.Errorf("appending to component 0 overwrote the key: % x", k)
	}
}

func TestSplitCompositeKeyErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		in   []byte
		n    int
		want string // in the message
	}{
		{"empty", nil, 2, "offset 0"},
		{"half a length", []byte{0}, 2, "offset 0"},
		{"body truncated", []byte{0, 3, 'a', 'b'}, 2, "overrun"},
		{"no end byte", []byte{0, 1, 'a'}, 2, "overrun"},
		{"bad end byte", []byte{0, 1, 'a', 1, 0, 0, 0}, 2, "end-of-component byte 0x01 at offset 3"},
		{"too few components", CompositeKey([]byte("a"), []byte("b"))[:4], 2, "offset 4"},
		{"trailing bytes", append(CompositeKey([]byte("a"), []byte("b")), 7), 2, "1 trailing bytes at offset 8"},
		{"more components than asked", CompositeKey([]byte("a"), []byte("b"), []byte("c")), 2, "trailing"},
	} {
		_, err := SplitCompositeKey(c.in, c.n)
		if err == nil {
			t.Errorf("%s: SplitCompositeKey(% x, %d) succeeded, want an error", c.name, c.in, c.n)
			continue
		}
		if !errors.Is(err, ErrMalformedKey) {
			t.Errorf("%s: error %v does not wrap ErrMalformedKey", c.name, err)
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %q does not contain %q", c.name, err, c.want)
		}
	}
	if _, err := SplitCompositeKey([]byte{1}, 0); err == nil {
		t.Errorf("SplitCompositeKey(_, 0) succeeded, want an error")
	}
}

func FuzzSplitCompositeKey(f *testing.F) {
	f.Add(CompositeKey([]byte{0, 0, 0, 1}, []byte("a")), 2)
	f.Add([]byte{0, 1, 'a', 1}, 2)
	f.Add([]byte{}, 1)
	f.Add([]byte{0xff, 0xff, 0}, 3)
	f.Fuzz(func(t *testing.T, b []byte, n int) {
		n = n%8 + 1
		if n < 1 {
			n += 8
		}
		parts, err := SplitCompositeKey(b, n)
		if err != nil {
			if !errors.Is(err, ErrMalformedKey) {
				t.Fatalf("SplitCompositeKey(% x, %d): error %v does not wrap ErrMalformedKey", b, n, err)
			}
			return
		}
		if len(parts) != n {
			t.Fatalf("SplitCompositeKey(% x, %d) gave %d components", b, n, len(parts))
		}
		if got := CompositeKey(parts...); !bytes.Equal(got, b) {
			t.Fatalf("CompositeKey(SplitCompositeKey(% x, %d)) = % x, want the input back", b, n, got)
		}
	})
}
