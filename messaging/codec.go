package messaging

import (
	"fmt"
	"sync"

	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"
)

// CodecName is the gRPC content-subtype of the wire format: requests carry
// "application/grpc+wcdb".
const CodecName = "wcdb"

func init() { encoding.RegisterCodecV2(codec{}) }

// codec encodes the service's messages in the wire format (wire.go). It
// takes and gives the message types of this package only.
type codec struct{}

func (codec) Name() string { return CodecName }

// encodeBufs recycles encoding buffers: gRPC returns a message's buffer to
// its pool once written. They start above mem.BufferPoolingThreshold, under
// which gRPC would not return them.
var encodeBufs = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

type encodePool struct{}

func (encodePool) Get(n int) *[]byte {
	bp := encodeBufs.Get().(*[]byte)
	if cap(*bp) < n {
		*bp = make([]byte, n)
	}
	*bp = (*bp)[:n]
	return bp
}

func (encodePool) Put(bp *[]byte) {
	if cap(*bp) > 1<<20 {
		return // let a rare large buffer go
	}
	*bp = (*bp)[:0]
	encodeBufs.Put(bp)
}

func (codec) Marshal(v any) (mem.BufferSlice, error) {
	m, ok := v.(message)
	if !ok {
		return nil, fmt.Errorf("messaging: cannot encode %T", v)
	}
	bp := encodeBufs.Get().(*[]byte)
	*bp = encodeMessage((*bp)[:0], m)
	return mem.BufferSlice{mem.NewBuffer(bp, encodePool{})}, nil
}

func (codec) Unmarshal(data mem.BufferSlice, v any) error {
	m, ok := v.(message)
	if !ok {
		return fmt.Errorf("messaging: cannot decode into %T", v)
	}
	// gRPC frees data when this returns, and decoded messages alias their
	// bytes: they get a copy of their own, in a buffer a frame receiver
	// reuses from one message to the next (see fetchFrameMsg).
	if f, ok := m.(*fetchFrameMsg); ok {
		n := data.Len()
		if cap(f.buf) < n {
			f.buf = make([]byte, n)
		}
		f.buf = f.buf[:n]
		data.CopyTo(f.buf)
		return decodeMessage(f.buf, &f.blobMsg)
	}
	return decodeMessage(data.Materialize(), m)
}
