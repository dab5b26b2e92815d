package spikessm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// flushBound is 2^-63: SpikingNeuron state values below it in magnitude are
// flushed to +0.
var flushBound = float32(math.Ldexp(1, -63))

// silentParams are SPikE-SSM-like soft-reset parameters with refractory
// decays β across (0, 1), including the tiny β = 2^-63 at which β·r of a
// flushed trace is the smallest normal number, and leaks τ < 1.
func silentParams(rng *rand.Rand, reset ResetMode, strict bool) *NeuronParams {
	p := &NeuronParams{Reset: reset, Strict: strict}
	betas := []float32{0.5, 0.9, 0.99, 0.3, 0.7, 0.95, flushBound, 0}
	for l := range Lanes {
		p.Tau[l] = []float32{0.5, 0.9, 0.25, 0.99, 0, 1}[l%6]
		p.Theta[l] = 0.5 + rng.Float32()
		p.Rho[l] = []float32{0.5, 1, 2, 0.1, 0, flushBound}[l%6]
		p.Beta[l] = betas[l%len(betas)]
	}
	return p
}

// silentDrive makes bursts of supra-threshold drive separated by long silent
// stretches (hundreds of steps). In odd lanes the silence is an exactly zero
// drive, so the membrane decays geometrically too; in even lanes it is a
// small negative drive, so only the refractory trace decays. Without the
// flush both would run through the float32 subnormal range.
func silentDrive(rng *rand.Rand, p *NeuronParams, T int) []float32 {
	x := make([]float32, T*Lanes)
	for l := range Lanes {
		t := rng.IntN(8)
		for t < T {
			burst := 1 + rng.IntN(6)
			for i := 0; i < burst && t < T; i++ {
				x[t*Lanes+l] = p.Theta[l] * (1 + 2*rng.Float32())
				t++
			}
			quiet := 200 + rng.IntN(700)
			for i := 0; i < quiet && t < T; i++ {
				if l%2 == 0 {
					x[t*Lanes+l] = -p.Theta[l] * rng.Float32() / 8
				}
				t++
			}
		}
	}
	return x
}

// oldNeuron is the SpikingNeuron without the flush (the definition before
// the flush was added, and PyTorch's float32 evaluation): it reports whether
// the trace or the membrane ever took a nonzero value below 2^-63.
func oldNeuronTiny(p *NeuronParams, x []float32, T int) (tinyR, tinyM bool) {
	var st NeuronState
	for t := range T {
		for l := range Lanes {
			m := neuronMembrane(p.Reset, p.Tau[l], p.Theta[l], p.Rho[l], st.M[l], st.S[l], st.R[l], x[t*Lanes+l])
			var sv float32
			if (!p.Strict && m >= p.Theta[l]) || (p.Strict && m > p.Theta[l]) {
				sv = 1
			}
			st.R[l] = float32(p.Beta[l]*st.R[l]) + sv
			st.M[l], st.S[l] = m, sv
			tinyR = tinyR || (st.R[l] != 0 && abs32(st.R[l]) < flushBound)
			tinyM = tinyM || (m != 0 && abs32(m) < flushBound)
		}
	}
	return tinyR, tinyM
}

func abs32(v float32) float32 { return math.Float32frombits(math.Float32bits(v) &^ (1 << 31)) }

// requireFlushed fails if a state value is nonzero and below 2^-63 in
// magnitude (which includes every subnormal) or is a negative zero.
func requireFlushed(t *testing.T, st *NeuronState, what string) {
	t.Helper()
	for l := range Lanes {
		for _, v := range []float32{st.M[l], st.R[l]} {
			require.False(t, abs32(v) < flushBound && math.Float32bits(v) != 0, "%s lane %d: state %v holds %g (%#x)", what, l, *st, v, math.Float32bits(v))
		}
	}
}

func TestNeuronFlushDefinition(t *testing.T) {
	for _, c := range []struct{ in, out float32 }{
		{0, 0}, {float32(math.Copysign(0, -1)), 0}, {math.SmallestNonzeroFloat32, 0}, {-math.SmallestNonzeroFloat32, 0},
		{math.Float32frombits(0x007fffff), 0}, {math.Float32frombits(0x00800000), 0}, // largest subnormal, smallest normal
		{math.Nextafter32(flushBound, 0), 0}, {-math.Nextafter32(flushBound, 0), 0},
		{flushBound, flushBound}, {-flushBound, -flushBound}, {1, 1}, {-3.5, -3.5},
		{math.MaxFloat32, math.MaxFloat32}, {float32(math.Inf(1)), float32(math.Inf(1))}, {float32(math.Inf(-1)), float32(math.Inf(-1))},
	} {
		got := NeuronFlush(c.in)
		require.Equal(t, math.Float32bits(c.out), math.Float32bits(got), "NeuronFlush(%g)", c.in)
	}
	nan := float32(math.NaN())
	require.True(t, math.IsNaN(float64(NeuronFlush(nan))))
	// Exhaustive over exponents and signs with random mantissas.
	rng := rand.New(rand.NewPCG(1, 2))
	for e := range uint32(256) {
		for range 64 {
			b := e<<23 | rng.Uint32()&0x807fffff
			v := math.Float32frombits(b)
			want := v
			if abs32(v) < flushBound {
				want = 0
			}
			require.Equal(t, math.Float32bits(want), math.Float32bits(NeuronFlush(v)), "%#x", b)
		}
	}
}

