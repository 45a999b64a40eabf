package auth

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"testing"
	"time"
)

func TestPasswords(t *testing.T) {
	h, err := HashPassword("s3cret")
	if err != nil {
		t.Fatal(err)
	}
	if !CheckPassword(h, "s3cret") || CheckPassword(h, "S3cret") || CheckPassword("", "") {
		t.Error("CheckPassword accepts the wrong password or refuses the right one")
	}
	h2, _ := HashPassword("s3cret")
	if h == h2 {
		t.Error("two hashes of one password are equal: no salt")
	}
}

func TestResources(t *testing.T) {
	tbl := TableResource("ks", "t")
	if tbl.Parent() != KeyspaceResource("ks") || tbl.Parent().Parent() != AllKeyspaces || AllKeyspaces.Parent() != "" {
		t.Errorf("parents of %s: %s, %s", tbl, tbl.Parent(), tbl.Parent().Parent())
	}
	for r, want := range map[Resource]string{
		AllKeyspaces: "<all keyspaces>", KeyspaceResource("ks"): "<keyspace ks>", tbl: "<table ks.t>",
		AllRoles: "<all roles>", RoleResource("bob"): "<role bob>",
	} {
		if got := r.Display(); got != want {
			t.Errorf("%s displays as %q, want %q", r, got, want)
		}
	}
	if tbl.Applicable()&Create != 0 || KeyspaceResource("ks").Applicable()&Create == 0 ||
		RoleResource("r").Applicable()&Describe != 0 || AllRoles.Applicable()&Describe == 0 {
		t.Error("applicable permissions differ from Cassandra's")
	}
	if got := (Select | Modify | Authorize).String(); got != "SELECT, MODIFY, AUTHORIZE" {
		t.Errorf("names: %q", got)
	}
}

func TestSnapshotAuthorized(t *testing.T) {
	s := NewSnapshot([]Role{
		{Name: "admin", Super: true, Login: true},
		{Name: "ops", MemberOf: []string{"admin"}},
		{Name: "analyst", MemberOf: []string{"readers"}},
		{Name: "readers", MemberOf: []string{"analyst"}}, // a cycle must not loop
		{Name: "bob", Login: true, MemberOf: []string{"analyst", "gone"}},
	}, map[string]map[Resource]Permission{
		"readers": {KeyspaceResource("ks"): Select},
		"bob":     {TableResource("ks", "t"): Modify},
	})
	for _, tc := range []struct {
		role string
		r    Resource
		p    Permission
		want bool
	}{
		{"bob", TableResource("ks", "t"), Select, true},  // from readers, on the keyspace
		{"bob", TableResource("ks", "t"), Modify, true},  // his own
		{"bob", TableResource("ks", "u"), Modify, false}, // another table
		{"bob", TableResource("other", "t"), Select, false},
		{"bob", KeyspaceResource("ks"), Drop, false},
		{"ops", AllRoles, Create, true}, // granted a superuser
		{"nobody", AllKeyspaces, Select, false},
		{"bob", TableResource("ks", "t"), Select | Modify, false}, // both at one level only
	} {
		if got := s.Authorized(tc.role, tc.r, tc.p); got != tc.want {
			t.Errorf("%s %s on %s: got %v, want %v", tc.role, tc.p, tc.r, got, tc.want)
		}
	}
	if got := s.Effective("bob"); !slices.Equal(got, []string{"bob", "analyst", "readers"}) {
		t.Errorf("effective roles of bob: %v", got)
	}
}

func TestCache(t *testing.T) {
	var loads atomic.Int32
	fail := atomic.Bool{}
	now := time.Unix(1000, 0)
	c := NewCache(func(ctx context.Context) (*Snapshot, error) {
		if fail.Load() {
			return nil, errors.New("replica down")
		}
		loads.Add(1)
		return NewSnapshot(nil, nil), nil
	}, 2*time.Second, func() time.Time { return now })
	ctx := context.Background()
	s1, _ := c.Get(ctx)
	s2, _ := c.Get(ctx)
	if s1 != s2 || loads.Load() != 1 {
		t.Fatalf("two gets within the validity loaded %d times", loads.Load())
	}
	now = now.Add(2 * time.Second)
	if s3, _ := c.Get(ctx); s3 == s1 || loads.Load() != 2 {
		t.Fatalf("a get past the validity loaded %d times in all", loads.Load())
	}
	c.Invalidate()
	c.Get(ctx)
	if loads.Load() != 3 {
		t.Fatalf("a get after Invalidate: %d loads, want 3", loads.Load())
	}
	// A failed load serves the last snapshot.
	fail.Store(true)
	now = now.Add(time.Hour)
	if s, err := c.Get(ctx); err != nil || s == nil {
		t.Fatalf("a failed reload: %v, %v; want the last snapshot", s, err)
	}
	empty := NewCache(func(context.Context) (*Snapshot, error) { return nil, errors.New("down") }, time.Second, nil)
	if _, err := empty.Get(ctx); err == nil {
		t.Fatal("a cache that never loaded returned no error")
	}
}

func TestThrottle(t *testing.T) {
	now := time.Unix(1000, 0)
	th := NewThrottle(100*time.Millisecond, time.Second, time.Minute, func() time.Time { return now })
	if d := th.Delay("h"); d != 0 {
		t.Fatalf("delay before any failure: %v", d)
	}
	var got []time.Duration
	for range 6 {
		th.Failed("h")
		got = append(got, th.Delay("h"))
	}
	want := []time.Duration{100, 200, 400, 800, 1000, 1000}
	for i := range want {
		if got[i] != want[i]*time.Millisecond && !(want[i] == 1000 && got[i] == time.Second) {
			t.Fatalf("delays after 1..6 failures: %v", got)
		}
	}
	if th.Delay("other") != 0 {
		t.Error("another host is slowed")
	}
	now = now.Add(2 * time.Minute)
	if d := th.Delay("h"); d != 0 {
		t.Errorf("failures not forgotten after a quiet minute: %v", d)
	}
	th.Failed("h")
	th.Succeeded("h")
	if d := th.Delay("h"); d != 0 {
		t.Errorf("delay after a success: %v", d)
	}
}

// TestCacheUpdateInterval: past the update interval and within the
// validity, Get answers at once with the snapshot it has and reloads in
// the background.
func TestCacheUpdateInterval(t *testing.T) {
	var loads atomic.Int32
	release := make(chan struct{})
	now := time.Unix(1000, 0)
	var clock atomic.Pointer[time.Time]
	clock.Store(&now)
	c := NewCache(func(ctx context.Context) (*Snapshot, error) {
		if loads.Add(1) > 1 {
			<-release
		}
		return NewSnapshot(nil, nil), nil
	}, 10*time.Second, func() time.Time { return *clock.Load() })
	c.SetUpdateInterval(time.Second)
	ctx := context.Background()
	s1, _ := c.Get(ctx)
	later := now.Add(2 * time.Second)
	clock.Store(&later)
	s2, err := c.Get(ctx) // must not wait for the held reload
	if err != nil || s2 != s1 {
		t.Fatalf("a get past the update interval: %v, same snapshot %v", err, s2 == s1)
	}
	close(release)
	deadline := time.Now().Add(5 * time.Second)
	for {
		if s3, _ := c.Get(ctx); s3 != s1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the background reload never landed")
		}
		time.Sleep(time.Millisecond)
	}
	if n := loads.Load(); n != 2 {
		t.Errorf("%d loads, want 2", n)
	}
}
