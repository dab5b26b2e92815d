package spikessm

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"
)

// NeuronInterval bounds the state of one block of soft-reset neurons at a
// chunk boundary: the true membrane lies in [MLo, MHi], the previous spike in
// [SLo, SHi] and the refractory trace in [RLo, RHi]. An exact state has Lo ==
// Hi in every field.
type NeuronInterval struct {
	MLo, MHi, SLo, SHi, RLo, RHi [Lanes]float32
}

// ExactInterval returns the interval holding exactly the state st.
func ExactInterval(st *NeuronState) NeuronInterval {
	return NeuronInterval{MLo: st.M, MHi: st.M, SLo: st.S, SHi: st.S, RLo: st.R, RHi: st.R}
}

// PMBCPassGeneric is one pass of Parallel Max-Min Boundary Compression over a
// chunk of T steps of one block of soft-reset neurons (p.Reset must be
// ResetSoft, with τ, θ, ρ, β ≥ 0 so that past spikes can only lower later
// membranes).
//
// und[t] has bit l set while step t of lane l is undecided; s[t][l] holds the
// decided spikes (0/1). iv is the interval of the state before step 0 and is
// replaced by the interval after step T−1. For every step the pass computes
// the upper bound of the membrane (undecided past spikes taken as 0, previous
// interval's upper membrane, lower refractory trace) and the lower bound
// (undecided past spikes taken as 1), with exactly the float32 operations of
// the sequential neuron (neuronMembrane, then NeuronFlush of the new state
// bounds); a step whose lower bound passes the threshold is decided 1, one
// whose upper bound fails it is decided 0, and a decision is used at once by
// the later steps of the same chunk. Because every float32 operation involved
// is monotone under round-to-nearest, and so is the flush, the true
// sequential membrane always lies within the computed bounds, so a decision
// never differs from the sequential neuron; and a step whose past is fully
// decided (exact start interval) gets exactly the sequential membrane and is
// always decided. It returns the number of (step, lane) pairs still
// undecided; undecided steps have s = 0.
func PMBCPassGeneric(p *NeuronParams, x, s []float32, und []uint16, iv *NeuronInterval, T int) (undecided int) {
	if T <= 0 {
		return 0
	}
	x, s, und = x[:T*Lanes], s[:T*Lanes], und[:T]
	for t := range T {
		u := und[t]
		if u == 0 && iv.MLo == iv.MHi && iv.RLo == iv.RHi && iv.SLo == iv.SHi {
			// Exact and decided: the sequential recurrence.
			for l := range Lanes {
				m := neuronMembrane(ResetSoft, p.Tau[l], p.Theta[l], p.Rho[l], iv.MHi[l], iv.SHi[l], iv.RHi[l], x[t*Lanes+l])
				sv := s[t*Lanes+l]
				r := NeuronFlush(float32(p.Beta[l]*iv.RHi[l]) + sv)
				m = NeuronFlush(m)
				iv.MLo[l], iv.MHi[l], iv.SLo[l], iv.SHi[l], iv.RLo[l], iv.RHi[l] = m, m, sv, sv, r, r
			}
			continue
		}
		for l := range Lanes {
			xv := x[t*Lanes+l]
			tau, theta, rho, beta := p.Tau[l], p.Theta[l], p.Rho[l], p.Beta[l]
			mHi := neuronMembrane(ResetSoft, tau, theta, rho, iv.MHi[l], iv.SLo[l], iv.RLo[l], xv)
			mLo := neuronMembrane(ResetSoft, tau, theta, rho, iv.MLo[l], iv.SHi[l], iv.RHi[l], xv)
			var sLo, sHi float32
			if u>>uint(l)&1 != 0 {
				hiFires := (!p.Strict && mHi >= theta) || (p.Strict && mHi > theta)
				loFires := (!p.Strict && mLo >= theta) || (p.Strict && mLo > theta)
				switch {
				case loFires:
					sLo, sHi = 1, 1
					u &^= 1 << uint(l)
				case !hiFires:
					u &^= 1 << uint(l)
				default:
					sHi = 1
					undecided++
				}
				s[t*Lanes+l] = sLo
			} else {
				sLo = s[t*Lanes+l]
				sHi = sLo
			}
			// The state flush is monotone (non-decreasing), so flushed
			// bounds still bound the flushed sequential state, and bound
			// trajectories never run through subnormals either.
			rLo := NeuronFlush(float32(beta*iv.RLo[l]) + sLo)
			rHi := NeuronFlush(float32(beta*iv.RHi[l]) + sHi)
			mLo, mHi = NeuronFlush(mLo), NeuronFlush(mHi)
			iv.MLo[l], iv.MHi[l] = mLo, mHi
			iv.SLo[l], iv.SHi[l] = sLo, sHi
			iv.RLo[l], iv.RHi[l] = rLo, rHi
		}
		und[t] = u
	}
	return undecided
}

