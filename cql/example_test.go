package cql_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"

	"wcdb/cql"
	"wcdb/query"
	"wcdb/query/ast"
)

// voidExecutor answers every statement with a Void result.
type voidExecutor struct{}

func (voidExecutor) Prepare(s *query.Session, q string) (*query.Prepared, error) {
	return &query.Prepared{Query: q}, nil
}

func (voidExecutor) Execute(ctx context.Context, s *query.Session, p *query.Prepared, opts *query.Options) (*query.Result, error) {
	return &query.Result{Kind: query.ResultVoid}, nil
}

func (voidExecutor) Query(ctx context.Context, s *query.Session, q string, opts *query.Options) (*query.Result, error) {
	return &query.Result{Kind: query.ResultVoid}, nil
}

func (voidExecutor) Batch(ctx context.Context, s *query.Session, typ ast.BatchType, entries []query.BatchEntry, opts *query.Options) (*query.Result, error) {
	return &query.Result{Kind: query.ResultVoid}, nil
}

// A server on a loopback port answering an OPTIONS frame written by hand.
func Example() {
	cfg := cql.DefaultConfig()
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := cql.New(cfg, voidExecutor{})
	if err != nil {
		panic(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0") // cfg.ListenAddress is 127.0.0.1:9042
	if err != nil {
		panic(err)
	}
	done := make(chan error)
	go func() { done <- srv.Serve(context.Background(), l) }()

	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		panic(err)
	}
	defer c.Close()
	// v4 request, no flags, stream 1, OPTIONS, empty body.
	c.Write([]byte{0x04, 0x00, 0x00, 0x01, 0x05, 0x00, 0x00, 0x00, 0x00})
	hdr := make([]byte, 9)
	io.ReadFull(c, hdr)
	fmt.Printf("version %#02x stream %d opcode %#02x (SUPPORTED)\n", hdr[0], int(hdr[2])<<8|int(hdr[3]), hdr[4])

	srv.Close()
	fmt.Println("serve:", <-done)
	// Output:
	// version 0x84 stream 1 opcode 0x06 (SUPPORTED)
	// serve: <nil>
}
