package spikessm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// checkSpikeGemm compares every variant's SpikeGemmBias with the generic twin
// bit for bit, and with GemmBias on the same 0/1 spikes (finite weights).
func checkSpikeGemm(t testing.TB, rng *rand.Rand, R, K, M int, rate float64) {
	x := make([]float32, R*K)
	for i := range x {
		if rng.Float64() < rate {
			x[i] = 1
		}
	}
	wt, bias := randSlice(rng, K*M), randSlice(rng, M)
	want := make([]float32, R*M)
	spikeGemmGeneric(want, x, wt, bias, R, K, M)
	for _, k := range variants(t) {
		got := make([]float32, R*M+1)
		got[R*M] = 42
		k.SpikeGemmBias(got, x, wt, bias, R, K, M)
		for i := range want {
			require.Equal(t, math.Float32bits(want[i]), math.Float32bits(got[i]), "%s R=%d K=%d M=%d i=%d", k.Name, R, K, M, i)
		}
		require.Equal(t, float32(42), got[R*M], "past R·M untouched")
		dense := make([]float32, R*M)
		k.GemmBias(dense, x, wt, bias, R, K, M)
		for i := range want {
			require.Equal(t, math.Float32bits(dense[i]), math.Float32bits(got[i]), "%s vs GemmBias R=%d K=%d M=%d", k.Name, R, K, M)
		}
	}
}

func TestSpikeGemmBias(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for _, R := range []int{1, 2, 5, 17} {
		for _, K := range []int{1, 15, 16, 17, 32, 48, 64, 80, 128} {
			for _, M := range []int{1, 15, 16, 17, 48, 64, 65, 96, 130} {
				for _, rate := range []float64{0, 0.2, 1} {
					checkSpikeGemm(t, rng, R, K, M, rate)
				}
			}
		}
	}
	// Non-zero values other than 1 count as one spike.
	x := []float32{0, 2, -1, 0}
	wt := []float32{1, 10, 100, 1000}
	y := make([]float32, 1)
	generic().SpikeGemmBias(y, x, wt, []float32{0.5}, 1, 4, 1)
	require.Equal(t, float32(110.5), y[0])
}

func FuzzSpikeGemmBias(f *testing.F) {
	f.Add(uint64(1), uint8(3), uint8(2), uint8(64), uint8(50))
	f.Fuzz(func(t *testing.T, seed uint64, r, k16, m, rate uint8) {
		checkSpikeGemm(t, rand.New(rand.NewPCG(seed, 6)), 1+int(r%20), 16*(1+int(k16%5)), 1+int(m%150), float64(rate)/255)
	})
}

func BenchmarkSpikeGemmBias(b *testing.B) {
	const R, K, M = 64, 32, 64
	for _, rate := range []float64{0.05, 0.2, 0.5} {
		rng := rand.New(rand.NewPCG(1, 2))
		x := make([]float32, R*K)
		for i := range x {
			if rng.Float64() < rate {
				x[i] = 1
			}
		}
		wt, bias, y := randSlice(rng, K*M), randSlice(rng, M), make([]float32, R*M)
		for _, k := range variants(b) {
			b.Run(fmt.Sprintf("impl=%s/rate=%.2f/sparse", k.Name, rate), func(b *testing.B) {
				for b.Loop() {
					k.SpikeGemmBias(y, x, wt, bias, R, K, M)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*R), "ns/row")
			})
			b.Run(fmt.Sprintf("impl=%s/rate=%.2f/dense", k.Name, rate), func(b *testing.B) {
				for b.Loop() {
					k.GemmBias(y, x, wt, bias, R, K, M)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*R), "ns/row")
			})
		}
	}
}
