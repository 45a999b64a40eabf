package timeline

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gocql/gocql"
)

// memDB is the timeline model: followers per user, timelines newest last.
type memDB struct {
	mu        sync.Mutex
	users     map[string]bool
	followers map[string][]string
	timelines map[string][]PostID
	posts     int
}

func newMemDB() *memDB {
	return &memDB{users: map[string]bool{}, followers: map[string][]string{}, timelines: map[string][]PostID{}}
}

func (m *memDB) Client(context.Context) (Client, error) { return memClient{m}, nil }
func (m *memDB) Facts(context.Context) map[string]string {
	return map[string]string{"kind": "memory"}
}
func (m *memDB) Close() error { return nil }

type memClient struct{ m *memDB }

func (c memClient) Follow(_ context.Context, user string, followees []string) error {
	c.m.mu.Lock()
	defer c.m.mu.Unlock()
	c.m.users[user] = true
	for _, f := range followees {
		c.m.followers[f] = append(c.m.followers[f], user)
	}
	return nil
}

func (c memClient) Post(_ context.Context, author string, id PostID, body string) (int, error) {
	c.m.mu.Lock()
	defer c.m.mu.Unlock()
	c.m.posts++
	fs := c.m.followers[author]
	for _, f := range fs {
		tl := c.m.timelines[f]
		i, _ := slices.BinarySearch(tl, id)
		c.m.timelines[f] = slices.Insert(tl, i, id)
	}
	return len(fs), nil
}

func (c memClient) Timeline(_ context.Context, user string, limit int) (int, PostID, error) {
	c.m.mu.Lock()
	defer c.m.mu.Unlock()
	tl := c.m.timelines[user]
	if len(tl) == 0 {
		return 0, 0, nil
	}
	return min(limit, len(tl)), tl[len(tl)-1], nil
}

func (c memClient) Close() error { return nil }

func TestGraph(t *testing.T) {
	g := NewGraph(5000, 20, 0.99, 7)
	counts := make([]int, g.Users())
	for u := range g.Users() {
		fs := g.Followees(u)
		if len(fs) != 20 || slices.Contains(fs, u) {
			t.Fatalf("user %d follows %v, want 20 others", u, fs)
		}
		s := slices.Clone(fs)
		slices.Sort(s)
		if len(slices.Compact(s)) != 20 {
			t.Fatalf("user %d follows %v, want no duplicates", u, fs)
		}
		for _, f := range fs {
			counts[f]++
		}
	}
	if !slices.Equal(g.Followees(42), NewGraph(5000, 20, 0.99, 7).Followees(42)) {
		t.Errorf("followees differ between graphs of one seed")
	}
	most, mean := g.FollowerStats()
	// Zipfian: user 0 is drawn by about one draw in nine, so most users
	// follow it; the median user has next to no followers.
	if counts[0] != int(most) || most < 3000 || mean != 20 {
		t.Errorf("got user 0 %d followers, most %d, mean %v; want the most, over 3000, 20", counts[0], most, mean)
	}
	sorted := slices.Clone(counts)
	slices.Sort(sorted)
	if median := sorted[len(sorted)/2]; median > 10 {
		t.Errorf("got median %d followers, want at most 10 (the mean is 20)", median)
	}
}

