package spikessm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestAdd(t *testing.T) {
	rng := rand.New(rand.NewPCG(61, 62))
	var lengths []int
	for n := 0; n <= 67; n++ {
		lengths = append(lengths, n)
	}
	lengths = append(lengths, 1000, 4096)
	if !testing.Short() {
		lengths = append(lengths, 1<<18+37) // crosses the per-call chunk
	}
	sp := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.Copysign(0, -1)), math.MaxFloat32, 1e-45}
	for _, k := range variants(t) {
		for _, n := range lengths {
			a, b := randSlice(rng, n), randSlice(rng, n)
			for i := 0; i < n; i += 5 {
				a[i] = sp[(i/5)%len(sp)]
				b[i] = sp[(i/5+n)%len(sp)]
			}
			out, check := guarded(n, n%4)
			k.Add(out, copyAt(a, 3-n%4), copyAt(b, 1))
			check(t, "out")
			for i := range out {
				require.True(t, sameFloat(a[i]+b[i], out[i]), "%s n=%d i=%d: %v + %v gave %v", k.Name, n, i, a[i], b[i], out[i])
			}
			k.Add(a, a, b) // in place
			for i := range a {
				require.True(t, sameFloat(out[i], a[i]), "%s n=%d i=%d in place", k.Name, n, i)
			}
		}
	}
}

func FuzzAdd(f *testing.F) {
	f.Add([]byte("add seed: two halves of arbitrary float bits........"))
	f.Fuzz(func(t *testing.T, data []byte) {
		vals := fuzzFloats(data, 4096)
		n := len(vals) / 2
		a, b := vals[:n], vals[n:2*n]
		for _, k := range variants(t) {
			out := make([]float32, n)
			k.Add(out, a, b)
			for i := range out {
				require.True(t, sameFloat(a[i]+b[i], out[i]), "%s i=%d", k.Name, i)
			}
		}
	})
}

func BenchmarkAdd(b *testing.B) {
	for _, k := range variants(b) {
		for _, n := range []int{512, 4096} {
			b.Run(fmt.Sprintf("impl=%s/n=%d", k.Name, n), func(b *testing.B) {
				rng := rand.New(rand.NewPCG(9, 10))
				x, y, out := randSlice(rng, n), randSlice(rng, n), make([]float32, n)
				b.SetBytes(int64(n * 12))
				for b.Loop() {
					k.Add(out, x, y)
				}
			})
		}
	}
}
