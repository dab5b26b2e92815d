package spikessm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/require"
)

// randSDN returns SDN weights of trained-model scale (|w| ≲ 0.5).
func randSDN(rng *rand.Rand) *SDNParams {
	p := &SDNParams{Threshold: 1}
	r := func() float32 { return float32(rng.NormFloat64() * 0.35) }
	for k := range 8 {
		for j := range 8 {
			p.W1[k][j], p.W2[k][j] = r(), r()
		}
		p.B1[k], p.B2[k], p.W3[k] = r(), r(), r()
	}
	p.B3 = r()
	p.Threshold = float32(0.5 + rng.Float64())
	return p
}

func randInputs(rng *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(rng.NormFloat64())
	}
	return v
}

// sdnRuntimeRef is the runtime's SDNNeuron evaluation (runtime/ops_seq.go,
// sdn.item) with the generic Gemm: im2col with a ones row, the biases as a 9th
// weight column, the skip folded into w2's diagonal, the runtime's relu.
func sdnRuntimeRef(p *SDNParams, hist []float32, v []float32, T int) (mem, s []float32) {
	w1x, w2x, w3x := make([]float32, 72), make([]float32, 72), make([]float32, 9)
	for k := range 8 {
		copy(w1x[k*9:], p.W1[k][:])
		copy(w2x[k*9:], p.W2[k][:])
		w2x[k*9+k]++
		w1x[k*9+8], w2x[k*9+8] = p.B1[k], p.B2[k]
	}
	copy(w3x, p.W3[:])
	w3x[8] = p.B3
	relu := func(d []float32) {
		for i, x := range d {
			if math.Float32bits(x)>>31 != 0 {
				d[i] = 0
			}
		}
	}
	win := append(append([]float32{}, hist...), v...)
	nl := T * Lanes
	col := make([]float32, 9*nl)
	for j := range 8 {
		copy(col[j*nl:], win[j*Lanes:j*Lanes+nl])
	}
	h1, h2 := make([]float32, 9*nl), make([]float32, 9*nl)
	mem, s = make([]float32, nl), make([]float32, nl)
	for i := range nl {
		col[8*nl+i], h1[8*nl+i] = 1, 1
	}
	gemmGeneric(h1[:8*nl], w1x, col, 8, 9, nl)
	relu(h1[:8*nl])
	gemmGeneric(h2[:8*nl], w2x, h1, 8, 9, nl)
	relu(h2[:8*nl])
	for i := range nl {
		h2[8*nl+i] = 1
	}
	gemmGeneric(mem, w3x, h2, 1, 9, nl)
	for j := range s {
		if (mem[j]+v[j])-p.Threshold >= 0 {
			s[j] = 1
		}
	}
	return mem, s
}

func sdnBitsEqual(t *testing.T, want, got []float32, what string) {
	t.Helper()
	for i := range want {
		if !sameFloat(want[i], got[i]) {
			require.Failf(t, "mismatch", "%s: [%d] (t=%d lane %d) want %v (%#x) got %v (%#x)", what, i, i/Lanes, i%Lanes,
				want[i], math.Float32bits(want[i]), got[i], math.Float32bits(got[i]))
		}
	}
}

// sdnWorst is the largest |mem − mem_generic|/A seen by sdnClose (logged by
// TestSDNVariants for the SDNTolerance documentation).
var sdnWorst float64

