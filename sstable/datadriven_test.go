package sstable

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"

	"wcdb/internal/vfs"
	"wcdb/mutation"
)

// TestDataDriven runs the scripts in testdata. Commands:
//
//	build [block-size=N] [summary=N] [compression=none]
//	<token> <key> [header]      starts a partition
//	  <clustering> <row>        adds a row to it (indented)
//
//	get <token> <key>
//	rows <token> <key> [start=c] [end=c] [reverse]
//	scan [start=token/key] [end=token/key]
//	verify
func TestDataDriven(t *testing.T) {
	datadriven.Walk(t, "testdata", func(t *testing.T, path string) {
		fs := vfs.NewMem()
		var r *Reader
		defer func() {
			if r != nil {
				r.Close()
			}
		}()
		datadriven.RunTest(t, path, func(t *testing.T, td *datadriven.TestData) string {
			switch td.Cmd {
			case "build":
				if r != nil {
					r.Close()
					r = nil
				}
				var opts WriterOptions
				td.MaybeScanArgs(t, "block-size", &opts.BlockSize)
				td.MaybeScanArgs(t, "summary", &opts.SummaryInterval)
				if td.HasArg("compression") {
					opts.Compression = None
				}
				w, err := NewWriter(fs, "/dd.sst", opts)
				if err != nil {
					return err.Error()
				}
				in := false
				for _, line := range strings.Split(td.Input, "\n") {
					f := strings.Fields(line)
					if len(f) == 0 {
						continue
					}
					if strings.HasPrefix(line, " ") {
						if len(f) != 2 {
							t.Fatalf("bad row line %q", line)
						}
						if err := w.AddRow([]byte(f[0]), []byte(f[1])); err != nil {
							w.Abort()
							return err.Error()
						}
						continue
					}
					if in {
						if err := w.FinishPartition(); err != nil {
							return err.Error()
						}
					}
					hdr := ""
					if len(f) > 2 {
						hdr = f[2]
					}
					if err := w.StartPartition(parseKey(t, f[0], f[1]), []byte(hdr)); err != nil {
						w.Abort()
						return err.Error()
					}
					in = true
				}
				if in {
					if err := w.FinishPartition(); err != nil {
						return err.Error()
					}
				}
				m, err := w.Finish(Stats{Rows: 1})
				if err != nil {
					return err.Error()
				}
				if r, err = Open(fs, "/dd.sst", ReaderOptions{Cache: NewCache(1 << 20)}); err != nil {
					return err.Error()
				}
				return fmt.Sprintf("partitions=%d min=%s max=%s\n", m.Partitions, fmtKey(m.MinKey), fmtKey(m.MaxKey))
			case "get", "rows":
				k := parseKey(t, td.CmdArgs[0].Key, td.CmdArgs[1].Key)
				p, err := r.Get(k)
				if err != nil {
					return err.Error()
				}
				if p == nil {
					return "absent\n"
				}
				var start, end []byte
				if a, ok := td.Arg("start"); ok {
					start = []byte(a.Vals[0])
				}
				if a, ok := td.Arg("end"); ok {
					end = []byte(a.Vals[0])
				}
				var b strings.Builder
				if td.Cmd == "get" {
					fmt.Fprintf(&b, "%s header=%q\n", fmtKey(p.Key()), p.Header())
				}
				writeRows(&b, p, start, end, td.HasArg("reverse"))
				return b.String()
			case "scan":
				var start, end *mutation.Key
				if a, ok := td.Arg("start"); ok {
					tok, key, _ := strings.Cut(a.Vals[0], "/")
					k := parseKey(t, tok, key)
					start = &k
				}
				if a, ok := td.Arg("end"); ok {
					tok, key, _ := strings.Cut(a.Vals[0], "/")
					k := parseKey(t, tok, key)
					end = &k
				}
				var b strings.Builder
				it := r.Scan(start, end)
				for it.Next() {
					p := it.Partition()
					fmt.Fprintf(&b, "%s header=%q\n", fmtKey(p.Key()), p.Header())
					writeRows(&b, p, nil, nil, false)
				}
				if err := it.Close(); err != nil {
					return err.Error()
				}
				return b.String()
			case "verify":
				if err := r.Verify(); err != nil {
					return err.Error()
				}
				return "ok\n"
			}
			t.Fatalf("unknown command %q", td.Cmd)
			return ""
		})
	})
}

func parseKey(t *testing.T, tok, key string) mutation.Key {
	n, err := strconv.ParseInt(tok, 10, 64)
	if err != nil {
		t.Fatalf("bad token %q", tok)
	}
	return mutation.Key{Token: n, Bytes: []byte(key)}
}

func fmtKey(k mutation.Key) string { return fmt.Sprintf("%d/%s", k.Token, k.Bytes) }

func writeRows(b *strings.Builder, p *Partition, start, end []byte, reverse bool) {
	it := p.Rows(start, end, reverse)
	for it.Next() {
		fmt.Fprintf(b, "  %s %s\n", it.Clustering(), it.Row())
	}
	if err := it.Close(); err != nil {
		fmt.Fprintf(b, "error: %v\n", err)
	}
}
