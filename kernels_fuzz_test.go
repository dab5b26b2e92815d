package spikessm

import (
	"encoding/binary"
	"math"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// fuzzFloats decodes little-endian float32s from data (at most max).
func fuzzFloats(data []byte, max int) []float32 {
	n := min(len(data)/4, max)
	out := make([]float32, n)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
	}
	return out
}

// finiteSmall maps arbitrary bits to finite values in [-4, 4].
func finiteSmall(v float32) float32 {
	if v != v || math.IsInf(float64(v), 0) {
		return 0
	}
	return float32(math.Mod(float64(v), 4))
}

func FuzzScan(f *testing.F) {
	f.Add(uint8(3), uint8(20), []byte("seed bytes for the scan fuzzer: parameters and inputs"))
	f.Add(uint8(0), uint8(1), []byte{})
	f.Add(uint8(9), uint8(67), make([]byte, 600))
	f.Fuzz(func(t *testing.T, nb, tb uint8, data []byte) {
		N, T := int(nb%12), int(tb%80)
		vals := fuzzFloats(data, 4096)
		at := func(i int) float32 {
			if len(vals) == 0 {
				return 0.5
			}
			return finiteSmall(vals[i%len(vals)])
		}
		p := &ScanParams{N: N, D: make([]float32, Lanes)}
		fields := []*[]float32{&p.ARe, &p.AIm, &p.BRe, &p.BIm, &p.CRe, &p.CIm}
		for fi, fp := range fields {
			*fp = make([]float32, N*Lanes)
			for i := range *fp {
				v := at(fi*N*Lanes + i)
				if fi < 2 {
					v /= 6 // |a| ≤ 0.95: stable
				}
				(*fp)[i] = v
			}
		}
		for l := range Lanes {
			p.D[l] = at(7*N*Lanes + l)
		}
		if len(data) > 0 && data[0]&1 == 1 {
			setUnitB(p) // the unit-b kernels
		}
		u := make([]float32, T*Lanes)
		for i := range u {
			u[i] = at(3 + 5*i)
		}
		yg := make([]float32, T*Lanes)
		xrg, xig := make([]float32, N*Lanes), make([]float32, N*Lanes)
		generic().Scan(p, u, yg, xrg, xig, T)
		scale, _ := scanScale(p, u, make([]float32, N*Lanes), make([]float32, N*Lanes), T)
		gain := scanGain(p, T)
		// Spike input: u > 0 fires.
		mask := make([]uint16, T)
		us := make([]float32, T*Lanes)
		for i, v := range u {
			if v > 0 {
				mask[i/Lanes] |= 1 << (i % Lanes)
				us[i] = 1
			}
		}
		ysg := make([]float32, T*Lanes)
		generic().ScanSpikes(p, mask, ysg, make([]float32, N*Lanes), make([]float32, N*Lanes), T)
		sscale, _ := scanScale(p, us, make([]float32, N*Lanes), make([]float32, N*Lanes), T)
		for _, k := range variants(t) {
			y := make([]float32, T*Lanes)
			k.Scan(p, u, y, make([]float32, N*Lanes), make([]float32, N*Lanes), T)
			for i := range y {
				require.InDelta(t, yg[i], y[i], ScanTolerance*gain*scale[i]+1e-30, "%s N=%d T=%d i=%d", k.Name, N, T, i)
			}
			k.ScanSpikes(p, mask, y, make([]float32, N*Lanes), make([]float32, N*Lanes), T)
			for i := range y {
				require.InDelta(t, ysg[i], y[i], ScanTolerance*gain*sscale[i]+1e-30, "%s ScanSpikes N=%d T=%d i=%d", k.Name, N, T, i)
			}
		}
		// The same block inside a wider (T, stride) layout: ScanStrided gives Scan's bits.
		stride := Lanes + int(nb/12)%40
		uw := make([]float32, T*stride)
		for s := range T {
			copy(uw[s*stride:], u[s*Lanes:(s+1)*Lanes])
			for j := Lanes; j < stride; j++ {
				uw[s*stride+j] = at(11 + s + j)
			}
		}
		xr0, xi0 := make([]float32, N*Lanes), make([]float32, N*Lanes)
		for i := range xr0 {
			xr0[i], xi0[i] = at(13+i), at(17+2*i)
		}
		for _, k := range append(variants(t), generic()) {
			checkScanStrided(t, k, p, uw, stride, T, xr0, xi0)
		}
	})
}

