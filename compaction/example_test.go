package compaction_test

import (
	"context"
	"fmt"
	"time"

	"wcdb/compaction"
	"wcdb/mutation"
)

func Example() {
	// The table's CQL: WITH compaction = {'class': 'LeveledCompactionStrategy', 'sstable_size_in_mb': '64'}
	s, err := compaction.New("LeveledCompactionStrategy", map[string]string{"sstable_size_in_mb": "64"})
	if err != nil {
		fmt.Println(err)
		return
	}
	key := func(tok int64) mutation.Key { return mutation.Key{Token: tok} }
	var tables []compaction.Table
	for id := uint64(1); id <= 4; id++ { // four flushes in L0
		tables = append(tables, compaction.Table{ID: id, Size: 8 << 20, MinKey: key(-100), MaxKey: key(100)})
	}
	tables = append(tables,
		compaction.Table{ID: 5, Size: 64 << 20, Level: 1, MinKey: key(-500), MaxKey: key(-200)},
		compaction.Table{ID: 6, Size: 64 << 20, Level: 1, MinKey: key(-199), MaxKey: key(300)})

	task := s.Pick(tables, time.Now())
	fmt.Println(task.Inputs, "into level", task.OutputLevel, "in files of", task.MaxOutputBytes>>20, "MiB")

	// The merge then throttles its I/O.
	limiter := compaction.NewLimiter(compaction.DefaultThroughput)
	if err := limiter.Wait(context.Background(), 64<<10); err != nil {
		fmt.Println(err)
	}

	_, err = compaction.New("SizeTieredCompactionStrategy", map[string]string{"min_threshold": "1"})
	fmt.Println(err)
	// Output:
	// [1 2 3 4 6] into level 1 in files of 64 MiB
	// compaction: SizeTieredCompactionStrategy: option min_threshold = "1": must be at least 2
}
