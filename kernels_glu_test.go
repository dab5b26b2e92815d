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

// BenchmarkGLURows runs GLU over 64 rows of h outputs as the runtime does
// (one GLU call per row: mode=rows) and as one GLURows call (mode=batch), and
// as one GLU call over contiguous halves (h=2048).
func BenchmarkGLURows(b *testing.B) {
	for _, k := range variants(b) {
		for _, mode := range []string{"rows", "batch"} {
			for _, h := range []int{32, 2048} {
				b.Run(fmt.Sprintf("impl=%s/mode=%s/h=%d", k.Name, mode, h), func(b *testing.B) {
					const n = 2048
					rng := rand.New(rand.NewPCG(9, 10))
					src, d := randSlice(rng, 2*n), make([]float32, n)
					b.SetBytes(n * 12)
					for b.Loop() {
						if mode == "batch" {
							k.GLURows(d, src, h)
							continue
						}
						for r := 0; r < n/h; r++ {
							k.GLU(d[r*h:(r+1)*h], src[2*r*h:(2*r+1)*h], src[(2*r+1)*h:(2*r+2)*h])
						}
					}
					b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/element")
				})
			}
		}
	}
}

// TestGLURows checks GLURows against GLU on each row (same variant: same
// bits) for every row width up to 67 and some wider, several row counts,
// with guards around the output.
func TestGLURows(t *testing.T) {
	rng := rand.New(rand.NewPCG(75, 76))
	var hs []int
	for h := 1; h <= 67; h++ {
		hs = append(hs, h)
	}
	hs = append(hs, 96, 128, 1000)
	for _, k := range variants(t) {
		require.NotNil(t, k.GLURows)
		for _, h := range hs {
			for _, rows := range []int{0, 1, 2, 5, 17} {
				src := randSlice(rng, rows*2*h)
				for i := range src {
					src[i] *= 6
				}
				if len(src) > 3 {
					src[rng.IntN(len(src))] = float32(math.NaN())
					src[rng.IntN(len(src))] = float32(math.Inf(-1))
				}
				want := make([]float32, rows*h)
				for r := range rows {
					k.GLU(want[r*h:(r+1)*h], src[2*r*h:(2*r+1)*h], src[(2*r+1)*h:(2*r+2)*h])
				}
				got, check := guarded(rows*h, h%4)
				k.GLURows(got, copyAt(src, 3-h%4), h)
				check(t, "dst")
				for i := range want {
					require.True(t, sameFloat(want[i], got[i]), "%s h=%d rows=%d i=%d: got %v want %v", k.Name, h, rows, i, got[i], want[i])
				}
			}
		}
	}
}

// TestGLURowsChunks crosses the per-call limit of the GLURows assembly.
func TestGLURowsChunks(t *testing.T) {
	rng := rand.New(rand.NewPCG(77, 78))
	h, rows := 32, 70001/32+1
	src := randSlice(rng, rows*2*h)
	for _, k := range variants(t) {
		want, got := make([]float32, rows*h), make([]float32, rows*h)
		gluRowsWith(k.GLU, want, src, h)
		k.GLURows(got, src, h)
		for i := range want {
			require.True(t, sameFloat(want[i], got[i]), "%s i=%d", k.Name, i)
		}
	}
}

func FuzzGLURows(f *testing.F) {
	f.Add(uint8(32), []byte("glurows seed: rows of a and b halves of arbitrary float bits......"))
	f.Add(uint8(5), []byte{0, 0, 0x80, 0x7f, 0, 0, 0x80, 0xff, 0, 0, 0xc0, 0x7f, 1, 2, 3, 4, 0, 0, 0xc0, 0x40})
	f.Fuzz(func(t *testing.T, hb uint8, data []byte) {
		h := int(hb%70) + 1
		src := fuzzFloats(data, 4096)
		rows := len(src) / (2 * h)
		src = src[:rows*2*h]
		want := make([]float32, rows*h)
		generic().GLURows(want, src, h)
		for _, k := range variants(t) {
			got, per := make([]float32, rows*h), make([]float32, rows*h)
			k.GLURows(got, src, h)
			gluRowsWith(k.GLU, per, src, h)
			for i := range got {
				require.True(t, sameFloat(per[i], got[i]), "%s h=%d i=%d: GLURows %v, GLU per row %v", k.Name, h, i, got[i], per[i])
				w, g := float64(want[i]), float64(got[i])
				a := float64(src[(i/h)*2*h+i%h])
				if math.IsNaN(w) || math.IsInf(w, 0) {
					require.True(t, sameFloat(want[i], got[i]), "%s h=%d i=%d", k.Name, h, i)
					continue
				}
				require.InDelta(t, w, g, GLUTolerance*math.Abs(a)+1e-37, "%s h=%d i=%d", k.Name, h, i)
			}
		}
	})
}
