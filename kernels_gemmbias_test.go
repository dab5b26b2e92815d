package spikessm

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestGemmBias: for every variant, GemmBias gives exactly the bits of filling y with
// the bias and running that variant's Gemm (R across the 6-, 4- and 1-row paths, K
// across chunk sizes incl. 0, M across vector widths and tails), and never reads y.
func TestGemmBias(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	for _, k := range variants(t) {
		for _, R := range []int{1, 3, 4, 5, 6, 9, 10, 11, 16} {
			for _, K := range []int{0, 1, 2, 17, 33} {
				for _, M := range []int{1, 7, 8, 10, 15, 16, 17, 32, 33, 64, 65, 130} {
					x := randSlice(rng, R*K)
					wt := randSlice(rng, K*M)
					bias := randSlice(rng, M)
					want := make([]float32, R*M)
					fillRows(want, bias, R, M)
					k.Gemm(want, x, wt, R, K, M)
					got := make([]float32, R*M+1)
					for i := range got {
						got[i] = float32(math.NaN()) // GemmBias must not read y
					}
					k.GemmBias(got, x, wt, bias, R, K, M)
					for i := range want {
						require.Equal(t, math.Float32bits(want[i]), math.Float32bits(got[i]), "%s R=%d K=%d M=%d i=%d", k.Name, R, K, M, i)
					}
					require.True(t, math.IsNaN(float64(got[R*M])), "past R·M untouched")
				}
			}
		}
	}
}

// TestGemmBiasChunks: K split into several assembly calls (2^18 weights per call) and
// rows through both the four-row and the single-row paths.
func TestGemmBiasChunks(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 20))
	R, K, M := 7, 300, 1030
	x, wt, bias := randSlice(rng, R*K), randSlice(rng, K*M), randSlice(rng, M)
	for _, k := range variants(t) {
		want := make([]float32, R*M)
		fillRows(want, bias, R, M)
		k.Gemm(want, x, wt, R, K, M)
		got := make([]float32, R*M)
		k.GemmBias(got, x, wt, bias, R, K, M)
		for i := range want {
			require.Equal(t, math.Float32bits(want[i]), math.Float32bits(got[i]), "%s i=%d", k.Name, i)
		}
	}
}

func FuzzGemmBias(f *testing.F) {
	f.Add(uint64(1), uint8(4), uint8(5), uint8(33))
	f.Fuzz(func(t *testing.T, seed uint64, r, kk, m uint8) {
		rng := rand.New(rand.NewPCG(seed, 5))
		R, K, M := 1+int(r%9), int(kk%40), 1+int(m%80)
		x, wt, bias := randSlice(rng, R*K), randSlice(rng, K*M), randSlice(rng, M)
		for _, k := range variants(t) {
			want := make([]float32, R*M)
			fillRows(want, bias, R, M)
			k.Gemm(want, x, wt, R, K, M)
			got := make([]float32, R*M)
			k.GemmBias(got, x, wt, bias, R, K, M)
			for i := range want {
				require.Equal(t, math.Float32bits(want[i]), math.Float32bits(got[i]), "%s R=%d K=%d M=%d", k.Name, R, K, M)
			}
		}
	})
}

// TestGemmRowGrouping: a row's result does not depend on how many rows share the call (the
// assembly takes rows in groups of six, four and one): every row of a call with R rows has
// exactly the bits of the same row computed alone, for bias-seeded and y-seeded calls.
func TestGemmRowGrouping(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for _, k := range variants(t) {
		for _, R := range []int{2, 5, 6, 7, 10, 12, 13, 64} {
			for _, sh := range [][2]int{{32, 64}, {17, 48}, {3, 130}} {
				K, M := sh[0], sh[1]
				x, wt, bias := randSlice(rng, R*K), randSlice(rng, K*M), randSlice(rng, M)
				y0 := randSlice(rng, R*M)
				all := make([]float32, R*M)
				k.GemmBias(all, x, wt, bias, R, K, M)
				acc := append([]float32(nil), y0...)
				k.Gemm(acc, x, wt, R, K, M)
				for r := range R {
					one := make([]float32, M)
					k.GemmBias(one, x[r*K:(r+1)*K], wt, bias, 1, K, M)
					oneAcc := append([]float32(nil), y0[r*M:(r+1)*M]...)
					k.Gemm(oneAcc, x[r*K:(r+1)*K], wt, 1, K, M)
					for m := range M {
						require.Equal(t, math.Float32bits(one[m]), math.Float32bits(all[r*M+m]), "%s GemmBias R=%d K=%d M=%d row %d col %d", k.Name, R, K, M, r, m)
						require.Equal(t, math.Float32bits(oneAcc[m]), math.Float32bits(acc[r*M+m]), "%s Gemm R=%d K=%d M=%d row %d col %d", k.Name, R, K, M, r, m)
					}
				}
			}
		}
	}
}
