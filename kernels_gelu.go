package spikessm

import "math"

// GELU table parameters: nodes x₀ = i/64 − 6 for i = 0..768.
const (
	geluMax   = 6
	geluScale = 64 // nodes per unit; a power of two, so node positions are exact
	geluNodes = 2*geluMax*geluScale + 1
	geluMagic = 0x1.8p23
	// geluMagicBits is math.Float32bits(geluMagic).
	geluMagicBits = 0x4b400000
)

// geluTab holds per node x₀ = i/64 − 6: GELU(x₀), GELU′(x₀)/64 and
// GELU″(x₀)/2/64², computed in float64 and rounded to float32 before the exact
// power-of-two scaling (the derivatives multiply d in units of the step, so
// the products are those of d in x units, bit for bit). The assembly kernels
// gather from it with the byte offset 12·i (+0, +4, +8).
var geluTab = func() (t [geluNodes][3]float32) {
	for i := range t {
		x := float64(i)/geluScale - geluMax
		cdf := 0.5 * math.Erfc(-x/math.Sqrt2)
		pdf := math.Exp(-x*x/2) / math.Sqrt(2*math.Pi)
		t[i] = [3]float32{float32(x * cdf), float32(cdf+x*pdf) / geluScale, float32(pdf*(2-x*x)/2) / (geluScale * geluScale)}
	}
	return t
}()

// geluGeneric is the definition of Kernels.GELU, out[j] = 0.5·x·(1 + erf(x/√2))
// for x = in[j], evaluated from geluTab: with t = x·64 (exact), k = t + 1.5·2²³
// (t rounded to an integer, ties to even) and i = bits(k) − bits(1.5·2²³) + 384
// (int32 wrap-around, then as an unsigned index):
//
//	i < 769:   d = t − (k − 1.5·2²³),  y = e0 + d·(e1 + d·e2)   (e = geluTab[i], no FMA)
//	x > 0:     y = x
//	otherwise: y = x·0   (−0 below −6, NaN for NaN and −Inf)
//
// This is the second-order Taylor expansion at the nearest node (|d| ≤ 1/2 in
// step units); the maximum error against float64 0.5·x·erfc(−x/√2) is below
// 2e-7, absolute for |GELU| < 1 and relative above (TestGELUAccuracy). The
// float32 conversions keep the arm64 compiler from fusing the products, so
// the bits are the same on every architecture.
func geluGeneric(out, in []float32) {
	out = out[:len(in)]
	tab := &geluTab
	for j, x := range in {
		t := x * geluScale
		k := t + geluMagic
		i := int(int32(math.Float32bits(k))-geluMagicBits) + geluMax*geluScale
		var y float32
		if uint(i) < geluNodes {
			e := &tab[i]
			d := t - (k - geluMagic)
			y = e[0] + float32(d*float32(e[1]+float32(d*e[2])))
		} else if x > 0 {
			y = x
		} else {
			y = x * 0
		}
		out[j] = y
	}
}
