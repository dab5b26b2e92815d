package spikessm

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// checkCopyRows16 runs copyRows16 and its Go twin on the same random data and
// requires equal destinations, untouched gaps between the destination rows included.
func checkCopyRows16(t testing.TB, rng *rand.Rand, rows, dstStride, srcStride int) {
	n := func(stride int) int {
		if rows == 0 {
			return 3
		}
		return (rows-1)*stride + Lanes + rng.IntN(3)
	}
	src := make([]float32, n(srcStride))
	for i := range src {
		src[i] = rng.Float32()*2 - 1
	}
	got := make([]float32, n(dstStride))
	for i := range got {
		got[i] = float32(-i)
	}
	want := append([]float32(nil), got...)
	copyRows16(got, src, rows, dstStride, srcStride)
	copyRows16Go(want, src, rows, dstStride, srcStride)
	require.Equal(t, want, got, "rows %d, strides %d/%d", rows, dstStride, srcStride)
}

func TestCopyRows16(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, rows := range []int{0, 1, 2, 3, 7, 64, 1025} {
		for _, st := range [][2]int{{16, 16}, {16, 32}, {48, 16}, {17, 40}, {16, 1024}} {
			checkCopyRows16(t, rng, rows, st[0], st[1])
		}
	}
	// Misaligned starts.
	src := make([]float32, 3*40+Lanes+1)
	for i := range src {
		src[i] = float32(i)
	}
	dst := make([]float32, 3*20+Lanes+1)
	copyRows16(dst[1:], src[1:], 4, 20, 40)
	for r := range 4 {
		require.Equal(t, src[1+r*40:1+r*40+Lanes], dst[1+r*20:1+r*20+Lanes])
	}
	// Rows that would end past either slice panic in the Go bounds check, before any assembly.
	require.Panics(t, func() { copyRows16(make([]float32, 31), make([]float32, 64), 2, 16, 16) })
	require.Panics(t, func() { copyRows16(make([]float32, 64), make([]float32, 47), 2, 16, 32) })
}

func FuzzCopyRows16(f *testing.F) {
	f.Add(uint64(1), uint16(5), uint16(16), uint16(32))
	f.Fuzz(func(t *testing.T, seed uint64, rows, dstExtra, srcExtra uint16) {
		rng := rand.New(rand.NewPCG(seed, 1))
		checkCopyRows16(t, rng, int(rows%300), Lanes+int(dstExtra%100), Lanes+int(srcExtra%100))
	})
}

func TestTileReverseAndAddReversed(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, H := range []int{1, 15, 16, 17, 32, 40} {
		for _, T := range []int{0, 1, 2, 5, 64} {
			src := make([]float32, T*H)
			for i := range src {
				src[i] = rng.Float32()
			}
			for b := range (H + Lanes - 1) / Lanes {
				fwd := make([]float32, T*Lanes)
				Tile(fwd, src, T, H, b)
				rev := make([]float32, T*Lanes+3)
				for i := range rev {
					rev[i] = -1
				}
				TileReverse(rev, src, T, H, b)
				for tt := range T {
					require.Equal(t, fwd[(T-1-tt)*Lanes:(T-tt)*Lanes], rev[tt*Lanes:(tt+1)*Lanes], "H %d T %d block %d t %d", H, T, b, tt)
				}
				require.Equal(t, []float32{-1, -1, -1}, rev[T*Lanes:], "past T·Lanes untouched")
				// AddReversed(dst, rev) adds fwd[t] into dst[t]: the twin is a plain loop.
				dst := make([]float32, T*Lanes)
				for i := range dst {
					dst[i] = rng.Float32()
				}
				want := make([]float32, len(dst))
				copy(want, dst)
				for i := range want {
					want[i] += fwd[i]
				}
				AddReversed(dst, rev, T)
				require.Equal(t, want, dst)
			}
		}
	}
	require.Panics(t, func() { AddReversed(make([]float32, 31), make([]float32, 32), 2) })
	require.Panics(t, func() { AddReversed(make([]float32, 32), make([]float32, 31), 2) })
	require.Panics(t, func() { TileReverse(make([]float32, 32), make([]float32, 63), 2, 32, 1) })
}