// PMBCOptions tunes PMBCWith. Zero values pick defaults.
type PMBCOptions struct {
	// Chunk is the number of steps per chunk (default 512). Chunks of one
	// pass are independent; a pass decides at least the whole earliest
	// chunk with undecided steps, so passes ≤ ceil(T/Chunk).
	Chunk int
	// Workers is the number of goroutines that run the chunks of one pass
	// (default 1; at most GOMAXPROCS is useful).
	Workers int
}

// ErrPMBCReset is returned by PMBC for a neuron that is not soft-reset.
var ErrPMBCReset = errors.New("spikessm: PMBC needs reset = soft (past spikes must only lower later membranes)")

// PMBC computes the spikes of one block of soft-reset neurons from the zero
// state with Parallel Max-Min Boundary Compression, using k.PMBCPass and the
// default options. s ([T][Lanes]) receives the 0/1 spikes; they equal
// k.Neuron's bit for bit. It returns the number of passes.
//
// Performance: each pass costs about as much as a sequential run of the
// steps it revisits, and PMBCPass is plain Go, so on CPUs the assembly
// Neuron has been faster in every case measured (see BenchmarkPMBC). Passes
// stay at 2 when firing is sparse (membranes mostly below θ: the spike-free
// upper bound decides most steps) and grow to ceil(T/Chunk) when the
// spike-free trajectory stays above θ (firing rates of several percent).
func PMBC(k *Kernels, p *NeuronParams, x, s []float32, T int) (passes int, err error) {
	return PMBCWith(k, p, x, s, T, PMBCOptions{})
}

