// Package corrupt holds the marker that every layer's corruption error
// carries, in the manner of Pebble's base.ErrCorruption: a caller can tell
// damaged data (a bad checksum, an encoding that does not parse) from any
// other failure without knowing which layer found it,
//
//	errors.Is(err, corrupt.Err)
//
// while errors.Is(err, sstable.ErrCorrupt) and the like still name the
// layer. It is a package of its own, importing nothing, rather than a part
// of internal/bin: storage, commitlog and streaming report corruption but
// decode nothing with internal/bin, and any package may import it.
package corrupt

import "errors"

// Err is the corruption marker. It is not returned bare: each package
// defines its own sentinel with New, and every sentinel wraps Err.
var Err = errors.New("wcdb: corrupt data")

// New returns a package's corruption sentinel: an error whose message is
// text alone and for which errors.Is(e, Err) holds.
func New(text string) error { return &sentinel{text} }

type sentinel struct{ text string }

func (e *sentinel) Error() string { return e.text }

// Unwrap makes errors.Is(e, Err) hold for every error wrapping e.
func (e *sentinel) Unwrap() error { return Err }
