package spikessm

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// geluSpecials are the edge inputs of GELU: zeros, infinities, NaNs, the
// table ends and node midpoints, and values where the node rounding changes.
var geluSpecials = []float32{
	0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)),
	float32(math.NaN()), math.Float32frombits(0xffc00001), math.Float32frombits(0x7f800001),
	6, -6, 6 + 1.0/128, -6 - 1.0/128, math.Nextafter32(6+1.0/128, 7), math.Nextafter32(-6-1.0/128, -7),
	1.0 / 128, -1.0 / 128, 3.0 / 128, 1e-30, -1e-30, 1e-45, 7, -7, 100, -100,
	1 << 22, -(1 << 22), 1 << 30, -(1 << 30), math.MaxFloat32, -math.MaxFloat32,
	0.70710677, -0.70710677, 2.5, -2.5,
}

func TestGELU(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	g := generic()
	var lengths []int
	for n := 0; n <= 67; n++ {
		lengths = append(lengths, n)
	}
	lengths = append(lengths, 1000, 4096)
	if !testing.Short() {
		lengths = append(lengths, 70001) // crosses the 65536-element chunk
	}
	for _, k := range variants(t) {
		for _, n := range lengths {
			in := randSlice(rng, n)
			for i := range in {
				in[i] *= 8
			}
			if n > 0 {
				for i := 0; i < n; i += 3 {
					in[i] = geluSpecials[(i/3+n)%len(geluSpecials)]
				}
			}
			want := make([]float32, n)
			g.GELU(want, in)
			out, check := guarded(n, n%4)
			src := copyAt(in, 3-n%4)
			k.GELU(out, src)
			check(t, "out")
			for i := range in {
				require.Equal(t, math.Float32bits(in[i]), math.Float32bits(src[i]), "%s n=%d i=%d: input modified", k.Name, n, i)
			}
			for i := range out {
				require.True(t, sameFloat(want[i], out[i]), "%s n=%d i=%d: x=%v got %v want %v (must be bit-identical)", k.Name, n, i, in[i], out[i], want[i])
			}
			// In place.
			inplace := append([]float32(nil), in...)
			k.GELU(inplace, inplace)
			for i := range inplace {
				require.True(t, sameFloat(want[i], inplace[i]), "%s n=%d i=%d in place", k.Name, n, i)
			}
		}
	}
}

// TestGELUSmall covers whole registers of |x| < 4 (intervals 0–7 only),
// for which the AVX2 kernel skips the upper half of the coefficient rows, and
// registers mixing both halves.
func TestGELUSmall(t *testing.T) {
	rng := rand.New(rand.NewPCG(43, 44))
	in := make([]float32, 4099)
	for i := range in {
		in[i] = float32(math.Max(-3.999, math.Min(3.999, rng.NormFloat64()*1.5)))
		if i%97 == 0 {
			in[i] = float32(rng.NormFloat64() * 8)
		}
	}
	want := make([]float32, len(in))
	geluGeneric(want, in)
	for _, k := range variants(t) {
		got := make([]float32, len(in))
		k.GELU(got, in)
		for i := range got {
			require.True(t, sameFloat(want[i], got[i]), "%s i=%d x=%v: got %v want %v", k.Name, i, in[i], got[i], want[i])
		}
	}
}

func TestGELUSemantics(t *testing.T) {
	for _, k := range variants(t) {
		x := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), -7, 7, 0, float32(math.Copysign(0, -1)), 1e9, -1e9}
		x = append(x, make([]float32, 16)...) // whole registers too
		copy(x[9:], x[:9])
		out := make([]float32, len(x))
		k.GELU(out, x)
		for _, o := range [2]int{0, 9} {
			require.True(t, math.IsNaN(float64(out[o+0])), "%s NaN", k.Name)
			require.Equal(t, float32(math.Inf(1)), out[o+1], "%s +Inf", k.Name)
			require.True(t, math.IsNaN(float64(out[o+2])), "%s −Inf gives NaN (−Inf·0, as PyTorch)", k.Name)
			require.Equal(t, uint32(0x80000000), math.Float32bits(out[o+3]), "%s −7 gives −0", k.Name)
			require.Equal(t, float32(7), out[o+4], "%s 7", k.Name)
			require.Equal(t, uint32(0), math.Float32bits(out[o+5]), "%s +0", k.Name)
			require.Equal(t, float32(1e9), out[o+7], "%s 1e9", k.Name)
			require.Equal(t, uint32(0x80000000), math.Float32bits(out[o+8]), "%s −1e9 gives −0", k.Name)
		}
	}
}

// geluExact is 0.5·x·(1 + erf(x/√2)) in float64.
func geluExact(x float64) float64 { return 0.5 * x * math.Erfc(-x/math.Sqrt2) }

// TestGELUAccuracy measures the generic GELU (and so every variant) against
// float64 math.Erf over a dense grid of [−10, 10] plus every float32 of the
// table's neighbourhood at node midpoints: the error must stay below 2e-7,
// absolute for |GELU| < 1, relative above.
func TestGELUAccuracy(t *testing.T) {
	var in []float32
	for x := -10.0; x <= 10; x += 1.0 / 4096 {
		in = append(in, float32(x))
	}
	for i := -6 * 64; i <= 6*64; i++ {
		mid := (float64(i) + 0.5) / 64
		f := float32(mid)
		in = append(in, math.Nextafter32(f, -100), f, math.Nextafter32(f, 100))
	}
	rng := rand.New(rand.NewPCG(7, 8))
	for range 200000 {
		in = append(in, float32(rng.NormFloat64()*3))
	}
	out := make([]float32, len(in))
	for _, k := range variants(t) {
		k.GELU(out, in)
		worst, at := 0.0, float32(0)
		for i, x := range in {
			w := geluExact(float64(x))
			e := math.Abs(float64(out[i])-w) / max(1, math.Abs(w))
			if e > worst {
				worst, at = e, x
			}
		}
		t.Logf("%s: max |GELU − exact|/max(1, |exact|) = %.3g at x = %v", k.Name, worst, at)
		require.Less(t, worst, 2e-7, k.Name)
	}
}

