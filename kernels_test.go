package spikessm

import (
	"fmt"
	"math"
	"math/cmplx"
	"math/rand/v2"
	"os"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// guard is the sentinel written around outputs; kernels must not touch it.
var guard = float32(math.Float32frombits(0x7fc0dead))

const guardLen = 19

// guarded returns a slice of n floats at misalignment off (0..3 floats) inside
// a buffer with guard values before and after, and a check function.
func guarded(n, off int) (s []float32, check func(t *testing.T, what string)) {
	buf := make([]float32, off+guardLen+n+guardLen)
	for i := range buf {
		buf[i] = guard
	}
	s = buf[off+guardLen : off+guardLen+n : off+guardLen+n]
	return s, func(t *testing.T, what string) {
		t.Helper()
		for i := 0; i < off+guardLen; i++ {
			require.Equal(t, math.Float32bits(guard), math.Float32bits(buf[i]), "%s: guard before output overwritten at %d", what, i)
		}
		for i := off + guardLen + n; i < len(buf); i++ {
			require.Equal(t, math.Float32bits(guard), math.Float32bits(buf[i]), "%s: guard after output overwritten at +%d", what, i-(off+guardLen+n))
		}
	}
}

// copyAt copies src into a fresh slice at misalignment off.
func copyAt(src []float32, off int) []float32 {
	buf := make([]float32, len(src)+off)
	copy(buf[off:], src)
	return buf[off:]
}

func variants(t testing.TB) []*Kernels {
	var ks []*Kernels
	for _, v := range Variants() {
		k, err := Select(v)
		require.NoError(t, err)
		ks = append(ks, k)
	}
	return ks
}

func generic() *Kernels {
	k, err := Select(VariantGeneric)
	if err != nil {
		panic(err)
	}
	return k
}

func sameFloat(a, b float32) bool {
	if a != a && b != b {
		return true
	}
	return math.Float32bits(a) == math.Float32bits(b)
}

// scanLengths are the T values tested: every length 0..67 and larger ones.
func scanLengths() []int {
	var ls []int
	for i := 0; i <= 67; i++ {
		ls = append(ls, i)
	}
	ls = append(ls, 100, 255)
	if !testing.Short() {
		ls = append(ls, 1000, 2500)
	}
	return ls
}

func TestDispatch(t *testing.T) {
	vs := Variants()
	require.NotEmpty(t, vs)
	assert.Equal(t, VariantGeneric, vs[len(vs)-1], "generic must be last")
	for _, v := range vs {
		k, err := Select(v)
		require.NoError(t, err)
		assert.Equal(t, v, k.Name)
		assert.NotNil(t, k.Scan)
		assert.NotNil(t, k.ScanSpikes)
		assert.NotNil(t, k.Neuron)
		assert.NotNil(t, k.NeuronBlocks)
		assert.NotNil(t, k.Gemm)
		assert.NotNil(t, k.SpikeAccum)
		assert.NotNil(t, k.GLU)
		assert.NotNil(t, k.PMBCPass)
		assert.NotNil(t, k.SDN)
		assert.NotNil(t, k.GELU)
		assert.NotNil(t, k.LayerNorm)
		assert.NotNil(t, k.Add)
	}
	_, err := Select("sse9")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "unknown")
	for _, v := range []Variant{VariantAVX2, VariantAVX512, VariantNEON} {
		if !contains(vs, v) {
			_, err := Select(v)
			require.Error(t, err, "variant %s is not available but Select accepted it", v)
			assert.Contains(t, err.Error(), "not available")
		}
	}
	require.NotNil(t, Default())

	k, err := pickDefault("")
	require.NoError(t, err)
	assert.Equal(t, vs[0], k.Name)
	k, err = pickDefault(" Generic ")
	require.NoError(t, err)
	assert.Equal(t, VariantGeneric, k.Name)
	k, err = pickDefault("bogus")
	require.Error(t, err)
	assert.Contains(t, err.Error(), EnvKernels)
	assert.Equal(t, vs[0], k.Name, "invalid override falls back to the best variant")
	if env := os.Getenv(EnvKernels); env != "" {
		k, err := DefaultErr()
		if err == nil {
			assert.Equal(t, Variant(env), k.Name)
		}
	}
}

func contains(vs []Variant, v Variant) bool {
	for _, x := range vs {
		if x == v {
			return true
		}
	}
	return false
}