// sdnClose checks a variant's mem and s (either may be nil) against the
// generic ones within SDNTolerance (see its doc): hist and v are the inputs of
// the call, so the taps of step t are rows t..t+7 of hist followed by v.
func sdnClose(t testing.TB, p *SDNParams, hist *[8 * Lanes]float32, v []float32, T int, wm, ws, gm, gs []float32, what string) {
	t.Helper()
	win := append(append([]float32{}, hist[:]...), v[:T*Lanes]...)
	w2 := sdnFold(p)
	nanW := false
	isNaN := func(x float32) bool { return x != x }
	for k := range 8 {
		for j := range 8 {
			nanW = nanW || isNaN(p.W1[k][j]) || isNaN(w2[k][j])
		}
		nanW = nanW || isNaN(p.B1[k]) || isNaN(p.B2[k]) || isNaN(p.W3[k])
	}
	nanW = nanW || isNaN(p.B3)
	abs := func(x float32) float64 { return math.Abs(float64(x)) }
	thr := float64(p.Threshold)
	for t0 := range T {
		for l := range Lanes {
			i := t0*Lanes + l
			nan := nanW
			const tiny = 0x1p-122 // subnormal underflow
			var a1 [8]float64
			big := 0.0 // the largest partial A1, A2
			for k := range 8 {
				a1[k] = tiny + abs(p.B1[k])
				for j := range 8 {
					x := win[(t0+j)*Lanes+l]
					nan = nan || isNaN(x)
					a1[k] += abs(p.W1[k][j]) * abs(x)
				}
				big = max(big, a1[k])
			}
			a := tiny + abs(p.B3)
			for k := range 8 {
				a2 := tiny + abs(p.B2[k])
				for j := range 8 {
					a2 += abs(w2[k][j]) * a1[j]
				}
				big = max(big, a2)
				a += abs(p.W3[k]) * a2
			}
			vi := float64(v[i])
			where := func() string {
				return fmt.Sprintf("%s: t=%d lane %d (A %.3g, v %v, θ %v)", what, t0, l, a, v[i], p.Threshold)
			}
			fail := func(format string, args ...any) {
				t.Helper()
				require.Failf(t, "SDN outside SDNTolerance", "%s: "+format, append([]any{where()}, args...)...)
			}
			if nan {
				if gm != nil && !isNaN(gm[i]) {
					fail("mem %v, want NaN", gm[i])
				}
				if gs != nil && gs[i] != 0 {
					fail("spike %v on NaN", gs[i])
				}
				continue
			}
			if !(a < 1e36 && big < 1e36) {
				continue
			}
			if isNaN(wm[i]) || math.IsInf(float64(wm[i]), 0) {
				fail("generic mem %v", wm[i])
			}
			if gm != nil {
				d := math.Abs(float64(gm[i]) - float64(wm[i]))
				if !(d <= SDNTolerance*a) {
					fail("mem %v, generic %v", gm[i], wm[i])
				}
				if a > 0 {
					sdnWorst = max(sdnWorst, d/a)
				}
			}
			if gs != nil {
				margin := math.Abs(float64(wm[i]) + vi - thr)
				inf := math.IsInf(vi, 0) || math.IsInf(thr, 0)
				if inf || margin > SDNTolerance*(a+math.Abs(vi)+math.Abs(thr)) {
					if math.Float32bits(ws[i]) != math.Float32bits(gs[i]) {
						fail("spike %v, generic %v (margin %.3g)", gs[i], ws[i], margin)
					}
				} else if gs[i] != 0 && gs[i] != 1 {
					fail("spike %v", gs[i])
				}
			}
		}
	}
}

// TestSDNRelu: sdnRelu keeps NaN of either sign, gives +0 for ±0 and
// negatives, and x for x > 0.
func TestSDNRelu(t *testing.T) {
	negNaN := math.Float32frombits(0xffc00001)
	require.True(t, sdnRelu(float32(math.NaN())) != sdnRelu(float32(math.NaN())))
	require.True(t, sdnRelu(negNaN) != sdnRelu(negNaN))
	for _, c := range []struct{ x, want float32 }{
		{float32(math.Copysign(0, -1)), 0}, {0, 0}, {-1, 0}, {-1e-45, 0}, {float32(math.Inf(-1)), 0},
		{1e-45, 1e-45}, {2.5, 2.5}, {float32(math.Inf(1)), float32(math.Inf(1))},
	} {
		require.Equal(t, math.Float32bits(c.want), math.Float32bits(sdnRelu(c.x)), "relu(%v)", c.x)
	}
}

func sdnLengths() []int {
	ls := scanLengths()
	return append(ls, 520, 1100) // chunk boundaries of the assembly wrapper
}

// TestSDNRuntimeFormula: the generic kernel is bit-identical to the runtime's
// current SDNNeuron formula (with generic Gemm), including history, on finite
// inputs (the relus differ only on NaNs with the sign bit; see sdnGeneric).
func TestSDNRuntimeFormula(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, T := range []int{1, 3, 8, 9, 40, 300} {
		p := randSDN(rng)
		hist := randInputs(rng, 8*Lanes)
		v := randInputs(rng, T*Lanes)
		wm, ws := sdnRuntimeRef(p, hist, v, T)
		var h [8 * Lanes]float32
		copy(h[:], hist)
		mem, s := make([]float32, T*Lanes), make([]float32, T*Lanes)
		sdnGeneric(p, v, mem, s, &h, T)
		sdnBitsEqual(t, wm, mem, fmt.Sprintf("T=%d mem", T))
		sdnBitsEqual(t, ws, s, fmt.Sprintf("T=%d s", T))
	}
}