func TestPostIDs(t *testing.T) {
	var ids IDs
	var wg sync.WaitGroup
	got := make([][]PostID, 4)
	for w := range got {
		wg.Go(func() {
			for range 1000 {
				got[w] = append(got[w], ids.Next())
			}
		})
	}
	wg.Wait()
	all := slices.Concat(got...)
	for _, s := range got {
		if !slices.IsSorted(s) {
			t.Fatalf("ids of one worker out of order")
		}
	}
	slices.Sort(all)
	if len(slices.Compact(all)) != 4000 {
		t.Errorf("got duplicate ids")
	}
	id := ids.Next()
	// Ids stay distinct by running ahead of the clock when drawn faster
	// than it ticks: allow that much.
	if d := time.Since(id.Time()); d < -time.Second || d > time.Minute {
		t.Errorf("id time %v, want now", id.Time())
	}
	u := gocql.UUID(id.TimeUUID(0x1234, [6]byte{1, 2, 3, 4, 5, 6}))
	if u.Version() != 1 || u.Variant() != gocql.VariantIETF || !u.Time().Equal(id.Time()) {
		t.Errorf("timeuuid %v: version %d, variant %d, time %v; want 1, IETF, %v", u, u.Version(), u.Variant(), u.Time(), id.Time())
	}
	if back := PostIDOfUUID(u); back != id {
		t.Errorf("got id %d back from its timeuuid, want %d", back, id)
	}
	later := gocql.UUID((id + 1).TimeUUID(0x1234, [6]byte{1, 2, 3, 4, 5, 6}))
	if later.Timestamp() != u.Timestamp()+1 {
		t.Errorf("timeuuid ticks %d then %d, want consecutive", u.Timestamp(), later.Timestamp())
	}
}

func TestRunInMemory(t *testing.T) {
	db := newMemDB()
	cfg := DefaultConfig()
	cfg.DBName = "memory"
	cfg.Users = 500
	cfg.Follows = 10
	cfg.InitialPosts = 1000
	cfg.Operations = 2000
	cfg.Threads = 3
	cfg.PostRate = 200
	res, err := Run(context.Background(), db, cfg)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, ph := range res.Phases {
		names = append(names, ph.Name)
		if ph.Failed != 0 || ph.CPU == nil {
			t.Errorf("%s: %d failed, cpu %v; want none failed, figures", ph.Name, ph.Failed, ph.CPU)
		}
	}
	want := []string{PhaseFollows, PhasePosts, PhaseMix, PhaseReads}
	if !slices.Equal(names, want) || !slices.Equal(res.Settings.Workloads, want) {
		t.Fatalf("got phases %v (settings %v), want %v", names, res.Settings.Workloads, want)
	}
	if len(db.users) != 500 {
		t.Errorf("got %d users, want 500", len(db.users))
	}
	mix := res.Phases[2]
	posts, reads := mix.Ops["POST"].Count, mix.Ops["TIMELINE"].Count
	if posts+reads != 2000 || posts < 120 || posts > 280 {
		t.Errorf("timeline: got %d posts and %d reads, want 2000 with about 10%% posts", posts, reads)
	}
	if r := mix.Ops["TIMELINE"]; r.Rows == 0 || r.Rows > 50*r.Count {
		t.Errorf("timeline reads returned %d rows in %d reads, want some, at most 50 each", r.Rows, r.Count)
	}
	var fanout int64
	for _, ph := range res.Phases {
		if p := ph.Ops["POST"]; p != nil {
			fanout += p.Rows
		}
	}
	var stored int64
	for _, tl := range db.timelines {
		stored += int64(len(tl))
	}
	if fanout != stored {
		t.Errorf("posts report %d timeline rows, the model holds %d", fanout, stored)
	}
	if p := res.Settings.Params; p["workload"] != "timeline" || p["max_followers"] == "" || p["post_rate"] != "200" {
		t.Errorf("got params %v", p)
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		mod  func(*Config)
		want string
	}{
		{func(c *Config) { c.Phases = []string{PhaseMix, "load"} }, "order"},
		{func(c *Config) { c.Phases = []string{"x"} }, "unknown phase"},
		{func(c *Config) { c.Follows = 6000 }, "follows"},
		{func(c *Config) { c.Operations, c.Duration = 0, 0 }, "needs operations or a duration"},
		{func(c *Config) { c.PostProportion = 2 }, "post proportion"},
	} {
		c := DefaultConfig()
		tc.mod(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("got %v, want an error containing %q", err, tc.want)
		}
	}
	if err := DefaultConfig().Validate(); err != nil {
		t.Errorf("defaults: %v", err)
	}
}
