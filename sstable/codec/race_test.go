//go:build race

package codec

// raceEnabled: the race detector makes sync.Pool drop items at random.
const raceEnabled = true
