//go:build !race

package query

// raceDetector reports whether the tests run with the race detector,
// whose instrumentation allocates: allocation bounds do not hold then.
const raceDetector = false
