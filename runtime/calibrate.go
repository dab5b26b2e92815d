package runtime

import (
	"math/rand/v2"
	"sync"
	"time"

	"github.com/spikessm/spikessm"
)

type crossKey struct {
	v    spikessm.Variant
	k, m int
}

type crossVal struct {
	identical bool
	rate      float64
}

// crossCache keeps one measurement per (kernel variant, K, M) for the life of the process.
var crossCache sync.Map

// calibrate decides, for every Linear that reads spikes, below which firing rate the
// spike-sparse accumulation beats the dense product, by timing both on the layer's shape with
// these kernels, and checks that both paths give bit-identical results (if not, the layer
// always runs dense so that results never depend on the input's firing rate).
func (m *Model) calibrate() error {
	for _, p := range []*plan{m.seq, m.step} {
		if p == nil {
			continue
		}
		for _, n := range p.nodes {
			l, ok := n.impl.(*linear)
			if !ok || !l.spikeIn {
				continue
			}
			key := crossKey{m.k.Name, l.k, l.m}
			v, ok := crossCache.Load(key)
			if !ok {
				v, _ = crossCache.LoadOrStore(key, measureCrossover(m.k, l))
			}
			cv := v.(crossVal)
			l.sparseOK, l.cross = cv.identical, cv.rate
		}
	}
	return nil
}

// measureCrossover models the sparse cost as linear in the number of spikes (measured at rate
// 0 and 0.25) and the dense cost as constant, and returns where they meet.
func measureCrossover(k *spikessm.Kernels, l *linear) crossVal {
	const rows = rowChunk // as the runtime runs them
	rng := rand.New(rand.NewPCG(uint64(l.k), uint64(l.m)))
	wt := make([]float32, l.k*l.m)
	for i := range wt {
		wt[i] = float32(rng.NormFloat64())
	}
	bias := make([]float32, l.m)
	for i := range bias {
		bias[i] = float32(rng.NormFloat64())
	}
	mk := func(rate float64) []float32 {
		x := make([]float32, rows*l.k)
		for i := range x {
			if rng.Float64() < rate {
				x[i] = 1
			}
		}
		return x
	}
	y := make([]float32, rows*l.m)
	y2 := make([]float32, rows*l.m)
	// Both paths as linear.item and linearSparse.item run them.
	dense := func(x []float32) { k.GemmBias(y, x, wt, bias, rows, l.k, l.m) }
	sparse := func(x []float32) { k.SpikeGemmBias(y2, x, wt, bias, rows, l.k, l.m) }
	x0, xp := mk(0), mk(0.25)
	identical := true
	for _, rate := range []float64{0.05, 0.5, 1} {
		xr := mk(rate)
		dense(xr)
		sparse(xr)
		for i := range y {
			if y[i] != y2[i] {
				identical = false
			}
		}
	}
	timeit := func(f func([]float32), x []float32) float64 {
		best := time.Duration(1 << 62)
		reps := 1 + 20000/(rows*l.k*l.m/64+1)
		for rep := 0; rep < 3; rep++ {
			t0 := time.Now()
			for i := 0; i < reps; i++ {
				f(x)
			}
			best = min(best, time.Since(t0)/time.Duration(reps))
		}
		return float64(best)
	}
	d := timeit(dense, xp)
	s0 := timeit(sparse, x0)
	sp := timeit(sparse, xp)
	rate := 0.0
	if sp > s0 {
		rate = 0.25 * (d - s0) / (sp - s0)
	} else if d > s0 {
		rate = 1
	}
	rate = max(0, min(1, rate))
	return crossVal{identical: identical, rate: rate}
}

// SpikeLinearInfo describes the dense/sparse decision for one Linear that reads spikes.
type SpikeLinearInfo struct {
	Node string
	K, M int
	// Crossover is the firing rate below which the sparse path is used.
	Crossover float64
	// Identical reports whether both paths gave bit-identical results on this CPU; when false
	// the layer always runs dense.
	Identical bool
}

// SpikeLinears lists the calibrated Linear layers that read spike tensors.
func (m *Model) SpikeLinears() []SpikeLinearInfo {
	var out []SpikeLinearInfo
	for _, n := range m.seq.nodes {
		if l, ok := n.impl.(*linear); ok && l.spikeIn {
			out = append(out, SpikeLinearInfo{Node: n.name, K: l.k, M: l.m, Crossover: l.cross, Identical: l.sparseOK})
		}
	}
	return out
}
