package engine

import (
	"context"
	"encoding/binary"
	"fmt"
	"strings"
	"time"

	"wcdb/commitlog"
	"wcdb/internal/localnode"
	"wcdb/mutation"
	"wcdb/query"
	"wcdb/replication"
	"wcdb/storage"
)

// queryStore is our engine reached through the query layer, as a client's
// prepared statements are once the protocol has decoded them: the same
// storage settings as wcdbStore, tables made by CREATE TABLE, every
// operation a prepared INSERT, UPDATE or SELECT. Its ratio to wcdbStore in
// one run is what the query layer costs.
type queryStore struct {
	e                      *storage.Engine
	x                      *query.Executor
	s                      *query.Session
	fields                 int
	ctx                    context.Context
	insStmt, readStmt      *query.Prepared
	insRowStmt, newestStmt *query.Prepared
	updStmts               []*query.Prepared // per field: UPDATE ... SET fieldN = ?
}

// benchTopology is the one-node cluster the executor's system tables
// describe.
type benchTopology struct{}

func (benchTopology) ClusterName() string { return "bench" }
func (benchTopology) Local() query.Node {
	return query.Node{Address: []byte{127, 0, 0, 1}, RPCAddress: []byte{127, 0, 0, 1}, RPCPort: 9042,
		DataCenter: "datacenter1", Rack: "rack1", Tokens: []string{"-9223372036854775808"}}
}
func (benchTopology) Peers() []query.Node { return nil }

func openQuery(cfg storeConfig) (*queryStore, error) {
	opts := storage.DefaultOptions(cfg.dir)
	opts.CommitLogSync = commitlog.Periodic
	opts.MemtableFlushSize = cfg.memtableSize
	opts.BlockCacheSize = cfg.cacheSize
	opts.BlockSize = cfg.blockSize
	opts.CompactionThroughput = -1
	e, err := storage.Open(opts)
	if err != nil {
		return nil, err
	}
	ctx := context.Background()
	x, err := query.New(ctx, query.Config{
		Coordinator: replication.NewLocal(localnode.Replica{E: e}, "datacenter1"),
		Backend:     localnode.Backend{E: e},
		Topology:    benchTopology{},
	})
	if err != nil {
		e.Close()
		return nil, err
	}
	s := &queryStore{e: e, x: x, s: &query.Session{}, fields: cfg.fields, ctx: ctx}
	if err := s.setup(); err != nil {
		e.Close()
		return nil, fmt.Errorf("query store: %w", err)
	}
	return s, nil
}

func (s *queryStore) setup() error {
	fields := make([]string, s.fields)
	for i := range fields {
		fields[i] = fmt.Sprintf("field%d", i)
	}
	list := strings.Join(fields, ", ")
	marks := strings.Repeat(", ?", s.fields)
	ddl := []string{
		"CREATE KEYSPACE ycsb WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
		"USE ycsb",
		// YCSB's Cassandra binding has a text key; the fields are blobs
		// here because the benchmark's values are random bytes.
		"CREATE TABLE usertable (y_id text PRIMARY KEY, " + strings.Join(fields, " blob, ") + " blob)",
		"CREATE TABLE slices (p text, seq bigint, " + strings.Join(fields, " blob, ") + " blob, PRIMARY KEY (p, seq))",
	}
	for _, q := range ddl {
		if _, err := s.x.Query(s.ctx, s.s, q, &query.Options{Consistency: replication.One, Timestamp: mutation.NoTimestamp}); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	var err error
	prep := func(q string) *query.Prepared {
		if err != nil {
			return nil
		}
		var p *query.Prepared
		p, err = s.x.Prepare(s.s, q)
		return p
	}
	s.insStmt = prep("INSERT INTO usertable (y_id, " + list + ") VALUES (?" + marks + ")")
	s.readStmt = prep("SELECT * FROM usertable WHERE y_id = ?")
	s.insRowStmt = prep("INSERT INTO slices (p, seq, " + list + ") VALUES (?, ?" + marks + ")")
	s.newestStmt = prep("SELECT * FROM slices WHERE p = ? ORDER BY seq DESC LIMIT ?")
	for _, f := range fields {
		s.updStmts = append(s.updStmts, prep("UPDATE usertable SET "+f+" = ? WHERE y_id = ?"))
	}
	return err
}

func (s *queryStore) exec(p *query.Prepared, values [][]byte) (*query.Result, error) {
	return s.x.Execute(s.ctx, s.s, p, &query.Options{Consistency: replication.One, Timestamp: mutation.NoTimestamp, Values: values})
}

func (s *queryStore) insert(key []byte, fields [][]byte) error {
	vals := make([][]byte, 0, 1+len(fields))
	_, err := s.exec(s.insStmt, append(append(vals, key), fields...))
	return err
}

func (s *queryStore) update(key []byte, field int, value []byte) error {
	_, err := s.exec(s.updStmts[field], [][]byte{value, key})
	return err
}

func (s *queryStore) read(key []byte) (bool, error) {
	res, err := s.exec(s.readStmt, [][]byte{key})
	if err != nil {
		return false, err
	}
	if len(res.Rows) != 1 {
		return false, nil
	}
	for _, v := range res.Rows[0][1:] {
		if v == nil {
			return false, nil
		}
	}
	return true, nil
}

func (s *queryStore) insertRow(part []byte, seq uint64, fields [][]byte) error {
	vals := make([][]byte, 0, 2+len(fields))
	vals = append(vals, part, binary.BigEndian.AppendUint64(nil, seq))
	_, err := s.exec(s.insRowStmt, append(vals, fields...))
	return err
}

func (s *queryStore) readNewest(part []byte, n int) (int, error) {
	res, err := s.exec(s.newestStmt, [][]byte{part, binary.BigEndian.AppendUint32(nil, uint32(n))})
	if err != nil {
		return 0, err
	}
	got := 0
	for _, r := range res.Rows {
		full := true
		for _, v := range r[2:] {
			full = full && v != nil
		}
		if full {
			got++
		}
	}
	return got, nil
}

func (s *queryStore) writeAmp() float64 { return engineWriteAmp(s.e) }

func (s *queryStore) spaceAmp() float64 { return engineSpaceAmp(s.e) }

func (s *queryStore) close() error { return s.e.Close() }

func (s *queryStore) settle(timeout time.Duration) error { return settleEngine(s.e, timeout) }