// TestNeuronSilentStretches drives long silent stretches, through which the
// unflushed trace and membrane run into the subnormal range, and checks that
// every variant's Neuron and NeuronBlocks equal the Go twin bit for bit and
// that no state value below 2^-63 (so no subnormal) ever appears, also when
// streaming one step at a time.
func TestNeuronSilentStretches(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	g := generic()
	const T = 3000
	for mode := range 6 {
		reset, strict := ResetMode(mode/2), mode%2 == 1
		p := silentParams(rng, reset, strict)
		x := silentDrive(rng, p, T)
		tinyR, tinyM := oldNeuronTiny(p, x, T)
		require.True(t, tinyR && tinyM, "mode %d: the unflushed neuron should reach the subnormal range (trace %v, membrane %v)", mode, tinyR, tinyM)

		// The twin, one step at a time: the state is always flushed.
		var stg NeuronState
		sg, mg := make([]float32, T*Lanes), make([]uint16, T)
		for tt := range T {
			g.Neuron(p, x[tt*Lanes:], sg[tt*Lanes:], mg[tt:], &stg, 1)
			requireFlushed(t, &stg, fmt.Sprintf("generic mode %d t=%d", mode, tt))
		}
		spikes := 0
		for _, v := range sg {
			spikes += int(v)
		}
		require.Greater(t, spikes, T*Lanes/400, "the drive should make bursts of spikes")

		for _, k := range variants(t) {
			// Whole sequence in one call.
			var st NeuronState
			s, m := make([]float32, T*Lanes), make([]uint16, T)
			k.Neuron(p, x, s, m, &st, T)
			require.True(t, slices.Equal(sg, s), "%s mode %d spikes", k.Name, mode)
			require.Equal(t, mg, m, "%s mode %d masks", k.Name, mode)
			require.True(t, sameState(stg, st), "%s mode %d state %v vs generic %v", k.Name, mode, st, stg)
			// Streaming: odd chunk sizes, state checked after every call.
			st = NeuronState{}
			for t0 := 0; t0 < T; {
				n := min(1+t0%37, T-t0)
				k.Neuron(p, x[t0*Lanes:], s[t0*Lanes:], nil, &st, n)
				requireFlushed(t, &st, fmt.Sprintf("%s mode %d t=%d", k.Name, mode, t0))
				t0 += n
			}
			require.True(t, slices.Equal(sg, s), "%s mode %d streamed spikes", k.Name, mode)
			require.True(t, sameState(stg, st), "%s mode %d streamed state", k.Name, mode)

			// NeuronBlocks over 5 blocks (one 4-block group plus one).
			const nb = 5
			ps := make([]NeuronParams, nb)
			xb := make([]float32, 0, nb*T*Lanes)
			for b := range ps {
				ps[b] = *silentParams(rng, reset, strict)
				xb = append(xb, silentDrive(rng, &ps[b], T)...)
			}
			want, wm := make([]float32, nb*T*Lanes), make([]uint16, nb*T)
			wst := make([]NeuronState, nb)
			for b := range nb {
				g.Neuron(&ps[b], xb[b*T*Lanes:], want[b*T*Lanes:], wm[b*T:], &wst[b], T)
			}
			got, gm := make([]float32, nb*T*Lanes), make([]uint16, nb*T)
			gst := make([]NeuronState, nb)
			for t0 := 0; t0 < T; t0 += 500 {
				// NeuronBlocks takes [nb][T] layouts: run 500-step windows through copies.
				n := min(500, T-t0)
				xw, sw, mw := make([]float32, nb*n*Lanes), make([]float32, nb*n*Lanes), make([]uint16, nb*n)
				for b := range nb {
					copy(xw[b*n*Lanes:(b+1)*n*Lanes], xb[(b*T+t0)*Lanes:])
				}
				k.NeuronBlocks(ps, xw, sw, mw, gst, n)
				for b := range nb {
					copy(got[(b*T+t0)*Lanes:], sw[b*n*Lanes:(b+1)*n*Lanes])
					copy(gm[b*T+t0:], mw[b*n:(b+1)*n])
					requireFlushed(t, &gst[b], fmt.Sprintf("%s blocks mode %d t0=%d block %d", k.Name, mode, t0, b))
				}
			}
			require.True(t, slices.Equal(want, got), "%s mode %d NeuronBlocks spikes", k.Name, mode)
			require.Equal(t, wm, gm, "%s mode %d NeuronBlocks masks", k.Name, mode)
			for b := range nb {
				require.True(t, sameState(wst[b], gst[b]), "%s mode %d NeuronBlocks state of block %d", k.Name, mode, b)
			}
		}

		// PMBC (soft reset) gives the sequential spikes on silent stretches.
		if reset == ResetSoft {
			for _, k := range variants(t) {
				got := make([]float32, T*Lanes)
				_, err := PMBCWith(k, p, x, got, T, PMBCOptions{Chunk: 256})
				require.NoError(t, err)
				require.True(t, slices.Equal(sg, got), "%s PMBC spikes, mode %d", k.Name, mode)
			}
		}
	}
}

