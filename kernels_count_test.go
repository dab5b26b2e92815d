package spikessm

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

func checkCountNonzero(t testing.TB, rng *rand.Rand, n int) {
	x := make([]float32, n+1)
	specials := []float32{0, float32(math.Copysign(0, -1)), float32(math.NaN()), float32(math.Inf(-1)), 1e-45, 1}
	for i := range x {
		if rng.IntN(3) == 0 {
			x[i] = specials[rng.IntN(len(specials))]
		}
	}
	x[n] = 1 // past the slice: must not be counted
	want := 0
	for _, v := range x[:n] {
		if v != 0 {
			want++
		}
	}
	require.Equal(t, want, countNonzeroGo(x[:n]), "twin n=%d", n)
	require.Equal(t, want, CountNonzero(x[:n]), "n=%d", n)
}

func TestCountNonzero(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	for n := 0; n <= 70; n++ {
		checkCountNonzero(t, rng, n)
	}
	checkCountNonzero(t, rng, 32768+7)
	require.Zero(t, CountNonzero(nil))
}

func FuzzCountNonzero(f *testing.F) {
	f.Add(uint64(1), uint16(100))
	f.Fuzz(func(t *testing.T, seed uint64, n uint16) {
		checkCountNonzero(t, rand.New(rand.NewPCG(seed, 7)), int(n%5000))
	})
}

func BenchmarkCountNonzero(b *testing.B) {
	x := make([]float32, 32768)
	for i := range x {
		if i%5 == 0 {
			x[i] = 1
		}
	}
	for _, impl := range []struct {
		name string
		fn   func([]float32) int
	}{{"asm", CountNonzero}, {"go", countNonzeroGo}} {
		b.Run(impl.name, func(b *testing.B) {
			b.SetBytes(int64(4 * len(x)))
			for b.Loop() {
				impl.fn(x)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(x)), "ns/elem")
		})
	}
}