// TestSDNFloat64 checks the generic kernel against a float64 evaluation.
func TestSDNFloat64(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	T := 200
	p := randSDN(rng)
	v := randInputs(rng, T*Lanes)
	var hist [8 * Lanes]float32
	mem, s := make([]float32, T*Lanes), make([]float32, T*Lanes)
	sdnGeneric(p, v, mem, s, &hist, T)
	flips := 0
	for t0 := range T {
		for l := range Lanes {
			in := func(i int) float64 {
				if i < 0 {
					return 0
				}
				return float64(v[i*Lanes+l])
			}
			var h1, h2 [8]float64
			scale := 0.0
			for k := range 8 {
				a := float64(p.B1[k])
				for j := range 8 {
					a += float64(p.W1[k][j]) * in(t0-8+j)
				}
				h1[k] = max(a, 0)
			}
			for k := range 8 {
				a := float64(p.B2[k]) + h1[k]
				for i := range 8 {
					a += float64(p.W2[k][i]) * h1[i]
				}
				h2[k] = max(a, 0)
			}
			m := float64(p.B3)
			for k := range 8 {
				m += float64(p.W3[k]) * h2[k]
				scale += math.Abs(float64(p.W3[k]) * h2[k])
			}
			got := float64(mem[t0*Lanes+l])
			require.InDelta(t, m, got, 1e-5*(1+scale+math.Abs(float64(p.B3))), "t=%d lane %d", t0, l)
			want := 0.0
			if m+in(t0)-float64(p.Threshold) >= 0 {
				want = 1
			}
			if want != float64(s[t0*Lanes+l]) {
				flips++
				require.InDelta(t, float64(p.Threshold), m+in(t0), 1e-4, "spike flip away from the threshold")
			}
		}
	}
	t.Logf("float64: %d spike flips at the threshold of %d", flips, T*Lanes)
}

// runSDNGuarded runs k.SDN on guarded copies and checks the guards.
func runSDNGuarded(t *testing.T, k *Kernels, p *SDNParams, v []float32, hist [8 * Lanes]float32, T, off int, wantMem, wantS bool) (mem, s []float32, h [8 * Lanes]float32) {
	t.Helper()
	vin := copyAt(v, off)
	var cm, cs func(*testing.T, string)
	if wantMem {
		mem, cm = guarded(T*Lanes, off)
	}
	if wantS {
		s, cs = guarded(T*Lanes, (off+1)%4)
	}
	h = hist
	k.SDN(p, vin, mem, s, &h, T)
	if cm != nil {
		cm(t, string(k.Name)+" mem")
	}
	if cs != nil {
		cs(t, string(k.Name)+" s")
	}
	for i := range v {
		require.Equal(t, math.Float32bits(v[i]), math.Float32bits(vin[i]), "input modified at %d", i)
	}
	return mem, s, h
}

func TestSDNVariants(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	g := generic()
	for _, T := range sdnLengths() {
		p := randSDN(rng)
		v := randInputs(rng, T*Lanes)
		var hist [8 * Lanes]float32
		if T%3 != 0 {
			copy(hist[:], randInputs(rng, 8*Lanes))
		}
		wm, ws, wh := runSDNGuarded(t, g, p, v, hist, T, 0, true, true)
		for _, k := range variants(t) {
			for mode := range 3 { // both outputs, mem only, s only
				off := (T + mode) % 4
				m, s, h := runSDNGuarded(t, k, p, v, hist, T, off, mode != 2, mode != 1)
				what := fmt.Sprintf("%s T=%d mode=%d", k.Name, T, mode)
				sdnClose(t, p, &hist, v, T, wm, ws, m, s, what)
				require.Equal(t, wh, h, what+" history")
			}
		}
	}
	t.Logf("worst |mem − generic|/A: %.3g (SDNTolerance %g)", sdnWorst, SDNTolerance)
}

