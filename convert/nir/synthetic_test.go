package nir

import (
	"math"
	"math/rand"
	"testing"

	"github.com/spikessm/spikessm/format"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func assertVec(t *testing.T, m *format.Model, name string, want []float64, tol float64) {
	t.Helper()
	got := tensor64(t, m, name)
	require.Len(t, got, len(want), name)
	for i := range want {
		assert.InDelta(t, want[i], got[i], tol, "%s[%d]", name, i)
	}
}

// compareRuns runs the model through the runtime and the reference loop on
// the same input and compares every activation the graph defines.
func compareRuns(t *testing.T, m *format.Model, raw []byte, x32 []float32, x [][][]float64, B, L, F int) {
	t.Helper()
	g, _ := m.Graph(format.GraphSequence)
	var names []string
	outSet := map[string]bool{}
	for _, o := range g.Outputs {
		outSet[o.Name] = true
	}
	for _, n := range g.Nodes {
		for _, o := range n.Outputs {
			if o != "" && !outSet[o] {
				names = append(names, o)
			}
		}
	}
	rt := runRT(t, raw, x32, B, L, F, names...)
	for bi := 0; bi < B; bi++ {
		ref := refRun(t, m, x[bi])
		for name, want := range ref {
			if name == "input" {
				continue
			}
			got, ok := rt.Outputs[name]
			if !ok {
				got, ok = rt.Captured[name]
			}
			require.True(t, ok, "runtime did not return %q", name)
			C := got.Shape[2]
			maxAbs := 0.0
			for l := range want {
				for c := range want[l] {
					maxAbs = math.Max(maxAbs, math.Abs(want[l][c]))
				}
			}
			for l := range want {
				for c := range want[l] {
					d := math.Abs(float64(got.Data[(bi*L+l)*C+c]) - want[l][c])
					require.LessOrEqual(t, d, 1e-4+1e-5*maxAbs, "%s[b%d, t%d, c%d]: runtime %v, reference %v", name, bi, l, c, got.Data[(bi*L+l)*C+c], want[l][c])
				}
			}
		}
	}
}

func TestSyntheticPrimitives(t *testing.T) {
	const dt = 1e-4
	for _, disc := range []string{Euler, ZOH} {
		t.Run(disc, func(t *testing.T) {
			b, err := ConvertFile("testdata/synthetic_all.nir", Options{DT: dt, Discretization: disc})
			require.NoError(t, err)
			m, raw := built(t, b)
			// a(tau) and k(tau): v[t] = a v[t-1] + k (input), per discretisation
			a := func(tau float64) float64 {
				if disc == ZOH {
					return math.Exp(-dt / tau)
				}
				return 1 - dt/tau
			}
			k := func(tau float64) float64 { return 1 - a(tau) }
			const tol = 1e-7
			assertVec(t, m, "scale.scale", []float64{2, -1, 0.5}, 0)
			assertVec(t, m, "li.alpha", []float64{a(1e-3), a(2e-3), a(5e-4)}, tol)
			assertVec(t, m, "li.beta", []float64{k(1e-3) * 1, k(2e-3) * 2, k(5e-4) * 0.5}, tol)
			assertVec(t, m, "li.gamma", []float64{0, k(2e-3) * 0.1, k(5e-4) * -0.2}, tol)
			assertVec(t, m, "cubali.i.alpha", []float64{a(3e-4), a(3e-4), a(3e-4), a(3e-4)}, tol)
			assertVec(t, m, "cubali.i.beta", []float64{3 * k(3e-4), 3 * k(3e-4), 3 * k(3e-4), 3 * k(3e-4)}, tol)
			assertVec(t, m, "cubali.alpha", []float64{a(1e-3), a(1e-3), a(1e-3), a(1e-3)}, tol)
			assertVec(t, m, "cubali.beta", []float64{5 * k(1e-3), 5 * k(1e-3), 5 * k(1e-3), 5 * k(1e-3)}, tol)
			assertVec(t, m, "thr.theta", []float64{0.05, -0.05, 0, 0.1}, tol)
			assertVec(t, m, "thr.alpha_mem", []float64{0, 0, 0, 0}, 0)
			// IF and I integrate exactly: v += dt*r*input
			assertVec(t, m, "if.alpha_mem", []float64{1, 1}, 0)
			assertVec(t, m, "if.beta_mem", []float64{dt * 3000, dt * 5000}, tol)
			assertVec(t, m, "if.v_reset", []float64{-0.1, 0}, tol)
			assertVec(t, m, "integ.alpha", []float64{1, 1}, 0)
			assertVec(t, m, "integ.beta", []float64{dt * 100, dt * 200}, tol)
			g, _ := m.Graph(format.GraphSequence)
			ops := map[string]format.Node{}
			for _, n := range g.Nodes {
				ops[n.Name] = n
			}
			assert.Equal(t, "none", ops["thr"].Attrs["reset"])
			assert.Equal(t, "hard", ops["if"].Attrs["reset"])
			assert.Equal(t, "Add", ops["if.sum1"].Op, "two edges into IF are summed")
			assert.Equal(t, []string{"output"}, ops["integ"].Outputs, "the last node's output is renamed to the Output node's name")

			const B, L, F = 2, 300, 3
			rng := rand.New(rand.NewSource(11))
			x32 := make([]float32, B*L*F)
			x := make([][][]float64, B)
			for bi := range x {
				x[bi] = make([][]float64, L)
				for l := range x[bi] {
					x[bi][l] = make([]float64, F)
					for f := range x[bi][l] {
						v := float32(rng.NormFloat64() * 2)
						x32[(bi*L+l)*F+f] = v
						x[bi][l][f] = float64(v)
					}
				}
			}
			compareRuns(t, m, raw, x32, x, B, L, F)
			// the spiking layers did spike
			ref := refRun(t, m, x[0])
			assert.Positive(t, sum(flatten2(ref["thr"])))
			assert.Positive(t, sum(flatten2(ref["if"])))
		})
	}
}

func flatten2(v [][]float64) []float64 {
	var out []float64
	for _, r := range v {
		out = append(out, r...)
	}
	return out
}

func TestSnnTorchLeaky(t *testing.T) {
	b, err := ConvertSnnTorch("testdata/snntorch_leaky.pt", Options{})
	require.NoError(t, err)
	m, raw := built(t, b)
	assertVec(t, m, "lif1.alpha_mem", []float64{0.9, 0.8, 1, 0.5, 0}, 1e-7) // clamped to [0, 1]
	assertVec(t, m, "lif1.alpha_syn", []float64{0, 0, 0, 0, 0}, 0)
	assertVec(t, m, "lif1.theta", []float64{0.8, 0.8, 0.8, 0.8, 0.8}, 1e-7)
	assertVec(t, m, "lif1.graded_spikes_factor", []float64{0.5, 0.5, 0.5, 0.5, 0.5}, 0)
	assertVec(t, m, "lif2.alpha_mem", []float64{0.7, 0.7, 0.7}, 1e-7)
	g, _ := m.Graph(format.GraphSequence)
	var ops []string
	attrs := map[string]map[string]any{}
	for _, n := range g.Nodes {
		ops = append(ops, n.Op+":"+n.Name)
		attrs[n.Name] = n.Attrs
	}
	assert.Equal(t, []string{"Linear:fc1", "CubaLIF:lif1", "Mul:lif1.graded", "Linear:fc2", "Add:lif2.rec_bias", "CubaLIF:lif2"}, ops)
	assert.Equal(t, "soft", attrs["lif1"]["reset"])
	assert.Equal(t, "none", attrs["lif2"]["reset"])
	assert.Equal(t, "none,soft", m.Metadata()["semantics.reset"])
	assert.NotContains(t, m.Metadata()["semantics.notes"], "agree with parameters_", "no parameters json for this file")
	x32, x := spikeInput(2, 200, 4, 0.4, 9)
	for bi := range x {
		for l := range x[bi] {
			for f := range x[bi][l] {
				x[bi][l][f] *= 10
			}
		}
	}
	for i := range x32 {
		x32[i] *= 10
	}
	compareRuns(t, m, raw, x32, x, 2, 200, 4)
	ref := refRun(t, m, x[0])
	assert.Positive(t, sum(flatten2(ref["lif1"])))
	assert.Positive(t, sum(flatten2(ref["output"])))
}