func TestTileUntile(t *testing.T) {
	for _, H := range []int{1, 15, 16, 17, 32, 40, 48} {
		T := 5
		src := make([]float32, T*H)
		for i := range src {
			src[i] = float32(i + 1)
		}
		nb := (H + Lanes - 1) / Lanes
		back := make([]float32, T*H)
		for b := range nb {
			tile := make([]float32, T*Lanes)
			for i := range tile {
				tile[i] = -1
			}
			Tile(tile, src, T, H, b)
			for tt := range T {
				for l := range Lanes {
					h := b*Lanes + l
					want := float32(0)
					if h < H {
						want = src[tt*H+h]
					}
					require.Equal(t, want, tile[tt*Lanes+l])
				}
			}
			Untile(back, tile, T, H, b)
		}
		require.Equal(t, src, back)
		// A block beyond H is all padding, and Untile ignores it.
		tile := []float32{1, 2, 3}
		tile = append(tile, make([]float32, T*Lanes)...)[:T*Lanes]
		Tile(tile, src, T, H, nb)
		require.Equal(t, make([]float32, T*Lanes), tile)
		Untile(back, tile, T, H, nb)
		require.Equal(t, src, back)
	}
}

func TestPackScanAndSpikes(t *testing.T) {
	H, N := 18, 3
	mk := func(base float32) []float32 {
		s := make([]float32, H*N)
		for i := range s {
			s[i] = base + float32(i)
		}
		return s
	}
	d := make([]float32, H)
	for i := range d {
		d[i] = float32(100 + i)
	}
	ps := PackScan(mk(0), mk(1000), mk(2000), mk(3000), mk(4000), mk(5000), d, H, N)
	require.Len(t, ps, 2)
	for b, p := range ps {
		require.Equal(t, N, p.N)
		for l := range Lanes {
			h := b*Lanes + l
			for n := range N {
				want := float32(0)
				if h < H {
					want = float32(h*N + n)
				}
				require.Equal(t, want, p.ARe[n*Lanes+l])
				if h < H {
					want += 5000
				}
				require.Equal(t, want, p.CIm[n*Lanes+l])
			}
			if h < H {
				require.Equal(t, d[h], p.D[l])
			} else {
				require.Zero(t, p.D[l])
			}
		}
	}
	for _, p := range ps {
		require.False(t, p.unitB, "b is not 1")
	}
	// b exactly 1 + 0i everywhere: unitB, padding lanes get b = 1 too.
	ones := make([]float32, H*N)
	for i := range ones {
		ones[i] = 1
	}
	ps = PackScan(mk(0), mk(1000), ones, make([]float32, H*N), mk(4000), mk(5000), d, H, N)
	for _, p := range ps {
		require.True(t, p.unitB)
		for i := range p.BRe {
			require.Equal(t, float32(1), p.BRe[i])
			require.Zero(t, p.BIm[i])
		}
	}
	ones[7] = math.Nextafter32(1, 2)
	ps = PackScan(mk(0), mk(1000), ones, make([]float32, H*N), mk(4000), mk(5000), d, H, N)
	require.False(t, ps[0].unitB, "one b off by an ulp")
	s := make([]float32, 130)
	for i := range s {
		if i%3 == 0 || i == 129 {
			s[i] = 1
		}
	}
	mask := []uint64{^uint64(0), ^uint64(0), ^uint64(0), 7}
	PackSpikes(mask, s)
	for j := range s {
		require.Equal(t, s[j] != 0, mask[j/64]>>(j%64)&1 == 1, "bit %d", j)
	}
	require.Equal(t, uint64(1<<1), mask[2], "bits past len(s) cleared")
	require.Equal(t, uint64(7), mask[3], "words past len(s) untouched")
}

// randScan returns random stable parameters for one block.
func randScan(rng *rand.Rand, N int, rmax float64) *ScanParams {
	mk := func() []float32 { return make([]float32, N*Lanes) }
	p := &ScanParams{N: N, ARe: mk(), AIm: mk(), BRe: mk(), BIm: mk(), CRe: mk(), CIm: mk(), D: make([]float32, Lanes)}
	for i := range N * Lanes {
		a := cmplx.Rect(0.3+(rmax-0.3)*rng.Float64(), math.Pi*rng.Float64())
		p.ARe[i], p.AIm[i] = float32(real(a)), float32(imag(a))
		p.BRe[i], p.BIm[i] = float32(rng.NormFloat64()), float32(rng.NormFloat64())
		p.CRe[i], p.CIm[i] = float32(rng.NormFloat64()), float32(rng.NormFloat64())
	}
	for l := range Lanes {
		p.D[l] = float32(rng.NormFloat64())
	}
	return p
}