// TestSDNStreaming: on every variant, T = 1 calls (and uneven chunks)
// reproduce that variant's one sequence call bit for bit (the runtime's step
// mode); the sequence is within SDNTolerance of generic.
func TestSDNStreaming(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	p := randSDN(rng)
	T := 150
	v := randInputs(rng, T*Lanes)
	var h0, hg [8 * Lanes]float32
	gm, gs := make([]float32, T*Lanes), make([]float32, T*Lanes)
	generic().SDN(p, v, gm, gs, &hg, T)
	for _, k := range variants(t) {
		var hs [8 * Lanes]float32
		wm, ws := make([]float32, T*Lanes), make([]float32, T*Lanes)
		k.SDN(p, v, wm, ws, &hs, T)
		sdnClose(t, p, &h0, v, T, gm, gs, wm, ws, string(k.Name)+" sequence")
		for _, step := range []int{1, 2, 3, 7, 8, 9, 13} {
			var h [8 * Lanes]float32
			m, s := make([]float32, T*Lanes), make([]float32, T*Lanes)
			for t0 := 0; t0 < T; t0 += step {
				n := min(step, T-t0)
				k.SDN(p, v[t0*Lanes:(t0+n)*Lanes], m[t0*Lanes:(t0+n)*Lanes], s[t0*Lanes:(t0+n)*Lanes], &h, n)
			}
			sdnBitsEqual(t, wm, m, fmt.Sprintf("%s step=%d mem", k.Name, step))
			sdnBitsEqual(t, ws, s, fmt.Sprintf("%s step=%d s", k.Name, step))
			require.Equal(t, hs, h, "%s step=%d history", k.Name, step)
		}
	}
}

// TestSDNSpecialValues: NaN, ±Inf, ±0, huge and tiny inputs and weights stay
// within SDNTolerance of generic (NaN in, NaN out; no check where a partial
// sum of A reaches 1e36).
func TestSDNSpecialValues(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	specials := []float32{float32(math.NaN()), math.Float32frombits(0xffc00001), float32(math.Inf(1)), float32(math.Inf(-1)),
		0, float32(math.Copysign(0, -1)), math.MaxFloat32, -math.MaxFloat32, math.SmallestNonzeroFloat32, 1e-39, -1e-39, 1e20, -1e20}
	for iter := range 20 {
		T := 1 + iter*5
		p := randSDN(rng)
		v := randInputs(rng, T*Lanes)
		for i := range v {
			if rng.IntN(4) == 0 {
				v[i] = specials[rng.IntN(len(specials))]
			}
		}
		if iter%2 == 1 { // special weights too
			ws := []*float32{&p.W1[rng.IntN(8)][rng.IntN(8)], &p.W2[rng.IntN(8)][rng.IntN(8)], &p.B1[rng.IntN(8)], &p.W3[rng.IntN(8)], &p.B3}
			for _, w := range ws {
				*w = specials[rng.IntN(len(specials))]
			}
		}
		var hist [8 * Lanes]float32
		for i := range hist {
			hist[i] = specials[rng.IntN(len(specials))]
		}
		wm, ws, wh := runSDNGuarded(t, generic(), p, v, hist, T, 0, true, true)
		for _, k := range variants(t) {
			m, s, h := runSDNGuarded(t, k, p, v, hist, T, 1, true, true)
			sdnClose(t, p, &hist, v, T, wm, ws, m, s, fmt.Sprintf("%s iter %d", k.Name, iter))
			sdnBitsEqual(t, wh[:], h[:], fmt.Sprintf("%s iter %d hist", k.Name, iter))
		}
	}
}

func TestSDNShortSlicesPanic(t *testing.T) {
	p := &SDNParams{}
	var h [8 * Lanes]float32
	for _, k := range variants(t) {
		require.Panics(t, func() { k.SDN(p, make([]float32, 3*Lanes-1), nil, nil, &h, 3) }, "%s short v", k.Name)
		require.Panics(t, func() { k.SDN(p, make([]float32, 3*Lanes), make([]float32, 2*Lanes), nil, &h, 3) }, "%s short mem", k.Name)
		require.Panics(t, func() { k.SDN(p, make([]float32, 3*Lanes), nil, make([]float32, 5), &h, 3) }, "%s short s", k.Name)
	}
}