// PMBCWith is PMBC with options. The time axis is cut into chunks; pass 1
// starts chunk 0 from the exact zero state and every later chunk from a
// finite a-priori interval (membrane within ±B, B from max|x|, θ, ρ and the
// refractory bound, with a factor 2 of margin); each later pass restarts a
// chunk from the end interval its predecessor reached in the previous pass.
// Inputs or parameters that are not finite, τ > 1 or β > 1 (outside the op's
// validated range), or a bound that overflows, make it run k.Neuron instead
// (reported as 1 pass).
func PMBCWith(k *Kernels, p *NeuronParams, x, s []float32, T int, o PMBCOptions) (passes int, err error) {
	if p.Reset != ResetSoft {
		return 0, ErrPMBCReset
	}
	if T <= 0 {
		return 0, nil
	}
	if len(x) < T*Lanes || len(s) < T*Lanes {
		return 0, fmt.Errorf("spikessm: PMBC: x has %d and s has %d floats, need %d (T=%d × %d lanes)", len(x), len(s), T*Lanes, T, Lanes)
	}
	var bound, rbound [Lanes]float32
	fallback := false
	for l := range Lanes {
		tau, theta, rho, beta := float64(p.Tau[l]), float64(p.Theta[l]), float64(p.Rho[l]), float64(p.Beta[l])
		if !(tau >= 0 && theta >= 0 && rho >= 0 && beta >= 0) || math.IsInf(tau+theta+rho+beta, 0) {
			if math.IsNaN(tau+theta+rho+beta) || math.IsInf(tau+theta+rho+beta, 0) {
				fallback = true
				continue
			}
			return 0, fmt.Errorf("spikessm: PMBC: lane %d has τ=%g θ=%g ρ=%g β=%g; need all ≥ 0", l, tau, theta, rho, beta)
		}
		if tau > 1 || beta > 1 {
			// Growing membranes or traces: the a-priori bound below does
			// not hold; use the sequential neuron.
			fallback = true
			continue
		}
		var amax float64
		for t := range T {
			a := math.Abs(float64(x[t*Lanes+l]))
			if !(a <= math.MaxFloat32) {
				fallback = true
			}
			amax = max(amax, a)
		}
		r := float64(T)
		if beta < 1 {
			r = min(r, 1/(1-beta))
		}
		r = 2*r + 1
		steps := float64(T)
		if tau < 1 {
			steps = min(steps, 1/(1-tau))
		}
		b := 2*(amax+theta+rho*r)*(steps+1) + 1
		if !(b < 1e37 && r < 1e37) {
			fallback = true
		}
		bound[l], rbound[l] = float32(b), float32(r)
	}
	if fallback {
		var st NeuronState
		k.Neuron(p, x, s, nil, &st, T)
		return 1, nil
	}
	chunk := o.Chunk
	if chunk <= 0 {
		chunk = 512
	}
	workers := max(1, min(o.Workers, runtime.GOMAXPROCS(0)))
	nc := (T + chunk - 1) / chunk
	und := make([]uint16, T)
	for i := range und {
		und[i] = 0xFFFF
	}
	starts := make([]NeuronInterval, nc)
	for c := 1; c < nc; c++ {
		for l := range Lanes {
			starts[c].MLo[l], starts[c].MHi[l] = -bound[l], bound[l]
			starts[c].SHi[l] = 1
			starts[c].RHi[l] = rbound[l]
		}
	}
	ends := make([]NeuronInterval, nc)
	left := make([]int, nc)
	stale := make([]bool, nc) // start interval changed since the chunk last ran
	for c := range stale {
		stale[c] = true
	}
	run := func(c int) {
		lo, hi := c*chunk, min(T, (c+1)*chunk)
		iv := starts[c]
		left[c] = k.PMBCPass(p, x[lo*Lanes:hi*Lanes], s[lo*Lanes:hi*Lanes], und[lo:hi], &iv, hi-lo)
		ends[c] = iv
	}
	for {
		// Chunks to run: stale ones at or before the last chunk with work.
		last := -1
		for c := nc - 1; c >= 0; c-- {
			if left[c] > 0 || passes == 0 {
				last = c
				break
			}
		}
		if last < 0 {
			return passes, nil
		}
		var todo []int
		for c := 0; c <= last; c++ {
			if stale[c] {
				todo = append(todo, c)
			}
		}
		passes++
		if workers == 1 || len(todo) == 1 {
			for _, c := range todo {
				run(c)
			}
		} else {
			var wg sync.WaitGroup
			next := make(chan int, len(todo))
			for _, c := range todo {
				next <- c
			}
			close(next)
			for range min(workers, len(todo)) {
				wg.Go(func() {
					for c := range next {
						run(c)
					}
				})
			}
			wg.Wait()
		}
		ran := make([]bool, nc)
		for _, c := range todo {
			stale[c] = false
			ran[c] = true
		}
		for c := 1; c < nc; c++ {
			if ran[c-1] && ends[c-1] != starts[c] {
				starts[c] = ends[c-1]
				stale[c] = true
			}
		}
		if passes > nc+1 {
			return passes, fmt.Errorf("spikessm: PMBC did not converge after %d passes (internal error)", passes)
		}
	}
}
