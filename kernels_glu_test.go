package spikessm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// ulpDiff is |got − want| in units of the float32 spacing at want (the
// spacing of the smallest normal below it, so subnormal results count
// absolute multiples of 2⁻¹⁴⁹).
func ulpDiff(got float32, want float64) float64 {
	w := math.Abs(want)
	e := max(math.Floor(math.Log2(w)), -126)
	if w == 0 {
		e = -126
	}
	return math.Abs(float64(got)-want) / math.Ldexp(1, int(e)-23)
}

// gluULP is the bound, in float32 ulps of the float64 value, on a variant's
// sigmoid (GLU with a = 1), subnormal results included. NEON (the older
// kernel: exp(−b) with −b clamped to 88.0) holds it for b ≥ −87; below, its
// results are only within 2⁻¹²⁶ (absolute) of the float64 value.
var gluULP = map[Variant]float64{VariantAVX512: 3, VariantAVX2: 3, VariantNEON: 3, VariantGeneric: 0.5}

// TestGLUAccuracy measures every variant's sigmoid against float64 over a
// dense grid of b (a = 1), in ulps of the float64 value (relative, down to
// the subnormals), and checks a·sigmoid(b) for random a within one more
// rounding.
func TestGLUAccuracy(t *testing.T) {
	var b []float32
	for x := -110.0; x <= 110; x += 1.0 / 512 {
		b = append(b, float32(x))
	}
	rng := rand.New(rand.NewPCG(71, 72))
	for range 100000 {
		b = append(b, float32(rng.NormFloat64()*6))
	}
	ones := make([]float32, len(b))
	for i := range ones {
		ones[i] = 1
	}
	out := make([]float32, len(b))
	for _, k := range variants(t) {
		k.GLU(out, ones, b)
		worst, at := 0.0, float32(0)
		for i, x := range b {
			w := 1 / (1 + math.Exp(-float64(x)))
			if k.Name == VariantNEON && x < -87 {
				require.LessOrEqual(t, math.Abs(float64(out[i])-w), 0x1p-126, "%s b=%v", k.Name, x)
				continue
			}
			if e := ulpDiff(out[i], w); e > worst {
				worst, at = e, x
			}
		}
		t.Logf("%s: max |sigmoid − float64| = %.2f ulp at b = %v", k.Name, worst, at)
		bound, ok := gluULP[k.Name]
		require.True(t, ok)
		require.LessOrEqual(t, worst, bound, "%s", k.Name)
		// a·sigmoid(b): one more rounding (where sigmoid(b) is normal).
		a := randSlice(rng, len(b))
		k.GLU(out, a, b)
		for i, x := range b {
			w := float64(a[i]) / (1 + math.Exp(-float64(x)))
			if x < -87 {
				continue
			}
			require.LessOrEqual(t, ulpDiff(out[i], w), bound+1, "%s a=%v b=%v: got %v want %v", k.Name, a[i], x, out[i], w)
		}
	}
}

// TestGLUPositions checks that a fixed variant gives every element the same
// bits whatever its position in a call (body or tail, any length).
func TestGLUPositions(t *testing.T) {
	rng := rand.New(rand.NewPCG(73, 74))
	const n = 67
	a, b := randSlice(rng, n), randSlice(rng, n)
	for i := range b {
		b[i] *= 10
	}
	b[3], b[7], a[9], b[12] = float32(math.NaN()), float32(math.Inf(-1)), float32(math.Inf(1)), -120
	for _, k := range variants(t) {
		want := make([]float32, n)
		for i := range n {
			k.GLU(want[i:i+1], a[i:i+1], b[i:i+1])
		}
		for lo := range 17 {
			for hi := lo; hi <= n; hi += 1 + hi%5 {
				got := make([]float32, hi-lo)
				k.GLU(got, a[lo:hi], b[lo:hi])
				for i := range got {
					require.True(t, sameFloat(want[lo+i], got[i]), "%s [%d:%d] i=%d", k.Name, lo, hi, lo+i)
				}
			}
		}
	}
}

// BenchmarkGLURows runs GLU as the runtime does: one call per row of h
// outputs (64 rows), and as one call over all of them.
func BenchmarkGLURows(b *testing.B) {
	for _, k := range variants(b) {
		for _, h := range []int{32, 2048} {
			b.Run(fmt.Sprintf("impl=%s/h=%d", k.Name, h), func(b *testing.B) {
				const n = 2048
				rng := rand.New(rand.NewPCG(9, 10))
				a, bb, d := randSlice(rng, n), randSlice(rng, n), make([]float32, n)
				b.SetBytes(n * 12)
				for b.Loop() {
					for i := 0; i < n; i += h {
						k.GLU(d[i:i+h], a[i:i+h], bb[i:i+h])
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/element")
			})
		}
	}
}
