package server

import (
	"context"
	"errors"
	"time"

	"wcdb/auth"
	"wcdb/cql"
	"wcdb/query"
)

// Logins (PasswordAuthenticator) and the roles of a new cluster.

// authenticator checks CQL logins against the roles, slowing down a host
// that keeps guessing (auth.Throttle: 100 ms after a failure, doubling, at
// most 5 s, forgotten after a minute without failures).
type authenticator struct {
	x        *query.Executor
	throttle *auth.Throttle
}

func newAuthenticator(x *query.Executor) *authenticator {
	return &authenticator{x: x, throttle: auth.NewThrottle(100*time.Millisecond, 5*time.Second, time.Minute, nil)}
}

func (a *authenticator) Authenticate(ctx context.Context, host, user, password string) (string, error) {
	if d := a.throttle.Delay(host); d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return "", ctx.Err()
		}
	}
	role, err := a.x.Authenticate(ctx, user, password)
	var bc *auth.BadCredentials
	if errors.As(err, &bc) {
		a.throttle.Failed(host)
		return "", &cql.BadCredentials{Msg: bc.Msg}
	}
	if err == nil {
		a.throttle.Succeeded(host)
	}
	return role, err
}

// setupRoles gives a new cluster its superusers (query.SetupRoles) and
// warns while the default password is in use. When system_auth cannot be
// read yet (its replica down), it tries again in the background every
// setupRolesRetry until it can or the node stops.
func (c *clusterState) setupRoles(ctx context.Context) error {
	supers, err := c.cfg.Superusers()
	if err != nil {
		return err
	}
	try := func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		def, err := c.exec.SetupRoles(ctx, supers)
		if err != nil {
			return err
		}
		if def {
			c.log.Warn("the superuser cassandra has the default password cassandra: change it (ALTER ROLE cassandra WITH PASSWORD = '...'), or set auth.superuser_password_file or WCDB_SUPERUSER_PASSWORD before a cluster's first start")
		}
		return nil
	}
	if err := try(ctx); err == nil {
		return nil
	} else {
		c.log.Warn("cannot set up roles yet; retrying in the background", "err", err, "every", setupRolesRetry)
	}
	qctx, cancel := c.untilQuit()
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		defer cancel()
		t := time.NewTicker(setupRolesRetry)
		defer t.Stop()
		for {
			select {
			case <-qctx.Done():
				return
			case <-t.C:
				if err := try(qctx); err == nil {
					return
				}
			}
		}
	}()
	return nil
}

// setupRolesRetry is how often a node retries setting up roles.
const setupRolesRetry = 10 * time.Second
