package spikessm

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// checkHeaviside compares Heaviside with its Go twin bit for bit, with values
// exactly at the threshold, signed zeros, infinities and NaN mixed in, and
// checks out beyond len(in) is untouched.
func checkHeaviside(t testing.TB, rng *rand.Rand, n int, th float32) {
	in := make([]float32, n)
	specials := []float32{th, float32(math.Copysign(0, -1)), 0, float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), math.Nextafter32(th, -10), math.Nextafter32(th, 10)}
	for i := range in {
		in[i] = th + float32(rng.NormFloat64())
		if rng.IntN(4) == 0 {
			in[i] = specials[rng.IntN(len(specials))]
		}
	}
	got := make([]float32, n+2)
	want := make([]float32, n+2)
	for i := range got {
		got[i], want[i] = 7, 7
	}
	Heaviside(got, in, th)
	heavisideGo(want, in, th)
	for i := range want {
		require.Equal(t, math.Float32bits(want[i]), math.Float32bits(got[i]), "n %d θ %v i %d", n, th, i)
	}
	for i, v := range in {
		w := float32(0)
		if v >= th {
			w = 1
		}
		require.Equal(t, w, got[i])
	}
}

func TestHeaviside(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for n := 0; n <= 70; n++ {
		for _, th := range []float32{0, 1, -0.5, float32(math.Copysign(0, -1))} {
			checkHeaviside(t, rng, n, th)
		}
	}
	checkHeaviside(t, rng, 2048, 0)
	require.Panics(t, func() { Heaviside(make([]float32, 3), make([]float32, 4), 0) })
}

func FuzzHeaviside(f *testing.F) {
	f.Add(uint64(1), uint8(33), float32(0))
	f.Fuzz(func(t *testing.T, seed uint64, n uint8, th float32) {
		checkHeaviside(t, rand.New(rand.NewPCG(seed, 4)), int(n), th)
	})
}

func BenchmarkHeaviside(b *testing.B) {
	in := make([]float32, 2048)
	out := make([]float32, 2048)
	rng := rand.New(rand.NewPCG(1, 1))
	for i := range in {
		in[i] = float32(rng.NormFloat64())
	}
	for _, impl := range []struct {
		name string
		fn   func(out, in []float32, th float32)
	}{{"asm", Heaviside}, {"go", heavisideGo}} {
		b.Run(impl.name, func(b *testing.B) {
			b.SetBytes(int64(8 * len(in)))
			for b.Loop() {
				impl.fn(out, in, 0)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(in)), "ns/elem")
		})
	}
}
