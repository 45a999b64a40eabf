package cqldb

import (
	"context"
	"errors"
	"fmt"

	"github.com/gocql/gocql"
)

// OpenSession connects, creates the keyspace (RF cfg.RF) if missing, runs
// the tables' CREATE statements in it (cfg.Fresh: dropping the tables
// named in drop first), and returns a session on the keyspace. Open and
// OpenTimeline build on it; workloads that speak CQL themselves (bench/lwt)
// use it as it is.
func OpenSession(ctx context.Context, cfg Config, tables, drop []string) (*gocql.Session, error) {
	if len(cfg.Hosts) == 0 || cfg.RF < 1 || cfg.Connections < 1 {
		return nil, errors.New("cqldb: need hosts, rf and connections")
	}
	cl, err := cfg.cluster("")
	if err != nil {
		return nil, err
	}
	setup, err := cl.CreateSession()
	if err != nil {
		return nil, fmt.Errorf("cqldb: connect %v: %w", cfg.Hosts, err)
	}
	defer setup.Close()
	stmts := []string{fmt.Sprintf("CREATE KEYSPACE IF NOT EXISTS %s WITH replication = {'class': 'SimpleStrategy', 'replication_factor': %d}", cfg.Keyspace, cfg.RF)}
	if cfg.Fresh {
		for _, t := range drop {
			stmts = append(stmts, "DROP TABLE IF EXISTS "+cfg.Keyspace+"."+t)
		}
	}
	for _, s := range stmts {
		if err := setup.Query(s).WithContext(ctx).Exec(); err != nil {
			return nil, fmt.Errorf("cqldb: %s: %w", s, err)
		}
	}
	if cl, err = cfg.cluster(cfg.Keyspace); err != nil {
		return nil, err
	}
	s, err := cl.CreateSession()
	if err != nil {
		return nil, fmt.Errorf("cqldb: connect %v: %w", cfg.Hosts, err)
	}
	for _, t := range tables {
		if err := s.Query(t).WithContext(ctx).Exec(); err != nil {
			s.Close()
			return nil, fmt.Errorf("cqldb: %s: %w", t, err)
		}
	}
	return s, nil
}
