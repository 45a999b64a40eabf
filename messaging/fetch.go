package messaging

import (
	"context"
	"errors"
	"io"

	"google.golang.org/grpc"
)

// opFetch is the server-streaming method behind Client.Fetch: one request,
// then as many response messages as the server sends. It carries the data
// of range movements (bootstrap, decommission, removenode), whose frames
// are opaque here: their format and checks belong to the caller
// (package streaming). gRPC's flow control paces the sender to the
// receiver.
const opFetch = "Fetch"

// fetchFrameMsg is a blobMsg received into a buffer reused across the messages
// of one Fetch (the codec decodes it so).
type fetchFrameMsg struct {
	blobMsg
	buf []byte
}

// fetchDesc describes the server-streaming Fetch method.
func fetchDesc() grpc.StreamDesc {
	return grpc.StreamDesc{StreamName: opFetch, Handler: serveFetch, ServerStreams: true}
}

// serveFetch runs ServerOptions.Fetch for one request, sending each frame
// it produces as a message.
func serveFetch(srv any, stream grpc.ServerStream) error {
	h := srv.(*handler)
	req := new(blobMsg)
	if err := stream.RecvMsg(req); err != nil {
		return err
	}
	if h.fetch == nil {
		return toStatus(errors.New("messaging: node serves no fetch requests"))
	}
	err := h.fetch(stream.Context(), req.b, func(frame []byte) error {
		return stream.SendMsg(&blobMsg{b: frame})
	})
	if err != nil {
		return toStatus(err)
	}
	return nil
}

// Fetch sends req to the peer's ServerOptions.Fetch and returns the frames
// it answers with, one per call of next, which returns io.EOF after the
// last. A frame is valid until the next call of next: they share one
// buffer (a stream of large frames would otherwise allocate each). ctx bounds the whole exchange (the client's default timeout does
// not apply: a fetch may take hours); close releases the call and must be
// called once the caller is done, whether or not it read every frame.
func (c *Client) Fetch(ctx context.Context, req []byte) (next func() ([]byte, error), close func(), err error) {
	if c.closed.Load() {
		return nil, nil, ErrClosed
	}
	ctx, cancel := context.WithCancel(ctx)
	cc := c.conns[0]
	if len(c.conns) > 1 {
		cc = c.conns[int(c.next.Add(1))%len(c.conns)]
	}
	desc := fetchDesc()
	s, err := cc.NewStream(ctx, &desc, fullMethod(opFetch))
	if err != nil {
		cancel()
		return nil, nil, fromStatus(opFetch, c.addr, err)
	}
	if err := s.SendMsg(&blobMsg{b: req}); err != nil {
		cancel()
		return nil, nil, fromStatus(opFetch, c.addr, err)
	}
	if err := s.CloseSend(); err != nil {
		cancel()
		return nil, nil, fromStatus(opFetch, c.addr, err)
	}
	m := new(fetchFrameMsg)
	next = func() ([]byte, error) {
		if err := s.RecvMsg(m); err != nil {
			if errors.Is(err, io.EOF) {
				return nil, io.EOF
			}
			if c.closed.Load() {
				return nil, ErrClosed
			}
			return nil, fromStatus(opFetch, c.addr, err)
		}
		return m.b, nil
	}
	return next, cancel, nil
}