// TestNeuronFlushTinyParams checks the twin and the variants agree bit for
// bit on state values and parameters around the flush bound and in the
// subnormal range (negative traces and membranes included).
func TestNeuronFlushTinyParams(t *testing.T) {
	rng := rand.New(rand.NewPCG(43, 44))
	g := generic()
	tiny := []float32{0, flushBound, -flushBound, math.Nextafter32(flushBound, 0), math.Nextafter32(flushBound, 1),
		math.SmallestNonzeroFloat32, -math.SmallestNonzeroFloat32, math.Float32frombits(0x00800000), 1e-30, -1e-30, 0.5, -0.75}
	pick := func() float32 { return tiny[rng.IntN(len(tiny))] }
	for mode := range 6 {
		for _, T := range []int{0, 1, 2, 3, 17, 300} {
			p := &NeuronParams{Reset: ResetMode(mode / 2), Strict: mode%2 == 1}
			var st0 NeuronState
			for l := range Lanes {
				p.Tau[l], p.Theta[l], p.Rho[l], p.Beta[l] = pick(), pick(), pick(), pick()
				st0.M[l], st0.S[l], st0.R[l] = pick(), float32(rng.IntN(2)), pick()
			}
			x := make([]float32, T*Lanes)
			for i := range x {
				x[i] = pick()
			}
			stg := st0
			sg, mg := make([]float32, T*Lanes), make([]uint16, T)
			g.Neuron(p, x, sg, mg, &stg, T)
			if T > 0 {
				requireFlushed(t, &stg, "generic")
			}
			for _, k := range variants(t) {
				st := st0
				s, m := make([]float32, T*Lanes), make([]uint16, T)
				k.Neuron(p, x, s, m, &st, T)
				require.Equal(t, sg, s, "%s mode %d T=%d", k.Name, mode, T)
				require.Equal(t, mg, m, "%s mode %d T=%d", k.Name, mode, T)
				require.True(t, sameState(stg, st), "%s mode %d T=%d state %v vs %v", k.Name, mode, T, st, stg)
				ps := []NeuronParams{*p, *p, *p, *p}
				sts := []NeuronState{st0, st0, st0, st0}
				xs := slices.Concat(x, x, x, x)
				k.NeuronBlocks(ps, xs, nil, nil, sts, T)
				for b := range sts {
					require.True(t, sameState(stg, sts[b]), "%s NeuronBlocks mode %d T=%d block %d", k.Name, mode, T, b)
				}
			}
		}
	}
}

// benchSilent runs H/16 blocks of SPikE-SSM-like soft-reset neurons over
// silentDrive inputs (bursts separated by hundreds of silent steps, in which
// the unflushed trace and membrane would decay into subnormals).
func benchSilent(b *testing.B, blocks bool) {
	for _, k := range variants(b) {
		H, T := 256, 1024
		b.Run(fmt.Sprintf("impl=%s/H=%d/T=%d", k.Name, H, T), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(5, 6))
			nb := H / Lanes
			ps := make([]NeuronParams, nb)
			x := make([]float32, 0, nb*T*Lanes)
			for i := range ps {
				ps[i] = *silentParams(rng, ResetSoft, false)
				x = append(x, silentDrive(rng, &ps[i], T)...)
			}
			mask := make([]uint16, nb*T)
			st := make([]NeuronState, nb)
			b.SetBytes(int64(H * T * 4))
			best := time.Duration(1 << 62)
			for b.Loop() {
				t0 := time.Now()
				clear(st)
				if blocks {
					k.NeuronBlocks(ps, x, nil, mask, st, T)
				} else {
					for i := range nb {
						k.Neuron(&ps[i], x[i*T*Lanes:(i+1)*T*Lanes], nil, mask[i*T:(i+1)*T], &st[i], T)
					}
				}
				best = min(best, time.Since(t0))
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(nb*T), "ns/blockstep")
			b.ReportMetric(float64(best.Nanoseconds())/float64(nb*T), "best_ns/blockstep")
		})
	}
}

// BenchmarkNeuronSilent is BenchmarkNeuron (H = 256) on silent stretches.
func BenchmarkNeuronSilent(b *testing.B) { benchSilent(b, false) }

// BenchmarkNeuronBlocksSilent is BenchmarkNeuronBlocks on silent stretches.
func BenchmarkNeuronBlocksSilent(b *testing.B) { benchSilent(b, true) }