func FuzzSDN(f *testing.F) {
	f.Add(uint8(30), []byte("sdn seed: weights, history and inputs, arbitrary bits"))
	f.Add(uint8(67), make([]byte, 400))
	f.Add(uint8(1), []byte{0, 0, 0x80, 0x7f, 0, 0, 0xc0, 0x7f, 0, 0, 0x80, 0xff})
	f.Fuzz(func(t *testing.T, tb uint8, data []byte) {
		T := int(tb % 80)
		vals := fuzzFloats(data, 8192)
		at := func(i int) float32 {
			if len(vals) == 0 {
				return 0.5
			}
			return vals[i%len(vals)]
		}
		p := &SDNParams{}
		for k := range 8 {
			for j := range 8 {
				p.W1[k][j], p.W2[k][j] = at(k*8+j), at(64+k*8+j)
			}
			p.B1[k], p.B2[k], p.W3[k] = at(128+k), at(136+k), at(144+k)
		}
		p.B3, p.Threshold = at(152), at(153)
		var hist [8 * Lanes]float32
		for i := range hist {
			hist[i] = at(154 + i)
		}
		v := make([]float32, T*Lanes)
		for i := range v {
			v[i] = at(282 + i)
		}
		hg := hist
		mg, sg := make([]float32, T*Lanes), make([]float32, T*Lanes)
		generic().SDN(p, v, mg, sg, &hg, T)
		for _, k := range variants(t) {
			h := hist
			m, s := make([]float32, T*Lanes), make([]float32, T*Lanes)
			k.SDN(p, v, m, s, &h, T)
			sdnClose(t, p, &hist, v, T, mg, sg, m, s, string(k.Name))
			sdnBitsEqual(t, hg[:], h[:], string(k.Name)+" hist")
		}
	})
}

// sdnPeakNs is the time of one channel-step (136 multiply-adds: h1 64, h2 64,
// mem 8) at the AVX-512 FMA peak of the reference machine (2 × 16-lane FMA
// per cycle at 3.59 GHz): the pct_fma_peak metric is sdnPeakNs/(ns/element).
const sdnPeakNs = 136.0 / 32 / 3.59

// BenchmarkSDN reports G channel-steps/s of one block (16 channels) over T
// steps, mem and spikes written, ns per channel-step (element) and the
// percentage of the AVX-512 FMA peak (sdnPeakNs), from the mean and the best
// call.
func BenchmarkSDN(b *testing.B) {
	for _, k := range variants(b) {
		for _, T := range []int{1, 8, 1024} {
			b.Run(fmt.Sprintf("impl=%s/T=%d", k.Name, T), func(b *testing.B) {
				rng := rand.New(rand.NewPCG(1, 2))
				p := randSDN(rng)
				v := randInputs(rng, T*Lanes)
				mem, s := make([]float32, T*Lanes), make([]float32, T*Lanes)
				var hist [8 * Lanes]float32
				b.SetBytes(int64(12 * Lanes * T)) // v in, mem and s out
				best := time.Duration(1 << 62)
				for b.Loop() {
					t0 := time.Now()
					k.SDN(p, v, mem, s, &hist, T)
					best = min(best, time.Since(t0))
				}
				n := float64(Lanes * T)
				ns := b.Elapsed().Seconds() * 1e9 / float64(b.N) / n
				bestNs := best.Seconds() * 1e9 / n
				b.ReportMetric(1/ns, "Gchanstep/s")
				b.ReportMetric(1/bestNs, "best_Gchanstep/s")
				b.ReportMetric(ns, "ns/element")
				b.ReportMetric(bestNs, "best_ns/element")
				b.ReportMetric(100*sdnPeakNs/ns, "pct_fma_peak")
			})
		}
	}
}

// TestSDNAVX2HasNoEVEX: the AVX2 SDN kernel uses only VEX-encodable
// registers (Y0–Y15, no Z or K), so it runs on CPUs without AVX-512 (the Go
// assembler silently picks EVEX for Y16–Y31).
func TestSDNAVX2HasNoEVEX(t *testing.T) {
	src, err := os.ReadFile("kernels_sdn_amd64.s")
	require.NoError(t, err)
	bad := regexp.MustCompile(`\b([XY](1[6-9]|2[0-9]|3[01])|Z[0-9]+|K[0-7])\b`)
	in, checked := false, 0
	for i, line := range strings.Split(string(src), "\n") {
		if strings.HasPrefix(line, "TEXT ") {
			in = strings.Contains(line, "sdnAVX2(")
			continue
		}
		code, _, _ := strings.Cut(line, "//")
		if in && strings.TrimSpace(code) != "" {
			checked++
			require.False(t, bad.MatchString(code), "kernels_sdn_amd64.s:%d uses an EVEX-only register: %s", i+1, line)
		}
	}
	require.Greater(t, checked, 300, "sdnAVX2 not found")
}