func FuzzNeuron(f *testing.F) {
	f.Add(uint8(0), uint8(30), []byte("neuron seed: drives and parameters, arbitrary bits"))
	f.Add(uint8(5), uint8(67), make([]byte, 300))
	f.Add(uint8(3), uint8(1), []byte{0, 0, 0x80, 0x7f, 0, 0, 0xc0, 0x7f})
	f.Fuzz(func(t *testing.T, mode, tb uint8, data []byte) {
		T := int(tb % 100)
		vals := fuzzFloats(data, 8192)
		at := func(i int) float32 {
			if len(vals) == 0 {
				return 1
			}
			return vals[i%len(vals)] // arbitrary bits, NaN/Inf included
		}
		p := &NeuronParams{Reset: ResetMode(mode % 3), Strict: mode&4 != 0}
		for l := range Lanes {
			p.Tau[l], p.Theta[l], p.Rho[l], p.Beta[l] = at(l), at(l+16), at(l+32), at(l+48)
		}
		x := make([]float32, T*Lanes)
		for i := range x {
			x[i] = at(64 + i)
		}
		var st0 NeuronState
		for l := range Lanes {
			st0.M[l], st0.S[l], st0.R[l] = at(l+7), float32(int(mode>>3+uint8(l))%2), at(l+9)
		}
		stg := st0
		sg, mg := make([]float32, T*Lanes), make([]uint16, T)
		generic().Neuron(p, x, sg, mg, &stg, T)
		for _, k := range variants(t) {
			st := st0
			s, m := make([]float32, T*Lanes), make([]uint16, T)
			k.Neuron(p, x, s, m, &st, T)
			require.Equal(t, mg, m, "%s masks", k.Name)
			require.Equal(t, sg, s, "%s spikes", k.Name)
			require.True(t, sameState(stg, st), "%s state", k.Name)
		}
		// PMBC on the soft-reset, non-negative-parameter subset.
		if p.Reset == ResetSoft {
			q := *p
			for l := range Lanes {
				q.Tau[l] = float32(math.Abs(float64(finiteSmall(q.Tau[l])))) / 4
				q.Theta[l] = float32(math.Abs(float64(finiteSmall(q.Theta[l])))) + 0.125
				q.Rho[l] = float32(math.Abs(float64(finiteSmall(q.Rho[l]))))
				q.Beta[l] = float32(math.Abs(float64(finiteSmall(q.Beta[l])))) / 4.5
			}
			want := make([]float32, T*Lanes)
			var st NeuronState
			generic().Neuron(&q, x, want, nil, &st, T)
			got := make([]float32, T*Lanes)
			_, err := PMBCWith(generic(), &q, x, got, T, PMBCOptions{Chunk: 16})
			require.NoError(t, err)
			require.Equal(t, want, got, "PMBC")
		}
	})
}

func FuzzSpikeAccum(f *testing.F) {
	f.Add(uint16(70), uint16(33), uint64(0xF0F0F0F0F0F0F0F1), []byte("weights"))
	f.Add(uint16(1), uint16(1), uint64(1), []byte{})
	f.Fuzz(func(t *testing.T, kb, mb uint16, seed uint64, data []byte) {
		K, M := int(kb%300)+1, int(mb%200)
		vals := fuzzFloats(data, 4096)
		wt := make([]float32, K*M)
		for i := range wt {
			if len(vals) > 0 {
				wt[i] = vals[i%len(vals)]
			} else {
				wt[i] = float32(i)
			}
		}
		mask := make([]uint64, (K+63)/64)
		for i := range mask {
			mask[i] = seed * uint64(2*i+1)
			seed = seed*6364136223846793005 + 1442695040888963407
		}
		y0 := make([]float32, M)
		for i := range y0 {
			y0[i] = float32(i) - 3
		}
		yg := slices.Clone(y0)
		generic().SpikeAccum(yg, wt, mask, K, M)
		for _, k := range variants(t) {
			y := slices.Clone(y0)
			k.SpikeAccum(y, wt, mask, K, M)
			for i := range y {
				require.True(t, sameFloat(yg[i], y[i]), "%s K=%d M=%d i=%d: %v vs %v", k.Name, K, M, i, y[i], yg[i])
			}
		}
	})
}

func FuzzGemm(f *testing.F) {
	f.Add(uint8(3), uint8(5), uint8(37), []byte("gemm seed data, any bytes at all"))
	f.Add(uint8(1), uint8(0), uint8(1), []byte{})
	f.Fuzz(func(t *testing.T, rb, kb, mb uint8, data []byte) {
		R, K, M := int(rb%9)+1, int(kb%70), int(mb%140)
		vals := fuzzFloats(data, 4096)
		at := func(i int) float32 {
			if len(vals) == 0 {
				return 1
			}
			return finiteSmall(vals[i%len(vals)])
		}
		x, wt, y0 := make([]float32, R*K), make([]float32, K*M), make([]float32, R*M)
		for i := range x {
			x[i] = at(i)
		}
		for i := range wt {
			wt[i] = at(i + 11)
		}
		for i := range y0 {
			y0[i] = at(i + 5)
		}
		yg := slices.Clone(y0)
		generic().Gemm(yg, x, wt, R, K, M)
		for _, k := range variants(t) {
			y := slices.Clone(y0)
			k.Gemm(y, x, wt, R, K, M)
			for r := range R {
				for m := range M {
					scale := math.Abs(float64(y0[r*M+m]))
					for kk := range K {
						scale += math.Abs(float64(x[r*K+kk]) * float64(wt[kk*M+m]))
					}
					require.InDelta(t, yg[r*M+m], y[r*M+m], GemmTolerance*scale+1e-30, "%s R=%d K=%d M=%d", k.Name, R, K, M)
				}
			}
		}
	})
}

func FuzzGLU(f *testing.F) {
	f.Add([]byte("glu seed: a and b halves of arbitrary float bits......"))
	f.Add([]byte{0, 0, 0x80, 0x7f, 0, 0, 0x80, 0xff, 0, 0, 0xc0, 0x7f, 1, 2, 3, 4})
	f.Fuzz(func(t *testing.T, data []byte) {
		vals := fuzzFloats(data, 2048)
		n := len(vals) / 2
		a, b := vals[:n], vals[n:2*n]
		want := make([]float32, n)
		generic().GLU(want, a, b)
		for _, k := range variants(t) {
			got := make([]float32, n)
			k.GLU(got, a, b)
			for i := range got {
				w, g := float64(want[i]), float64(got[i])
				if math.IsNaN(w) {
					require.True(t, math.IsNaN(g), "%s i=%d a=%v b=%v: want NaN got %v", k.Name, i, a[i], b[i], g)
					continue
				}
				if math.IsInf(w, 0) {
					require.Equal(t, w, g, "%s i=%d a=%v b=%v", k.Name, i, a[i], b[i])
					continue
				}
				require.InDelta(t, w, g, GLUTolerance*math.Abs(float64(a[i]))+1e-37, "%s i=%d a=%v b=%v", k.Name, i, a[i], b[i])
			}
		}
	})
}