// setUnitB makes b = 1 + 0i everywhere and marks p as PackScan would.
func setUnitB(p *ScanParams) {
	for i := range p.BRe {
		p.BRe[i], p.BIm[i] = 1, 0
	}
	p.unitB = true
}

// scanScale runs the recurrence in float64 from the given state and returns,
// per output element, S = Σ_n |2·c_n·x_n[t]| + |d·u[t]| (the scale of the
// tolerance) and the float64 outputs.
func scanScale(p *ScanParams, u []float32, xRe0, xIm0 []float32, T int) (scale, y64 []float64) {
	N := p.N
	x := make([]complex128, N*Lanes)
	for i := range x {
		x[i] = complex(float64(xRe0[i]), float64(xIm0[i]))
	}
	scale, y64 = make([]float64, T*Lanes), make([]float64, T*Lanes)
	for t := range T {
		for l := range Lanes {
			uv := float64(u[t*Lanes+l])
			s := math.Abs(float64(p.D[l]) * uv)
			y := float64(p.D[l]) * uv
			for n := range N {
				i := n*Lanes + l
				a := complex(float64(p.ARe[i]), float64(p.AIm[i]))
				b := complex(float64(p.BRe[i]), float64(p.BIm[i]))
				c := complex(float64(p.CRe[i]), float64(p.CIm[i]))
				x[i] = a*x[i] + b*complex(uv, 0)
				s += 2 * cmplx.Abs(c) * cmplx.Abs(x[i])
				y += 2 * real(c*x[i])
			}
			scale[t*Lanes+l], y64[t*Lanes+l] = s, y
		}
	}
	return scale, y64
}

// scanGain is the error amplification bound G = min(T, 1/(1−max|a|)).
func scanGain(p *ScanParams, T int) float64 {
	amax := 0.0
	for i := range p.ARe {
		amax = max(amax, math.Hypot(float64(p.ARe[i]), float64(p.AIm[i])))
	}
	g := float64(T + 1)
	if amax < 1 {
		g = min(g, 1/(1-amax))
	}
	return g
}

func TestScanVariants(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	g := generic()
	for _, k := range variants(t) {
		t.Run(string(k.Name), func(t *testing.T) {
			worst := 0.0
			for _, N := range []int{0, 1, 3, 4, 5, 8, 17} {
				for ti, T := range scanLengths() {
					if N >= 8 && T > 67 && testing.Short() {
						continue
					}
					p := randScan(rng, N, 0.999)
					if ti%2 == 1 {
						setUnitB(p) // every other length: the unit-b kernels
					}
					u := make([]float32, T*Lanes)
					for i := range u {
						u[i] = float32(rng.NormFloat64())
					}
					xr0, xi0 := make([]float32, N*Lanes), make([]float32, N*Lanes)
					for i := range xr0 {
						xr0[i], xi0[i] = float32(rng.NormFloat64()), float32(rng.NormFloat64())
					}
					off := (N + T) % 4
					yg := make([]float32, T*Lanes)
					xrg, xig := slices.Clone(xr0), slices.Clone(xi0)
					g.Scan(p, u, yg, xrg, xig, T)

					y, check := guarded(T*Lanes, off)
					xr, checkR := guarded(N*Lanes, 3-off)
					xi, checkI := guarded(N*Lanes, off)
					copy(xr, xr0)
					copy(xi, xi0)
					k.Scan(p, copyAt(u, off), y, xr, xi, T)
					check(t, "y")
					checkR(t, "xRe")
					checkI(t, "xIm")

					scale, _ := scanScale(p, u, xr0, xi0, T)
					gain := scanGain(p, T)
					for i := range y {
						tol := ScanTolerance * gain * scale[i]
						err := math.Abs(float64(y[i]) - float64(yg[i]))
						require.LessOrEqual(t, err, tol, "N=%d T=%d i=%d: %s %v vs generic %v", N, T, i, k.Name, y[i], yg[i])
						if scale[i] > 0 {
							worst = max(worst, err/(gain*scale[i]))
						}
					}
					for i := range xr {
						s := gain * (math.Abs(float64(xrg[i])) + math.Abs(float64(xig[i])) + 1)
						require.InDelta(t, xrg[i], xr[i], ScanTolerance*s, "state re N=%d T=%d", N, T)
						require.InDelta(t, xig[i], xi[i], ScanTolerance*s, "state im N=%d T=%d", N, T)
					}
				}
			}
			t.Logf("%s: worst |y−generic|/(G·S) = %.3g (ScanTolerance %.1g)", k.Name, worst, ScanTolerance)
		})
	}
}

