package spikessm

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// checkScanStrided runs k.ScanStrided on block lanes [0, Lanes) of a (T, stride) layout and
// requires exactly the bits of k.Scan on the tiled copy, with every other element of y and
// nothing beyond the last step touched.
func checkScanStrided(t *testing.T, k *Kernels, p *ScanParams, u []float32, stride, T int, xr0, xi0 []float32) {
	t.Helper()
	N := p.N
	// Tiled reference with the same variant.
	ut := make([]float32, T*Lanes)
	for s := range T {
		copy(ut[s*Lanes:(s+1)*Lanes], u[s*stride:s*stride+Lanes])
	}
	yt := make([]float32, T*Lanes)
	xrt, xit := slices.Clone(xr0), slices.Clone(xi0)
	k.Scan(p, ut, yt, xrt, xit, T)

	ext := 0
	if T > 0 {
		ext = (T-1)*stride + Lanes
	}
	y, check := guarded(ext, T%3)
	sentinel := float32(math.Float32frombits(0x7fc0beef))
	for i := range y {
		y[i] = sentinel
	}
	xr, xi := slices.Clone(xr0), slices.Clone(xi0)
	k.ScanStrided(p, u[:ext], y, stride, xr, xi, T)
	check(t, "y")
	for i, v := range y {
		s, l := i/stride, i%stride
		if l < Lanes {
			require.Equal(t, math.Float32bits(yt[s*Lanes+l]), math.Float32bits(v),
				"%s N=%d T=%d stride=%d: y[%d][%d] = %v, Scan on the tile gives %v", k.Name, N, T, stride, s, l, v, yt[s*Lanes+l])
		} else {
			require.Equal(t, math.Float32bits(sentinel), math.Float32bits(v),
				"%s N=%d T=%d stride=%d: y[%d][%d] outside the block was written", k.Name, N, T, stride, s, l)
		}
	}
	for i := range xr {
		require.Equal(t, math.Float32bits(xrt[i]), math.Float32bits(xr[i]), "%s state re", k.Name)
		require.Equal(t, math.Float32bits(xit[i]), math.Float32bits(xi[i]), "%s state im", k.Name)
	}
}

// TestScanStrided: every variant's ScanStrided equals its Scan on the tiled copy bit for
// bit, for strides from Lanes up, odd and even, general and unit b, lengths 0, 1, every
// tail and a chunk boundary.
func TestScanStrided(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	for _, k := range append(variants(t), generic()) {
		t.Run(string(k.Name), func(t *testing.T) {
			for _, N := range []int{0, 1, 3, 4, 5, 8, 17} {
				for ti, T := range []int{0, 1, 2, 3, 15, 16, 17, 31, 33, 64, 67, 100} {
					for _, stride := range []int{Lanes, Lanes + 1, 2 * Lanes, 3 * Lanes, 71} {
						p := randScan(rng, N, 0.999)
						if (ti+stride)%2 == 1 {
							setUnitB(p)
						}
						u := make([]float32, max(0, T*stride))
						for i := range u {
							u[i] = float32(rng.NormFloat64())
						}
						xr0, xi0 := make([]float32, N*Lanes), make([]float32, N*Lanes)
						for i := range xr0 {
							xr0[i], xi0[i] = float32(rng.NormFloat64()), float32(rng.NormFloat64())
						}
						checkScanStrided(t, k, p, u, stride, T, xr0, xi0)
					}
				}
			}
			require.Panics(t, func() {
				k.ScanStrided(randScan(rng, 1, 0.9), make([]float32, 64), make([]float32, 64), Lanes-1, make([]float32, Lanes), make([]float32, Lanes), 2)
			}, "stride below Lanes")
		})
	}
}

// TestScanStridedLong crosses the assembly's per-call chunk (scanChunkWork / N steps).
func TestScanStridedLong(t *testing.T) {
	rng := rand.New(rand.NewPCG(33, 34))
	N, T, stride := 64, 600, 48
	for _, k := range variants(t) {
		p := randScan(rng, N, 0.99)
		setUnitB(p)
		u := make([]float32, T*stride)
		for i := range u {
			u[i] = float32(rng.NormFloat64())
		}
		checkScanStrided(t, k, p, u, stride, T, make([]float32, N*Lanes), make([]float32, N*Lanes))
	}
}
