package funcs

import (
	"math"
	"testing"
)

func TestJavaDouble(t *testing.T) {
	for _, tc := range []struct {
		f    float64
		bits int
		want string
	}{
		{6.3, 64, "6.3"},
		{2, 64, "2.0"},
		{100, 64, "100.0"},
		{1e7, 64, "1.0E7"},
		{9999999, 64, "9999999.0"},
		{0.001, 64, "0.001"},
		{0.0001, 64, "1.0E-4"},
		{-1.5e-7, 64, "-1.5E-7"},
		{1.2345678998765433e+08, 64, "1.2345678998765433E8"},
		{float64(float32(5.2)), 32, "5.2"},
		{float64(float32(5.2)), 64, "5.199999809265137"},
		{math.Copysign(0, -1), 64, "-0.0"},
		{math.Inf(-1), 64, "-Infinity"},
		{math.NaN(), 32, "NaN"},
	} {
		if got := JavaDouble(tc.f, tc.bits); got != tc.want {
			t.Errorf("JavaDouble(%v, %d) = %s, want %s", tc.f, tc.bits, got, tc.want)
		}
	}
}
