package spikessm

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// checkSumRows compares SumRows with its Go twin bit for bit (specials
// included), also when the rows arrive in several calls.
func checkSumRows(t testing.TB, rng *rand.Rand, rows, c int) {
	x := make([]float32, rows*c)
	specials := []float32{float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.NaN()), 1e-42, 3e38}
	for i := range x {
		x[i] = (rng.Float32()*2 - 1) * float32(math.Exp2(float64(rng.IntN(30)-15)))
		if rng.IntN(50) == 0 {
			x[i] = specials[rng.IntN(len(specials))]
		}
	}
	got := make([]float32, c+2)
	for i := range got {
		got[i] = rng.Float32()
	}
	want := append([]float32(nil), got...)
	split := append([]float32(nil), got...)
	SumRows(got, x, c)
	sumRowsGo(want, x, c)
	for r := 0; r < rows; r++ { // row by row, as a session streams
		SumRows(split, x[r*c:(r+1)*c], c)
	}
	for i := range want {
		require.Equal(t, math.Float32bits(want[i]), math.Float32bits(got[i]), "rows %d c %d i %d", rows, c, i)
		require.Equal(t, math.Float32bits(want[i]), math.Float32bits(split[i]), "row by row: rows %d c %d i %d", rows, c, i)
	}
}

func TestSumRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, rows := range []int{0, 1, 2, 3, 64} {
		for c := 1; c <= 70; c++ {
			checkSumRows(t, rng, rows, c)
		}
	}
	checkSumRows(t, rng, 1024, 32)
	require.Panics(t, func() { SumRows(make([]float32, 1), make([]float32, 4), 2) })
	require.Panics(t, func() { SumRows(make([]float32, 2), make([]float32, 5), 2) })
	require.Panics(t, func() { SumRows(nil, nil, 0) })
}

func FuzzSumRows(f *testing.F) {
	f.Add(uint64(1), uint8(5), uint8(32))
	f.Fuzz(func(t *testing.T, seed uint64, rows, c uint8) {
		checkSumRows(t, rand.New(rand.NewPCG(seed, 3)), int(rows%100), 1+int(c%90))
	})
}

func BenchmarkSumRows(b *testing.B) {
	const rows, c = 64, 32
	x := make([]float32, rows*c)
	for i := range x {
		x[i] = float32(i%13) - 6
	}
	sum := make([]float32, c)
	for _, impl := range []struct {
		name string
		fn   func(sum, x []float32, c int)
	}{{"asm", SumRows}, {"go", sumRowsGo}} {
		b.Run(impl.name, func(b *testing.B) {
			b.SetBytes(int64(4 * len(x)))
			for b.Loop() {
				impl.fn(sum, x, c)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(x)), "ns/elem")
		})
	}
}
