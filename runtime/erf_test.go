package runtime

import (
	"math"
	"testing"

	"github.com/spikessm/spikessm"
	"github.com/stretchr/testify/require"
)

func TestErf32(t *testing.T) {
	worst := 0.0
	for i := -800000; i <= 800000; i++ {
		x := float64(i) * 1e-5
		worst = math.Max(worst, math.Abs(erf32(x)-math.Erf(x)))
	}
	t.Logf("max |erf32 − math.Erf| on [−8, 8]: %.3g", worst)
	require.Less(t, worst, 1e-7)
	require.True(t, math.IsNaN(erf32(math.NaN())))
	require.Equal(t, erf32(math.Inf(1)), erf32(10))
}

func TestGELUErf(t *testing.T) {
	in := make([]float32, 0, 200001)
	for i := -100000; i <= 100000; i++ {
		in = append(in, float32(i)*1e-4)
	}
	in = append(in, 50, -50, float32(math.Inf(1)), float32(math.Inf(-1)))
	for _, v := range spikessm.Variants() {
		k, err := spikessm.Select(v)
		require.NoError(t, err)
		out := make([]float32, len(in))
		k.GELU(out, in)
		worst := 0.0
		for i, v := range in[:len(in)-2] {
			f := float64(v)
			want := 0.5 * f * (1 + math.Erf(f/math.Sqrt2))
			worst = math.Max(worst, math.Abs(float64(out[i])-want)/math.Max(1, math.Abs(want)))
		}
		t.Logf("%s: max relative |GELU − exact| on [−10, 10] and ±50: %.3g", v, worst)
		require.Less(t, worst, 2e-6)
		require.True(t, math.IsInf(float64(out[len(out)-2]), 1))
	}
}

func TestRelu(t *testing.T) {
	in := []float32{1, -1, 0, float32(math.Copysign(0, -1)), 3.5, -2e-38, float32(math.Inf(-1)), float32(math.Inf(1)), 7}
	want := []float32{1, 0, 0, 0, 3.5, 0, 0, float32(math.Inf(1)), 7}
	for n := 0; n <= len(in); n++ {
		d := append([]float32(nil), in[:n]...)
		relu(d)
		for i := range d {
			require.Equal(t, math.Float32bits(want[i]), math.Float32bits(d[i]), "n=%d i=%d", n, i)
		}
	}
}