// TestScanConvolution checks every variant against a float64 direct
// evaluation of the convolution form K[l] = 2·Re(Σ c·a^l·b).
func TestScanConvolution(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	N, T := 8, 300
	p := randScan(rng, N, 0.98)
	u := make([]float32, T*Lanes)
	for i := range u {
		u[i] = float32(rng.NormFloat64())
	}
	K := make([]float64, T*Lanes)
	Kabs := make([]float64, T*Lanes)
	for l := range Lanes {
		for n := range N {
			i := n*Lanes + l
			a := complex(float64(p.ARe[i]), float64(p.AIm[i]))
			b := complex(float64(p.BRe[i]), float64(p.BIm[i]))
			c := complex(float64(p.CRe[i]), float64(p.CIm[i]))
			pw := complex(1, 0)
			for lag := range T {
				v := 2 * real(c*pw*b)
				K[lag*Lanes+l] += v
				Kabs[lag*Lanes+l] += 2 * cmplx.Abs(c*pw*b)
				pw *= a
			}
		}
	}
	for _, k := range variants(t) {
		y := make([]float32, T*Lanes)
		k.Scan(p, u, y, make([]float32, N*Lanes), make([]float32, N*Lanes), T)
		for tt := range T {
			for l := range Lanes {
				want := float64(p.D[l]) * float64(u[tt*Lanes+l])
				scale := math.Abs(want)
				for lag := 0; lag <= tt; lag++ {
					want += K[lag*Lanes+l] * float64(u[(tt-lag)*Lanes+l])
					scale += Kabs[lag*Lanes+l] * math.Abs(float64(u[(tt-lag)*Lanes+l]))
				}
				require.InDelta(t, want, float64(y[tt*Lanes+l]), 1e-5*scale*scanGain(p, T), "%s t=%d lane=%d", k.Name, tt, l)
			}
		}
	}
}

func TestScanSpikes(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	g := generic()
	for _, k := range variants(t) {
		for _, N := range []int{1, 4, 6, 64} {
			for _, T := range []int{0, 1, 7, 64, 300, 700} { // N=64, T=700 crosses the 512-step chunk
				p := randScan(rng, N, 0.99)
				mask := make([]uint16, T)
				u := make([]float32, T*Lanes)
				for tt := range mask {
					mask[tt] = uint16(rng.Uint32())
					for l := range Lanes {
						u[tt*Lanes+l] = float32(mask[tt] >> l & 1)
					}
				}
				yd := make([]float32, T*Lanes)
				g.Scan(p, u, yd, make([]float32, N*Lanes), make([]float32, N*Lanes), T)
				ys := make([]float32, T*Lanes)
				xr, xi := make([]float32, N*Lanes), make([]float32, N*Lanes)
				g.ScanSpikes(p, mask, ys, xr, xi, T)
				require.Equal(t, yd, ys, "generic ScanSpikes must equal generic Scan on 0/1 floats")
				y, check := guarded(T*Lanes, T%3)
				k.ScanSpikes(p, mask, y, make([]float32, N*Lanes), make([]float32, N*Lanes), T)
				check(t, "y")
				scale, _ := scanScale(p, u, make([]float32, N*Lanes), make([]float32, N*Lanes), T)
				for i := range y {
					require.InDelta(t, ys[i], y[i], ScanTolerance*scanGain(p, T)*scale[i], "%s N=%d T=%d", k.Name, N, T)
				}
			}
		}
	}
}

func TestScanNaNInf(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	g := generic()
	N, T := 5, 40
	for _, k := range variants(t) {
		p := randScan(rng, N, 0.9)
		u := make([]float32, T*Lanes)
		for i := range u {
			u[i] = float32(rng.NormFloat64())
		}
		u[3*Lanes+2] = float32(math.NaN())
		u[5*Lanes+7] = float32(math.Inf(1))
		u[9*Lanes+15] = float32(math.Inf(-1))
		yg, y := make([]float32, T*Lanes), make([]float32, T*Lanes)
		g.Scan(p, u, yg, make([]float32, N*Lanes), make([]float32, N*Lanes), T)
		k.Scan(p, u, y, make([]float32, N*Lanes), make([]float32, N*Lanes), T)
		for i := range y {
			fg, fv := float64(yg[i]), float64(y[i])
			if math.IsNaN(fg) || math.IsInf(fg, 0) {
				// Non-finite propagates: NaN stays NaN; ±Inf may become NaN
				// when reassociation meets Inf−Inf, never a finite value.
				require.True(t, math.IsNaN(fv) || math.IsInf(fv, 0), "%s i=%d: generic %v, got %v", k.Name, i, fg, fv)
			} else {
				require.False(t, math.IsNaN(fv) || math.IsInf(fv, 0), "%s i=%d: generic %v, got %v", k.Name, i, fg, fv)
			}
		}
		// Lanes without non-finite input are unaffected.
		for tt := range T {
			for _, l := range []int{0, 1, 3} {
				i := tt*Lanes + l
				require.False(t, math.IsNaN(float64(y[i])), "%s: NaN leaked into lane %d", k.Name, l)
			}
		}
	}
}