// TestSDNNoAlloc: the assembly wrappers keep their argument blocks and the
// start-up window on the stack (streaming calls SDN once per block and step).
func TestSDNNoAlloc(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	p := randSDN(rng)
	v := randInputs(rng, 20*Lanes)
	mem, s := make([]float32, 20*Lanes), make([]float32, 20*Lanes)
	var h [8 * Lanes]float32
	for _, k := range variants(t) {
		for _, T := range []int{1, 20} {
			n := testing.AllocsPerRun(20, func() { k.SDN(p, v, mem, s, &h, T) })
			require.Zero(t, n, "%s T=%d allocations", k.Name, T)
		}
	}
}

// BenchmarkSDNRuntimeFormula times the runtime's current SDNNeuron evaluation
// of one block (sdn.item in runtime/ops_seq.go: im2col and three Gemm calls
// per 128-step chunk, relu, threshold; without the Tile/Untile) on each
// variant's Gemm, for comparison with BenchmarkSDN.
func BenchmarkSDNRuntimeFormula(b *testing.B) {
	for _, k := range variants(b) {
		for _, T := range []int{1, 1024} {
			b.Run(fmt.Sprintf("impl=%s/T=%d", k.Name, T), func(b *testing.B) {
				rng := rand.New(rand.NewPCG(1, 2))
				p := randSDN(rng)
				w1x, w2x, w3x := make([]float32, 72), make([]float32, 72), make([]float32, 9)
				for i := range 8 {
					copy(w1x[i*9:], p.W1[i][:])
					copy(w2x[i*9:], p.W2[i][:])
					w2x[i*9+i]++
					w1x[i*9+8], w2x[i*9+8] = p.B1[i], p.B2[i]
				}
				copy(w3x, p.W3[:])
				w3x[8] = p.B3
				win := make([]float32, (T+8)*Lanes)
				copy(win[8*Lanes:], randInputs(rng, T*Lanes))
				tc := min(T, 128)
				col, h1, h2 := make([]float32, 9*tc*Lanes), make([]float32, 9*tc*Lanes), make([]float32, 9*tc*Lanes)
				mem, st := make([]float32, T*Lanes), make([]float32, T*Lanes)
				b.SetBytes(int64(12 * Lanes * T))
				relu := func(d []float32) { // the runtime's branch-free relu
					u := unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(d))), len(d)/2)
					for i, w := range u {
						u[i] = w &^ ((w >> 31) & 0x0000000100000001 * 0xFFFFFFFF)
					}
				}
				best := time.Duration(1 << 62)
				for b.Loop() {
					t0 := time.Now()
					for c0 := 0; c0 < T; c0 += tc {
						n := min(tc, T-c0)
						nl := n * Lanes
						for j := range 8 {
							copy(col[j*nl:(j+1)*nl], win[(c0+j)*Lanes:])
						}
						for i := range nl {
							col[8*nl+i], h1[8*nl+i] = 1, 1
						}
						clear(h1[:8*nl])
						clear(h2[:8*nl])
						m := mem[c0*Lanes : c0*Lanes+nl]
						clear(m)
						k.Gemm(h1[:8*nl], w1x, col[:9*nl], 8, 9, nl)
						relu(h1[:8*nl])
						k.Gemm(h2[:8*nl], w2x, h1[:9*nl], 8, 9, nl)
						relu(h2[:8*nl])
						for i := range nl {
							h2[8*nl+i] = 1
						}
						k.Gemm(m, w3x, h2[:9*nl], 1, 9, nl)
						v := win[(c0+8)*Lanes : (c0+8)*Lanes+nl]
						so := st[c0*Lanes : c0*Lanes+nl]
						for j := range so {
							if (m[j]+v[j])-p.Threshold >= 0 {
								so[j] = 1
							} else {
								so[j] = 0
							}
						}
					}
					best = min(best, time.Since(t0))
				}
				b.ReportMetric(float64(Lanes*T)*float64(b.N)/b.Elapsed().Seconds()/1e9, "Gchanstep/s")
				b.ReportMetric(float64(Lanes*T)/best.Seconds()/1e9, "best_Gchanstep/s")
			})
		}
	}
}
