package ycsbtest

import (
	"context"
	"testing"
	"time"

	"wcdb/bench/timeline"
)

// RunTimeline checks a timeline driver on a graph of three users
// (fan-out, newest first, the limit) and then runs every timeline phase
// small: none may fail. The database must be empty.
func RunTimeline(t *testing.T, db timeline.DB, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := db.Client(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// tB follows tA; tC follows tA and tB.
	for _, f := range []struct {
		user      string
		followees []string
	}{{"tA", nil}, {"tB", []string{"tA"}}, {"tC", []string{"tA", "tB"}}} {
		if err := c.Follow(ctx, f.user, f.followees); err != nil {
			t.Fatalf("follow %s: %v", f.user, err)
		}
	}
	var ids timeline.IDs
	post := func(author string, wantRows int) timeline.PostID {
		t.Helper()
		id := ids.Next()
		n, err := c.Post(ctx, author, id, "body of "+author)
		if err != nil || n != wantRows {
			t.Fatalf("post by %s: got %d rows, %v; want %d, nil", author, n, err, wantRows)
		}
		return id
	}
	read := func(user string, limit, wantRows int, wantFirst timeline.PostID) {
		t.Helper()
		n, first, err := c.Timeline(ctx, user, limit)
		if err != nil || n != wantRows || first != wantFirst {
			t.Errorf("timeline of %s: got %d rows, first %d, %v; want %d, %d, nil", user, n, first, err, wantRows, wantFirst)
		}
	}
	a1 := post("tA", 2)
	b1 := post("tB", 1)
	post("tC", 0)
	read("tA", 50, 0, 0)
	read("tB", 50, 1, a1)
	read("tC", 50, 2, b1)
	var last timeline.PostID
	for range 60 {
		last = post("tA", 2)
	}
	read("tB", 50, 50, last)
	read("tC", 10, 10, last)

	cfg := timeline.DefaultConfig()
	cfg.DBName = name
	cfg.Users = 200
	cfg.Follows = 5
	cfg.InitialPosts = 300
	cfg.Operations = 400
	cfg.Duration = 20 * time.Second
	cfg.Threads = 4
	cfg.PostRate = 50
	res, err := timeline.Run(ctx, db, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Phases) != 4 {
		t.Fatalf("got %d phases, want 4", len(res.Phases))
	}
	for _, ph := range res.Phases {
		t.Logf("%s: %d ok in %.2f s, stopped by %s", ph.Name, ph.OK, ph.ElapsedS, ph.StoppedBy)
		if ph.Failed != 0 {
			t.Errorf("%s: got %d failed operations (%v), want 0", ph.Name, ph.Failed, ph.Errors)
		}
	}
	if f := res.Phases[0].Ops["FOLLOW"]; f == nil || f.Count != 200 || f.Rows != 200*5 {
		t.Errorf("follows: got %+v, want 200 follows of 5", f)
	}
	if p := res.Phases[1].Ops["POST"]; p == nil || p.Count != 300 || p.Rows == 0 {
		t.Errorf("posts: got %+v, want 300 posts fanned out", p)
	}
	if r := res.Phases[3].Ops["TIMELINE"]; r == nil || r.Count != 400 || r.Rows == 0 {
		t.Errorf("timeline-reads: got %+v, want 400 reads returning rows", r)
	}
}