func randNeuron(rng *rand.Rand, reset ResetMode, strict bool) *NeuronParams {
	p := &NeuronParams{Reset: reset, Strict: strict}
	for l := range Lanes {
		p.Tau[l] = rng.Float32()
		if l%5 == 0 {
			p.Tau[l] = 1
		}
		if l%7 == 0 {
			p.Tau[l] = 0
		}
		p.Theta[l] = 0.25 + rng.Float32()
		if l%3 == 0 {
			p.Theta[l] = 1
		}
		if l%2 == 0 {
			p.Rho[l] = rng.Float32()
			p.Beta[l] = 0.95 * rng.Float32()
		}
	}
	return p
}

// neuronDrive makes drives that often land exactly on θ (adversarial) mixed
// with random values.
func neuronDrive(rng *rand.Rand, p *NeuronParams, T int) []float32 {
	x := make([]float32, T*Lanes)
	for t := range T {
		for l := range Lanes {
			switch rng.IntN(4) {
			case 0:
				x[t*Lanes+l] = p.Theta[l]
			case 1:
				x[t*Lanes+l] = p.Theta[l] * float32([]float64{0.25, 0.5, 0.75, 1.25}[rng.IntN(4)])
			case 2:
				x[t*Lanes+l] = math.Nextafter32(p.Theta[l], float32(rng.IntN(3)-1))
			default:
				x[t*Lanes+l] = float32(rng.NormFloat64()) * p.Theta[l]
			}
		}
	}
	return x
}

func TestNeuronVariants(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	g := generic()
	lengths := append(scanLengths(), 4097) // crosses the 4096-step chunk of the assembly wrappers
	if !testing.Short() {
		lengths = append(lengths, 9000)
	}
	for _, k := range variants(t) {
		t.Run(string(k.Name), func(t *testing.T) {
			for _, reset := range []ResetMode{ResetSoft, ResetHard, ResetNone} {
				for _, strict := range []bool{false, true} {
					for _, T := range lengths {
						p := randNeuron(rng, reset, strict)
						x := neuronDrive(rng, p, T)
						if T > 10 && T%2 == 0 {
							x[5*Lanes+4] = float32(math.NaN())
							x[7*Lanes+6] = float32(math.Inf(1))
							x[8*Lanes+8] = float32(math.Inf(-1))
						}
						var st0 NeuronState
						for l := range Lanes {
							st0.M[l] = float32(rng.NormFloat64())
							st0.S[l] = float32(rng.IntN(2))
							st0.R[l] = rng.Float32()
						}
						stg := st0
						sg := make([]float32, T*Lanes)
						mg := make([]uint16, T)
						g.Neuron(p, x, sg, mg, &stg, T)

						off := T % 4
						s, check := guarded(T*Lanes, off)
						mbuf := make([]uint16, T+2)
						mbuf[0], mbuf[T+1] = 0xBEEF, 0xBEEF
						m := mbuf[1 : T+1]
						st := st0
						k.Neuron(p, copyAt(x, off), s, m, &st, T)
						check(t, "s")
						require.Equal(t, uint16(0xBEEF), mbuf[0])
						require.Equal(t, uint16(0xBEEF), mbuf[T+1])
						for i := range s {
							require.True(t, sameFloat(sg[i], s[i]), "%s reset=%v strict=%v T=%d t=%d lane=%d: spike %v vs generic %v", k.Name, reset, strict, T, i/Lanes, i%Lanes, s[i], sg[i])
						}
						require.Equal(t, mg, m, "masks reset=%v strict=%v T=%d", reset, strict, T)
						for l := range Lanes {
							require.True(t, sameFloat(stg.M[l], st.M[l]) && sameFloat(stg.S[l], st.S[l]) && sameFloat(stg.R[l], st.R[l]),
								"%s state lane %d: %v vs generic %v", k.Name, l, st, stg)
						}
						// nil outputs: state must still advance identically.
						st2 := st0
						k.Neuron(p, x, nil, nil, &st2, T)
						require.True(t, sameState(st, st2), "nil outputs changed the state")
						// masks agree with spikes.
						for tt := range T {
							for l := range Lanes {
								require.Equal(t, s[tt*Lanes+l] == 1, m[tt]>>l&1 == 1)
							}
						}
					}
				}
			}
		})
	}
}

