package auth

import (
	"context"
	"sync"
	"time"
)

// Cache holds the latest Snapshot, reloaded when it is older than its
// validity (Cassandra's roles_validity and permissions_validity, one
// setting here since one snapshot holds both); past the update interval
// (roles_update_interval) but within the validity, Get returns the
// snapshot it has and reloads in the background. Safe for concurrent use.
type Cache struct {
	load     func(ctx context.Context) (*Snapshot, error)
	validity time.Duration
	update   time.Duration
	now      func() time.Time

	mu      sync.Mutex
	snap    *Snapshot
	at      time.Time
	stale   bool          // Invalidate was called
	loading chan struct{} // closed when the load in flight ends
}

// NewCache returns a cache loading snapshots with load, keeping each for
// validity. now is the clock (nil: time.Now).
func NewCache(load func(ctx context.Context) (*Snapshot, error), validity time.Duration, now func() time.Time) *Cache {
	if now == nil {
		now = time.Now
	}
	return &Cache{load: load, validity: validity, update: validity, now: now}
}

// SetUpdateInterval sets the age past which a snapshot is reloaded in the
// background (at most the validity; 0: the validity, no background
// reload).
func (c *Cache) SetUpdateInterval(d time.Duration) {
	c.mu.Lock()
	c.update = c.validity
	if d > 0 && d < c.validity {
		c.update = d
	}
	c.mu.Unlock()
}

// asyncTimeout bounds a background reload.
const asyncTimeout = 10 * time.Second

// Get returns a snapshot no older than the validity. One load runs at a
// time; the others wait for it. When a load fails, the last snapshot is
// returned if there is one (logins go on while a replica of system_auth
// is down, as with Cassandra's caches), else the error.
func (c *Cache) Get(ctx context.Context) (*Snapshot, error) {
	for {
		c.mu.Lock()
		age := c.now().Sub(c.at)
		if c.snap != nil && !c.stale && age < c.validity {
			s := c.snap
			if age >= c.update && c.loading == nil {
				c.reloadLocked()
			}
			c.mu.Unlock()
			return s, nil
		}
		if c.loading != nil {
			ch := c.loading
			c.mu.Unlock()
			select {
			case <-ch:
				continue
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		ch := make(chan struct{})
		c.loading = ch
		c.stale = false
		c.mu.Unlock()

		s, err := c.load(ctx)
		c.mu.Lock()
		c.loading = nil
		close(ch)
		if err == nil {
			c.snap, c.at = s, c.now()
			c.mu.Unlock()
			return s, nil
		}
		last := c.snap
		c.mu.Unlock()
		if last != nil {
			return last, nil
		}
		return nil, err
	}
}

// reloadLocked loads a new snapshot in the background; Gets meanwhile
// return the current one.
func (c *Cache) reloadLocked() {
	ch := make(chan struct{})
	c.loading = ch
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), asyncTimeout)
		defer cancel()
		s, err := c.load(ctx)
		c.mu.Lock()
		defer c.mu.Unlock()
		c.loading = nil
		close(ch)
		if err == nil {
			c.snap, c.at = s, c.now()
		}
	}()
}

// Invalidate makes the next Get load a new snapshot: after a change made
// through this node, which its own next statement must see.
func (c *Cache) Invalidate() {
	c.mu.Lock()
	c.stale = true
	c.mu.Unlock()
}

// Throttle slows password guessing: every failed login from a host delays
// that host's next attempts, 2^(failures-1) × base up to max; a success
// clears it, and failures older than forget are forgotten. Safe for
// concurrent use.
type Throttle struct {
	base, max, forget time.Duration
	now               func() time.Time

	mu    sync.Mutex
	hosts map[string]*failures
}

type failures struct {
	n    int
	last time.Time
}

// maxThrottled bounds the hosts a Throttle remembers.
const maxThrottled = 10000

// NewThrottle returns a throttle (now nil: time.Now).
func NewThrottle(base, max, forget time.Duration, now func() time.Time) *Throttle {
	if now == nil {
		now = time.Now
	}
	return &Throttle{base: base, max: max, forget: forget, now: now, hosts: map[string]*failures{}}
}

// Delay is how long a login from host waits before its password is
// checked.
func (t *Throttle) Delay(host string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	f := t.hosts[host]
	if f == nil || t.now().Sub(f.last) > t.forget {
		return 0
	}
	d := t.base
	for i := 1; i < f.n && d < t.max; i++ {
		d *= 2
	}
	return min(d, t.max)
}

// Failed records a failed login from host.
func (t *Throttle) Failed(host string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	f := t.hosts[host]
	if f == nil || now.Sub(f.last) > t.forget {
		if len(t.hosts) >= maxThrottled {
			for h, g := range t.hosts {
				if now.Sub(g.last) > t.forget {
					delete(t.hosts, h)
				}
			}
			if len(t.hosts) >= maxThrottled {
				clear(t.hosts)
			}
		}
		f = &failures{}
		t.hosts[host] = f
	}
	f.n++
	f.last = now
}

// Succeeded clears host's failures.
func (t *Throttle) Succeeded(host string) {
	t.mu.Lock()
	delete(t.hosts, host)
	t.mu.Unlock()
}
