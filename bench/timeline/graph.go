package timeline

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync/atomic"
	"time"
)

// UserName returns the id of user i: "u" and i in decimal.
func UserName(i int64) string { return "u" + strconv.FormatInt(i, 10) }

// Graph is the follow graph: each user follows Follows distinct others,
// drawn from a zipfian (power law) over the users, so that user 0 is the
// most followed, user 1 the next, and most users have few followers. A
// user's followees depend only on the seed and the user: any worker can
// recompute them.
type Graph struct {
	users   int64
	follows int
	seed    uint64
	cdf     []float64 // cdf[i]: weight of users 0..i; the last is the total
}

// NewGraph returns the graph of users users, each following follows
// others, with popularity proportional to 1/(rank+1)^theta.
func NewGraph(users int64, follows int, theta float64, seed uint64) *Graph {
	g := &Graph{users: users, follows: follows, seed: seed, cdf: make([]float64, users)}
	var sum float64
	for i := range g.cdf {
		sum += 1 / math.Pow(float64(i+1), theta)
		g.cdf[i] = sum
	}
	return g
}

// Users returns the number of users.
func (g *Graph) Users() int64 { return g.users }

// rank draws a user by popularity.
func (g *Graph) rank(r *rand.Rand) int64 {
	u := r.Float64() * g.cdf[len(g.cdf)-1]
	i, _ := slices.BinarySearch(g.cdf, u)
	return min(int64(i), g.users-1)
}

// Followees returns the users that user follows, in the order drawn.
func (g *Graph) Followees(user int64) []int64 {
	r := rand.New(rand.NewPCG(g.seed, uint64(user)))
	out := make([]int64, 0, g.follows)
	seen := make(map[int64]bool, g.follows)
	// Validate keeps follows at most half the users, so that redraws of
	// duplicates end; the bound only guards against a pathological skew.
	for tries := 0; len(out) < g.follows && tries < 1000*g.follows; tries++ {
		f := g.rank(r)
		if f == user || seen[f] {
			continue
		}
		seen[f] = true
		out = append(out, f)
	}
	return out
}

// FollowerStats counts every user's followers: the most any user has,
// and the mean.
func (g *Graph) FollowerStats() (most int64, mean float64) {
	counts := make([]int64, g.users)
	var edges int64
	for u := range g.users {
		for _, f := range g.Followees(u) {
			counts[f]++
			edges++
		}
	}
	return slices.Max(counts), float64(edges) / float64(g.users)
}

// Reader draws the users whose timelines are read: a zipfian over the
// users, scrambled by a hash of the rank, so that the most active readers
// are not the most followed users. Safe for concurrent use.
type Reader struct{ g *Graph }

// Next draws a user.
func (rd Reader) Next(r *rand.Rand) int64 {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(rd.g.rank(r)))
	h := uint64(0xcbf29ce484222325) // FNV-1a
	for _, c := range b {
		h ^= uint64(c)
		h *= 0x100000001b3
	}
	return int64(h % uint64(rd.g.users))
}

// PostID identifies a post and orders posts by time: 100-nanosecond ticks
// since the Unix epoch, the resolution of a version 1 UUID's timestamp,
// so that it maps one to one onto a timeuuid (TimeUUID) and is a bigint
// elsewhere.
type PostID int64

// IDs hands out post ids that increase strictly, from the clock when it
// is ahead of the last id. Safe for concurrent use.
type IDs struct{ last atomic.Int64 }

// Next returns a new id.
func (g *IDs) Next() PostID {
	now := time.Now().UnixNano() / 100
	for {
		last := g.last.Load()
		next := max(now, last+1)
		if g.last.CompareAndSwap(last, next) {
			return PostID(next)
		}
	}
}

// gregorianOffset is the number of 100-ns ticks from 1582-10-15, a UUID's
// epoch, to 1970-01-01.
const gregorianOffset = 0x01B21DD213814000

// TimeUUID returns the version 1 UUID (RFC 4122 variant) of the id's
// time, with the given clock sequence (14 bits) and node.
func (id PostID) TimeUUID(clockSeq uint16, node [6]byte) [16]byte {
	t := uint64(int64(id) + gregorianOffset)
	var u [16]byte
	binary.BigEndian.PutUint32(u[0:], uint32(t))
	binary.BigEndian.PutUint16(u[4:], uint16(t>>32))
	binary.BigEndian.PutUint16(u[6:], uint16(t>>48)&0x0fff|0x1000)
	binary.BigEndian.PutUint16(u[8:], clockSeq&0x3fff|0x8000)
	copy(u[10:], node[:])
	return u
}

// PostIDOfUUID returns the id of a version 1 UUID made by TimeUUID.
func PostIDOfUUID(u [16]byte) PostID {
	t := uint64(binary.BigEndian.Uint32(u[0:])) |
		uint64(binary.BigEndian.Uint16(u[4:]))<<32 |
		uint64(binary.BigEndian.Uint16(u[6:])&0x0fff)<<48
	return PostID(int64(t) - gregorianOffset)
}

// Time returns the id's time.
func (id PostID) Time() time.Time { return time.Unix(0, int64(id)*100) }
