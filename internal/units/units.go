// Package units prints sizes for people, as nodetool does.
package units

import "fmt"

// Bytes prints n in binary units with two decimals (1.50 KiB, 3.00 MiB),
// whole bytes below 1 KiB, and "?" for an unknown (negative) size.
func Bytes(n int64) string {
	if n < 0 {
		return "?"
	}
	if n < 1024 {
		return fmt.Sprintf("%d bytes", n)
	}
	units := []string{"KiB", "MiB", "GiB", "TiB"}
	v, u := float64(n)/1024, 0
	for v >= 1024 && u < len(units)-1 {
		v /= 1024
		u++
	}
	return fmt.Sprintf("%.2f %s", v, units[u])
}