func FuzzGELU(f *testing.F) {
	f.Add([]byte("gelu seed: arbitrary float bits for the inputs......"))
	f.Add([]byte{0, 0, 0x80, 0x7f, 0, 0, 0x80, 0xff, 0, 0, 0xc0, 0x7f, 0, 0, 0xc0, 0x40, 1, 0, 0xc0, 0xc0})
	f.Fuzz(func(t *testing.T, data []byte) {
		in := fuzzFloats(data, 4096)
		want := make([]float32, len(in))
		generic().GELU(want, in)
		for i, x := range in {
			if x == x && !math.IsInf(float64(x), 0) {
				w := geluExact(float64(x))
				require.LessOrEqual(t, math.Abs(float64(want[i])-w), 2e-7*max(1, math.Abs(w)), "generic x=%v", x)
			}
		}
		for _, k := range variants(t) {
			got := make([]float32, len(in))
			k.GELU(got, in)
			for i := range got {
				require.True(t, sameFloat(want[i], got[i]), "%s i=%d x=%v: got %v want %v", k.Name, i, in[i], got[i], want[i])
			}
		}
	})
}

func BenchmarkGELU(b *testing.B) {
	for _, k := range variants(b) {
		// 32: one row of the reference models in step mode; 2048: a
		// 64-row chunk of them; 4096: a long run.
		for _, n := range []int{32, 2048, 4096} {
			b.Run(fmt.Sprintf("impl=%s/n=%d", k.Name, n), func(b *testing.B) {
				rng := rand.New(rand.NewPCG(9, 10))
				in, out := randSlice(rng, n), make([]float32, n)
				for i := range in {
					in[i] *= 4
				}
				b.SetBytes(int64(n * 8))
				for b.Loop() {
					k.GELU(out, in)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/element")
			})
		}
	}
}

// fma32Exact is a·b + c rounded once to float32 (big.Float, exact product and
// sum).
func fma32Exact(a, b, c float32) float32 {
	p := new(big.Float).SetPrec(200).Mul(big.NewFloat(float64(a)).SetPrec(200), big.NewFloat(float64(b)))
	p.Add(p, big.NewFloat(float64(c)))
	if p.Sign() == 0 {
		// An exact zero: float64 gets its IEEE sign right (big.Float does not).
		return float32(float64(a)*float64(b) + float64(c))
	}
	f, _ := p.Float32()
	return f
}

// TestFMA32 checks the float32 fused multiply-add emulation of geluGeneric
// against exact arithmetic, including the double-rounding cases (a·b on a
// float32 midpoint plus a tiny c) where float32(math.FMA(…)) would be wrong.
func TestFMA32(t *testing.T) {
	rng := rand.New(rand.NewPCG(61, 62))
	check := func(a, b, c float32) {
		t.Helper()
		want := fma32Exact(a, b, c)
		require.True(t, sameFloat(want, fma32(a, b, c)), "fma32(%x, %x, %x) = %x, want %x", a, b, c, fma32(a, b, c), want)
	}
	// a·b = 1 + 2⁻¹¹ + 2⁻²⁴ is a float32 midpoint; c tips it either way.
	m := float32(1 + 1.0/4096)
	for _, c := range []float32{0, 1e-30, -1e-30, 0x1p-60, -0x1p-60, 0x1p-75, -0x1p-75} {
		check(m, m, c)
		check(-m, m, c)
	}
	for range 200000 {
		a := float32(rng.NormFloat64())
		b := float32(rng.NormFloat64())
		var c float32
		switch rng.IntN(3) {
		case 0:
			c = float32(rng.NormFloat64())
		case 1:
			c = -float32(float64(a) * float64(b)) // near cancellation
		default:
			c = float32(rng.NormFloat64() * math.Pow(2, float64(-rng.IntN(60))))
		}
		check(a, b, c)
	}
	// Subnormal results.
	check(0x1p-75, 0x1p-75, 0x1p-149)
	check(0x1.8p-75, 0x1.8p-75, -0x1p-149)
	check(3, 0x1p-149, -0x1p-148)
}

// TestGELUGolden pins geluGeneric's bits on a grid plus the specials (an FNV
// hash of the outputs, NaNs canonical, computed on amd64), so every architecture (arm64 uses
// the compiler's fused float32 multiply-add for fma32) and every future
// change of the definition is checked against the same bits.
func TestGELUGolden(t *testing.T) {
	in := append([]float32(nil), geluSpecials...)
	for x := -8.0; x <= 8; x += 1.0 / 1024 {
		in = append(in, float32(x), math.Nextafter32(float32(x), 10))
	}
	out := make([]float32, len(in))
	geluGeneric(out, in)
	h := uint64(14695981039346656037)
	for _, v := range out {
		b := math.Float32bits(v)
		if v != v {
			b = 0x7fc00000 // NaN payloads differ between architectures
		}
		h ^= uint64(b)
		h *= 1099511628211
	}
	const golden = 0x2ad183d0c74fd076
	require.Equal(t, uint64(golden), h, "geluGeneric bits changed (hash %#x)", h)
}
