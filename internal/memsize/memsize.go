// Package memsize measures what a Go value holds on the heap: every
// allocation reachable from it is counted once, at its size class, by
// reflection (as Cassandra measures its prepared statements with jamm's
// measureDeep). Function values count as a pointer: what a closure
// captures is invisible to reflection.
package memsize

import (
	"reflect"
	"strings"
	"sync"
	"unsafe"
)

// Options say what a measure leaves out.
type Options struct {
	// Text is a string whose substrings (say the pieces a parser cut out
	// of it) are counted with it, once.
	Text string
	// Skip says which types pointers are not followed to: shared state
	// no one value is charged for.
	Skip func(reflect.Type) bool
}

// Measure returns the bytes v reaches, or a number over limit (and true)
// as soon as it is known to exceed limit: a value too large is not walked
// to its end.
func Measure(v any, limit int64, o Options) (int64, bool) {
	z := sizer{seen: make(map[uintptr]struct{}), limit: limit, skip: o.Skip}
	if o.Text != "" {
		z.text = unsafe.Pointer(unsafe.StringData(o.Text))
		z.textLen = uintptr(len(o.Text))
	}
	z.value(reflect.ValueOf(v))
	return z.total, z.over
}

// sizer walks values, summing the allocations they reach.
type sizer struct {
	seen  map[uintptr]struct{} // addresses of the allocations counted
	total int64
	limit int64
	over  bool
	// text is a string whose pieces (substrings sharing its bytes) cost
	// nothing beyond it.
	text    unsafe.Pointer
	textLen uintptr
	// skip says which types pointers are not followed to: shared state
	// no one value is charged for.
	skip func(reflect.Type) bool
}

// alloc counts an allocation of n bytes at addr, once; false if it was
// counted before (or the walk is over the limit).
func (z *sizer) alloc(addr uintptr, n uintptr) bool {
	if z.over || addr == 0 {
		return false
	}
	if _, ok := z.seen[addr]; ok {
		return false
	}
	z.seen[addr] = struct{}{}
	z.total += int64(roundAlloc(n))
	if z.total > z.limit {
		z.over = true
	}
	return true
}

// value counts what v refers to; v's own bytes belong to whatever holds it.
func (z *sizer) value(v reflect.Value) {
	t := v.Type()
	if z.over || !hasPointers(t) {
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() || z.skip != nil && z.skip(t.Elem()) {
			return
		}
		if z.alloc(v.Pointer(), t.Elem().Size()) {
			z.value(v.Elem())
		}
	case reflect.Struct:
		if elem, ok := atomicPointerElem(t); ok {
			// sync/atomic.Pointer[T] keeps its *T as an unsafe.Pointer.
			p := v.FieldByName("v").UnsafePointer()
			if p != nil {
				z.value(reflect.NewAt(elem, p))
			}
			return
		}
		for i := range v.NumField() {
			z.value(v.Field(i))
		}
	case reflect.Array:
		for i := range v.Len() {
			z.value(v.Index(i))
		}
	case reflect.Slice:
		if v.Cap() == 0 {
			return
		}
		if z.alloc(v.Pointer(), uintptr(v.Cap())*t.Elem().Size()) && hasPointers(t.Elem()) {
			for i := range v.Len() {
				z.value(v.Index(i))
			}
		}
	case reflect.String:
		n := uintptr(v.Len())
		if n == 0 {
			return
		}
		p := unsafe.Pointer(unsafe.StringData(v.String()))
		if z.text != nil && uintptr(p) >= uintptr(z.text) && uintptr(p)+n <= uintptr(z.text)+z.textLen &&
			!(p == z.text && n == z.textLen) {
			return // a piece of the text, counted with it
		}
		z.alloc(uintptr(p), n)
	case reflect.Interface:
		if v.IsNil() {
			return
		}
		e := v.Elem()
		switch e.Kind() {
		case reflect.Pointer, reflect.Map, reflect.Chan, reflect.Func, reflect.UnsafePointer:
			// Stored in the interface word itself.
		default:
			// A value boxed on the heap. (Go keeps small integers and
			// zero-size values without an allocation; counting them is
			// the safe side.)
			if z.over {
				return
			}
			z.total += int64(roundAlloc(e.Type().Size()))
		}
		z.value(e)
	case reflect.Map:
		if v.IsNil() {
			return
		}
		if z.alloc(v.Pointer(), mapBytes(t, v.Len())) && (hasPointers(t.Key()) || hasPointers(t.Elem())) {
			it := v.MapRange()
			for it.Next() {
				z.value(it.Key())
				z.value(it.Value())
			}
		}
	}
}

// atomicPointerElem returns T for sync/atomic.Pointer[T].
func atomicPointerElem(t reflect.Type) (reflect.Type, bool) {
	if t.PkgPath() != "sync/atomic" || !strings.HasPrefix(t.Name(), "Pointer[") {
		return nil, false
	}
	// Its first field is _ [0]*T.
	f := t.Field(0).Type
	if f.Kind() != reflect.Array || f.Elem().Kind() != reflect.Pointer {
		return nil, false
	}
	return f.Elem().Elem(), true
}

// mapBytes estimates a map's table: Go's swiss tables keep groups of 8
// slots, each a key, a value and a control byte, at most 7/8 full.
func mapBytes(t reflect.Type, n int) uintptr {
	slot := t.Key().Size() + t.Elem().Size() + 1
	groups := (uintptr(n)*8/7 + 7) / 8
	return 48 + max(groups, 1)*8*slot
}

var pointerTypes sync.Map // reflect.Type -> bool

// hasPointers reports whether a value of type t can refer to memory the
// sizer counts.
func hasPointers(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.String, reflect.Map, reflect.Interface:
		return true
	case reflect.Array, reflect.Struct:
	default:
		return false // numbers, and funcs, chans, unsafe pointers: not followed
	}
	if v, ok := pointerTypes.Load(t); ok {
		return v.(bool)
	}
	has := false
	if t.Kind() == reflect.Array {
		has = t.Len() > 0 && hasPointers(t.Elem())
	} else if _, ok := atomicPointerElem(t); ok {
		has = true
	} else {
		for i := range t.NumField() {
			if hasPointers(t.Field(i).Type) {
				has = true
				break
			}
		}
	}
	pointerTypes.Store(t, has)
	return has
}

// sizeClasses are the Go runtime's small object size classes
// (runtime/sizeclasses.go); larger objects take whole 8 KiB pages.
var sizeClasses = [...]uintptr{
	8, 16, 24, 32, 48, 64, 80, 96, 112, 128, 144, 160, 176, 192, 208, 224, 240, 256,
	288, 320, 352, 384, 416, 448, 480, 512, 576, 640, 704, 768, 896, 1024, 1152, 1280,
	1408, 1536, 1792, 2048, 2304, 2688, 3072, 3200, 3456, 4096, 4864, 5376, 6144, 6528,
	6784, 6912, 8192, 9472, 9728, 10240, 10880, 12288, 13568, 14336, 16384, 18432, 19072,
	20480, 21760, 24576, 27264, 28672, 32768,
}

// roundAlloc returns the memory an allocation of n bytes takes.
func roundAlloc(n uintptr) uintptr {
	if n == 0 {
		return 0
	}
	if n > sizeClasses[len(sizeClasses)-1] {
		return (n + 8191) &^ 8191
	}
	lo, hi := 0, len(sizeClasses)-1
	for lo < hi {
		mid := (lo + hi) / 2
		if sizeClasses[mid] < n {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return sizeClasses[lo]
}
