package spikessm

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// checkDivChannels compares DivChannels with its Go twin bit for bit on random
// data (specials included) and checks that out beyond len(in) is untouched.
func checkDivChannels(t testing.TB, rng *rand.Rand, rows, c int) {
	in := make([]float32, rows*c)
	d := make([]float32, c)
	specials := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.NaN()), 1e-40, -3e38}
	for i := range in {
		in[i] = (rng.Float32()*2 - 1) * float32(math.Exp2(float64(rng.IntN(20)-10)))
		if rng.IntN(40) == 0 {
			in[i] = specials[rng.IntN(len(specials))]
		}
	}
	for j := range d {
		d[j] = rng.Float32()*3 + 0.01
		if rng.IntN(20) == 0 {
			d[j] = specials[rng.IntN(len(specials))]
		}
	}
	got := make([]float32, len(in)+3)
	want := make([]float32, len(in)+3)
	for i := range got {
		got[i], want[i] = -7, -7
	}
	DivChannels(got, in, d, c)
	divChannelsGo(want, in, d, c)
	for i := range want {
		require.Equal(t, math.Float32bits(want[i]), math.Float32bits(got[i]), "rows %d c %d i %d", rows, c, i)
	}
	for i := range in {
		q := in[i] / d[i%c]
		require.Equal(t, math.Float32bits(q), math.Float32bits(got[i]))
	}
}

func TestDivChannels(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, rows := range []int{0, 1, 2, 5, 64} {
		for c := 1; c <= 37; c++ {
			checkDivChannels(t, rng, rows, c)
		}
	}
	checkDivChannels(t, rng, 1024, 32)
	require.Panics(t, func() { DivChannels(make([]float32, 4), make([]float32, 4), make([]float32, 1), 2) })
	require.Panics(t, func() { DivChannels(make([]float32, 4), make([]float32, 5), make([]float32, 2), 2) })
	require.Panics(t, func() { DivChannels(make([]float32, 3), make([]float32, 4), make([]float32, 2), 2) })
	require.Panics(t, func() { DivChannels(nil, nil, nil, 0) })
}

func FuzzDivChannels(f *testing.F) {
	f.Add(uint64(1), uint8(3), uint8(32))
	f.Fuzz(func(t *testing.T, seed uint64, rows, c uint8) {
		checkDivChannels(t, rand.New(rand.NewPCG(seed, 2)), int(rows%80), 1+int(c%70))
	})
}

func BenchmarkDivChannels(b *testing.B) {
	const rows, c = 1024, 32
	in := make([]float32, rows*c)
	out := make([]float32, rows*c)
	d := make([]float32, c)
	for i := range in {
		in[i] = float32(i%97) - 40
	}
	for j := range d {
		d[j] = 1 + float32(j)/10
	}
	for _, impl := range []struct {
		name string
		fn   func(out, in, d []float32, c int)
	}{{"asm", DivChannels}, {"go", divChannelsGo}} {
		b.Run(impl.name, func(b *testing.B) {
			b.SetBytes(int64(8 * len(in)))
			for b.Loop() {
				impl.fn(out, in, d, c)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(in)), "ns/elem")
		})
	}
}