func TestNeuronBlocks(t *testing.T) {
	rng := rand.New(rand.NewPCG(27, 28))
	g := generic()
	for _, k := range variants(t) {
		for _, nb := range []int{1, 2, 3, 4, 5, 6, 7, 8, 9} {
			for _, T := range []int{0, 1, 7, 67, 600, 1100} {
				if testing.Short() && T == 600 {
					continue
				}
				for mode := range 7 {
					reset, strict := ResetMode(mode/2), mode%2 == 1
					ps := make([]NeuronParams, nb)
					for b := range ps {
						ps[b] = *randNeuron(rng, reset, strict)
						if mode == 6 { // mixed modes: blocks differ
							ps[b].Reset, ps[b].Strict = ResetMode(b%3), b%2 == 0
						}
					}
					x := make([]float32, nb*T*Lanes)
					for b := range nb {
						copy(x[b*T*Lanes:], neuronDrive(rng, &ps[b], T))
					}
					st0 := make([]NeuronState, nb)
					for b := range st0 {
						for l := range Lanes {
							st0[b].M[l], st0[b].S[l], st0[b].R[l] = float32(rng.NormFloat64()), float32(rng.IntN(2)), rng.Float32()
						}
					}
					// Reference: generic Neuron block by block.
					sg, mg := make([]float32, nb*T*Lanes), make([]uint16, nb*T)
					stg := slices.Clone(st0)
					for b := range nb {
						g.Neuron(&ps[b], x[b*T*Lanes:(b+1)*T*Lanes], sg[b*T*Lanes:(b+1)*T*Lanes], mg[b*T:(b+1)*T], &stg[b], T)
					}
					s, check := guarded(nb*T*Lanes, (nb+T)%4)
					m := make([]uint16, nb*T+1)
					m[nb*T] = 0xBEEF
					st := slices.Clone(st0)
					k.NeuronBlocks(ps, copyAt(x, T%4), s, m[:nb*T], st, T)
					check(t, "s")
					require.Equal(t, uint16(0xBEEF), m[nb*T])
					require.Equal(t, sg, s, "%s nb=%d T=%d mode=%d", k.Name, nb, T, mode)
					require.Equal(t, mg, m[:nb*T], "%s nb=%d T=%d mode=%d masks", k.Name, nb, T, mode)
					for b := range nb {
						require.True(t, sameState(stg[b], st[b]), "%s nb=%d T=%d mode=%d state of block %d", k.Name, nb, T, mode, b)
					}
					st2 := slices.Clone(st0)
					k.NeuronBlocks(ps, x, nil, nil, st2, T)
					for b := range nb {
						require.True(t, sameState(stg[b], st2[b]), "nil outputs: state of block %d", b)
					}
				}
			}
		}
	}
}

func sameState(a, b NeuronState) bool {
	for l := range Lanes {
		if !sameFloat(a.M[l], b.M[l]) || !sameFloat(a.S[l], b.S[l]) || !sameFloat(a.R[l], b.R[l]) {
			return false
		}
	}
	return true
}

// TestNeuronSemantics checks the generic neuron against an independent
// float64 evaluation of the OPS.md formulas on inputs where float32 rounding
// cannot move a spike (drives are small dyadic rationals).
func TestNeuronSemantics(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for _, reset := range []ResetMode{ResetSoft, ResetHard, ResetNone} {
		for _, strict := range []bool{false, true} {
			p := &NeuronParams{Reset: reset, Strict: strict}
			for l := range Lanes {
				p.Tau[l] = float32([]float64{0, 0.5, 0.75, 1}[l%4])
				p.Theta[l] = float32([]float64{1, 0.5, 2}[l%3])
				p.Rho[l] = float32([]float64{0, 0.25, 0.5}[l%3])
				p.Beta[l] = float32([]float64{0, 0.5}[l%2])
			}
			T := 200
			x := make([]float32, T*Lanes)
			for i := range x {
				x[i] = float32(rng.IntN(9)-2) / 4
			}
			s := make([]float32, T*Lanes)
			var st NeuronState
			generic().Neuron(p, x, s, nil, &st, T)
			for l := range Lanes {
				tau, theta, rho, beta := float64(p.Tau[l]), float64(p.Theta[l]), float64(p.Rho[l]), float64(p.Beta[l])
				var m, sp, r float64
				for tt := range T {
					xv := float64(x[tt*Lanes+l])
					switch reset {
					case ResetSoft:
						m = tau*(m-theta*sp) + xv - rho*r
					case ResetHard:
						m = tau*m*(1-sp) + xv - rho*r
					default:
						m = tau*m + xv - rho*r
					}
					sv := 0.0
					if (!strict && m >= theta) || (strict && m > theta) {
						sv = 1
					}
					r = beta*r + sv
					sp = sv
					require.Equal(t, float32(sv), s[tt*Lanes+l], "reset=%v strict=%v lane=%d t=%d m=%v", reset, strict, l, tt, m)
				}
			}
		}
	}
}

