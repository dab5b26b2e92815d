//go:build !arm64

package spikessm

import "math"

// fma32Fast returns float32(a·b + c rounded to float64) and whether that
// can differ from fma32 (a float32 midpoint or a nonzero result below
// float32's normal range); inlined.
func fma32Fast(a, b, c float32) (float32, bool) {
	s := float64(a)*float64(b) + float64(c)
	u := math.Float64bits(s)
	return float32(s), (u-1<<28)&(1<<29-1) == 0 || (u>>52)&0x7ff < 1023-126 && u<<1 != 0
}

// fma32 is the float32 fused multiply-add a·b + c with one rounding
// (round to nearest even), as VFMADD231PS computes it. The product is exact
// in float64, so s = a·b + c rounded to float64 is off by less than half a
// float64 ulp, and rounding s to float32 is correct unless s lies exactly on
// a float32 midpoint (or in the float32 subnormal range): only then is the
// sum redone with round-to-odd (rounded to nearest, then moved one float64
// ulp toward the exact value if inexact and even), after which the rounding
// to float32 is correct (53 ≥ 2·24 + 2 bits).
func fma32(a, b, c float32) float32 {
	s := float64(a)*float64(b) + float64(c)
	// Low 29 bits not 1<<28 (a float32 midpoint) and exponent in float32's
	// normal range: then float32(s) is the correctly rounded result.
	if u := math.Float64bits(s); (u-1<<28)&(1<<29-1) != 0 && (u>>52)&0x7ff >= 1023-126 {
		return float32(s)
	}
	return fma32Odd(a, b, c)
}

// fma32Odd is fma32 by way of round-to-odd.
func fma32Odd(a, b, c float32) float32 {
	p := float64(a) * float64(b)
	s := p + float64(c)
	if s == 0 || s-s != 0 { // exact zero, ±Inf or NaN
		return float32(s)
	}
	bb := s - p
	e := (p - (s - bb)) + (float64(c) - bb) // s + e = p + c exactly
	if u := math.Float64bits(s); e != 0 && u&1 == 0 {
		if (e > 0) == (s > 0) {
			s = math.Float64frombits(u + 1)
		} else {
			s = math.Float64frombits(u - 1)
		}
	}
	return float32(s)
}