func TestGemmVariants(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	g := generic()
	var Ms []int
	for m := 0; m <= 67; m++ {
		Ms = append(Ms, m)
	}
	Ms = append(Ms, 128, 200, 1030)
	for _, k := range variants(t) {
		for _, R := range []int{1, 2, 3, 4, 5, 9} {
			for _, K := range []int{0, 1, 3, 17, 64} {
				for _, M := range Ms {
					if M > 67 && K > 17 && R > 4 {
						continue
					}
					if testing.Short() && (R == 2 || R == 9 || K == 3) && M > 20 {
						continue
					}
					x := randSlice(rng, R*K)
					wt := randSlice(rng, K*M)
					y0 := randSlice(rng, R*M)
					yg := slices.Clone(y0)
					g.Gemm(yg, x, wt, R, K, M)
					off := (R + K + M) % 4
					y, check := guarded(R*M, off)
					copy(y, y0)
					k.Gemm(y, copyAt(x, 3-off), copyAt(wt, off), R, K, M)
					check(t, "y")
					for r := range R {
						for m := range M {
							scale := math.Abs(float64(y0[r*M+m]))
							for kk := range K {
								scale += math.Abs(float64(x[r*K+kk]) * float64(wt[kk*M+m]))
							}
							require.InDelta(t, yg[r*M+m], y[r*M+m], GemmTolerance*scale+1e-30, "%s R=%d K=%d M=%d r=%d m=%d", k.Name, R, K, M, r, m)
						}
					}
				}
			}
		}
	}
}

// TestChunkBoundaries runs shapes whose assembly calls are split into
// several chunks (Gemm over K, SpikeAccum over columns) against generic.
func TestChunkBoundaries(t *testing.T) {
	rng := rand.New(rand.NewPCG(29, 30))
	g := generic()
	for _, k := range variants(t) {
		R, K, M := 5, 300, 1030 // K chunk of 2^18/1024 = 256 weights rows
		x, wt, y0 := randSlice(rng, R*K), randSlice(rng, K*M), randSlice(rng, R*M)
		yg, y := slices.Clone(y0), slices.Clone(y0)
		g.Gemm(yg, x, wt, R, K, M)
		k.Gemm(y, x, wt, R, K, M)
		for i := range y {
			require.InDelta(t, yg[i], y[i], 1e-3, "%s Gemm i=%d", k.Name, i)
		}
		K = 4096 // all active: column chunks of 128
		wt = randSlice(rng, K*M)
		mask := make([]uint64, K/64)
		for i := range mask {
			mask[i] = ^uint64(0)
		}
		ys0 := randSlice(rng, M)
		ysg, ys := slices.Clone(ys0), slices.Clone(ys0)
		g.SpikeAccum(ysg, wt, mask, K, M)
		k.SpikeAccum(ys, wt, mask, K, M)
		require.Equal(t, ysg, ys, "%s SpikeAccum", k.Name)
	}
}

func randSlice(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(rng.NormFloat64())
	}
	return s
}

func TestSpikeAccumVariants(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	g := generic()
	var Ms []int
	for m := 0; m <= 67; m++ {
		Ms = append(Ms, m)
	}
	Ms = append(Ms, 128, 300, 1030)
	for _, k := range variants(t) {
		for _, K := range []int{1, 5, 63, 64, 65, 200} {
			for _, M := range Ms {
				for _, rate := range []float64{0, 0.1, 0.5, 1} {
					wt := randSlice(rng, K*M)
					nw := (K + 63) / 64
					mask := make([]uint64, nw)
					for j := range K {
						if rng.Float64() < rate {
							mask[j/64] |= 1 << (j % 64)
						}
					}
					if K%64 != 0 {
						mask[nw-1] |= ^uint64(0) << (K % 64) // garbage past K must be ignored
					}
					y0 := randSlice(rng, M)
					yg := slices.Clone(y0)
					g.SpikeAccum(yg, wt, mask, K, M)
					// Against the float64-free definition: additions in order.
					ref := slices.Clone(y0)
					for j := range K {
						if mask[j/64]>>(j%64)&1 == 1 {
							for m := range M {
								ref[m] += wt[j*M+m]
							}
						}
					}
					require.Equal(t, ref, yg)
					off := (K + M) % 4
					y, check := guarded(M, off)
					copy(y, y0)
					k.SpikeAccum(y, copyAt(wt, 3-off), mask, K, M)
					check(t, "y")
					require.Equal(t, yg, y, "%s K=%d M=%d rate=%v: must be bit-identical", k.Name, K, M, rate)
				}
			}
		}
	}
}

func TestGLU(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 20))
	g := generic()
	var lengths []int
	for n := 0; n <= 67; n++ {
		lengths = append(lengths, n)
	}
	lengths = append(lengths, 1000)
	if !testing.Short() {
		lengths = append(lengths, 70001) // crosses the 65536-element chunk
	}
	for _, k := range variants(t) {
		worst := 0.0
		for _, n := range lengths {
			a, b := randSlice(rng, n), randSlice(rng, n)
			for i := range b {
				b[i] *= 12
			}
			if n > 10 {
				b[0], b[1], b[2], b[3] = float32(math.Inf(1)), float32(math.Inf(-1)), 100, -100
				b[4], b[5], b[6] = float32(math.NaN()), 87.5, -88.5
				a[7] = float32(math.NaN())
				a[8], b[8] = float32(math.Inf(1)), 3
				b[9] = 1e-30
			}
			want := make([]float32, n)
			g.GLU(want, a, b)
			dst, check := guarded(n, n%4)
			k.GLU(dst, copyAt(a, 3-n%4), copyAt(b, n%4))
			check(t, "dst")
			for i := range dst {
				w, got := float64(want[i]), float64(dst[i])
				if math.IsNaN(w) {
					require.True(t, math.IsNaN(got), "%s n=%d i=%d: want NaN, got %v (a=%v b=%v)", k.Name, n, i, got, a[i], b[i])
					continue
				}
				if math.IsInf(w, 0) {
					require.Equal(t, w, got, "%s i=%d", k.Name, i)
					continue
				}
				// generic vs float64 truth, and variant vs generic.
				truth := float64(a[i]) / (1 + math.Exp(-float64(b[i])))
				require.InDelta(t, truth, w, 1.5e-7*math.Abs(float64(a[i]))+1e-38, "generic i=%d", i)
				err := math.Abs(got - w)
				require.LessOrEqual(t, err, GLUTolerance*math.Abs(float64(a[i]))+1e-37, "%s n=%d i=%d: a=%v b=%v got %v want %v", k.Name, n, i, a[i], b[i], got, w)
				if a[i] != 0 {
					worst = max(worst, err/math.Abs(float64(a[i])))
				}
			}
		}
		t.Logf("%s: worst |GLU−generic|/|a| = %.3g (GLUTolerance %.1g)", k.Name, worst, GLUTolerance)
	}
}

func TestKernelsShortSlicesPanic(t *testing.T) {
	for _, k := range variants(t) {
		p := randScan(rand.New(rand.NewPCG(1, 1)), 2, 0.9)
		require.Panics(t, func() {
			k.Scan(p, make([]float32, 15), make([]float32, 16), make([]float32, 32), make([]float32, 32), 1)
		}, "%s Scan short u", k.Name)
		require.Panics(t, func() {
			k.Scan(p, make([]float32, 16), make([]float32, 16), make([]float32, 31), make([]float32, 32), 1)
		}, "%s Scan short x", k.Name)
		np := randNeuron(rand.New(rand.NewPCG(1, 1)), ResetSoft, false)
		require.Panics(t, func() { k.Neuron(np, make([]float32, 31), nil, nil, &NeuronState{}, 2) }, "%s Neuron short x", k.Name)
		require.Panics(t, func() { k.Gemm(make([]float32, 3), make([]float32, 4), make([]float32, 8), 1, 4, 4) }, "%s Gemm short y", k.Name)
		require.Panics(t, func() { k.SpikeAccum(make([]float32, 16), make([]float32, 16*64), []uint64{1}, 65, 16) }, "%s SpikeAccum short mask", k.Name)
	}
}

func ExampleSelect() {
	k, err := Select(VariantGeneric)
	if err != nil {
		panic(err)
	}
	fmt.Println(k.Name)
	// Output: generic
}
