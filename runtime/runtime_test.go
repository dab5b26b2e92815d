package runtime

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"reflect"
	"sync"
	"testing"

	"github.com/spikessm/spikessm"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	tH, tN, tF, tK, tL, tB = 20, 4, 3, 5, 24, 5
)

var kinds = []string{"gelu", "heaviside", "sdn", "lif"}

// TestToyModelsMatchFloat64 runs small models of every kind against the float64 reference
// interpreter built from OPS.md.
func TestToyModelsMatchFloat64(t *testing.T) {
	for _, kind := range kinds {
		for _, bidir := range []bool{false, true} {
			for _, prenorm := range []bool{false, true} {
				name := fmt.Sprintf("%s/bidir=%v/prenorm=%v", kind, bidir, prenorm)
				t.Run(name, func(t *testing.T) {
					g, data := toyClassifier(t, 11, kind, tH, tN, tF, tK, 2, bidir, prenorm)
					m, err := LoadBytes(data, WithWorkers(2))
					require.NoError(t, err)
					defer m.Close()
					in := randInput(5, tB*tL*tF)
					ref := refRun(t, g, f64(in), tB, tL, tF)
					capt := []string{"layer0.ssm", "layer0.act", "layer1.ssm", "layer1.out", "pool"}
					res, err := m.RunWith(context.Background(), Tensor{Shape: []int{tB, tL, tF}, Data: in}, RunOptions{Capture: capt})
					require.NoError(t, err)
					// Spikes: equal wherever the float64 margin is not tiny.
					for _, s := range []string{"layer0.act", "layer1.act"} {
						if mg, ok := ref.margins[s]; ok && s == "layer0.act" {
							got := res.Captured[s].Data
							for i, v := range ref.vals[s].d {
								if mg[i] > 1e-4 {
									require.Equal(t, v, float64(got[i]), "%s[%d] margin %g", s, i, mg[i])
								}
							}
						}
					}
					requireClose(t, "layer0.ssm", ref.vals["layer0.ssm"].d, res.Captured["layer0.ssm"].Data, 1e-4, 1e-5)
					requireClose(t, "layer1.ssm", ref.vals["layer1.ssm"].d, res.Captured["layer1.ssm"].Data, 1e-4, 1e-5)
					requireClose(t, "layer1.out", ref.vals["layer1.out"].d, res.Captured["layer1.out"].Data, 1e-4, 1e-5)
					requireClose(t, "logits", ref.vals["logits"].d, res.Outputs["logits"].Data, 1e-4, 1e-5)
					require.Equal(t, []int{tB, tK}, res.Outputs["logits"].Shape)
				})
			}
		}
	}
}

// TestSDNMembrane checks the optional membrane output of SDNNeuron against float64.
func TestSDNMembrane(t *testing.T) {
	g, data := toyClassifier(t, 3, "sdn", tH, tN, tF, tK, 1, false, false)
	m, err := LoadBytes(data)
	require.NoError(t, err)
	in := randInput(9, tB*tL*tF)
	res, err := m.RunWith(context.Background(), Tensor{Shape: []int{tB, tL, tF}, Data: in}, RunOptions{Capture: []string{"layer0.vin", "layer0.mem"}})
	require.NoError(t, err)
	// Teacher-forced: the reference SDN on the runtime's own vin.
	vin := res.Captured["layer0.vin"]
	g2 := &toy{t: t, weights: g.weights, shapes: g.shapes}
	for _, n := range g.nodes {
		if n.Op == "SDNNeuron" {
			n.Inputs[0] = "input"
			g2.nodes = append(g2.nodes, n)
		}
	}
	ref := refRun(t, g2, f64(vin.Data), tB, tL, tH)
	requireClose(t, "mem", ref.vals["layer0.mem"].d, res.Captured["layer0.mem"].Data, 1e-5, 1e-6)
}

func TestSpikingNeuronModes(t *testing.T) {
	for _, reset := range []string{"soft", "hard", "none"} {
		for _, cmp := range []string{"ge", "gt"} {
			for _, withMem := range []bool{false, true} {
				for _, solver := range []string{"auto", "sequential", "pmbc"} {
					if solver == "pmbc" && reset != "soft" {
						continue
					}
					name := fmt.Sprintf("%s/%s/mem=%v/%s", reset, cmp, withMem, solver)
					t.Run(name, func(t *testing.T) {
						g := newToy(t, 21)
						c := 19
						tau := g.w("tau", []int{c}, g.uniform(c, 0, 1))
						th := g.w("theta", []int{c}, g.uniform(c, 0.2, 1))
						rho := g.w("rho", []int{c}, g.uniform(c, 0, 0.5))
						beta := g.w("beta", []int{c}, g.uniform(c, 0, 0.95))
						outs := []string{"s"}
						if withMem {
							outs = append(outs, "m")
						}
						g.linear("enc", "input", "x", 2, c)
						g.node("SpikingNeuron", "n", []string{"x", tau, th, rho, beta}, outs, map[string]any{"reset": reset, "compare": cmp, "solver": solver})
						g.out("s", -1, -2, c)
						g.out("m", -1, -2, c)
						data := g.model(2, outs...)
						m, err := LoadBytes(data)
						require.NoError(t, err)
						in := randInput(4, 3*40*2)
						for i := range in {
							in[i] = in[i]*2 - 0.3
						}
						res, err := m.RunWith(context.Background(), Tensor{Shape: []int{3, 40, 2}, Data: in}, RunOptions{Capture: []string{"x"}})
						require.NoError(t, err)
						// Teacher-forced reference on the runtime's drive x.
						x := res.Captured["x"]
						g2 := &toy{t: t, weights: g.weights, shapes: g.shapes, nodes: g.nodes[1:2]}
						g2.nodes[0].Inputs[0] = "input"
						ref := refRun(t, g2, f64(x.Data), 3, 40, c)
						sp := res.Outputs["s"].Data
						ones := 0
						for i, v := range ref.vals["s"].d {
							if ref.margins["s"][i] > 1e-5 {
								require.Equal(t, v, float64(sp[i]), "spike %d", i)
							}
							ones += int(v)
						}
						assert.Greater(t, ones, 10, "test drive should make spikes")
						if withMem {
							requireClose(t, "m", ref.vals["m"].d, res.Outputs["m"].Data, 1e-5, 1e-6)
						}
					})
				}
			}
		}
	}
}

func TestLeakyAndCubaLIF(t *testing.T) {
	g := newToy(t, 8)
	c := 6
	g.linear("enc", "input", "x", 2, c)
	g.node("LeakyIntegrator", "li", []string{"x", g.w("al", []int{c}, g.uniform(c, 0.3, 0.9)), g.w("be", []int{c}, g.uniform(c, 0.5, 1.5)), g.w("ga", []int{c}, g.randn(c, 0.1))}, []string{"v"}, nil)
	wrec := g.w("wrec", []int{c, c}, g.randn(c*c, 0.3))
	pc := func(n string, lo, hi float64) string { return g.w(n, []int{c}, g.uniform(c, lo, hi)) }
	g.node("CubaLIF", "lif", []string{"v", pc("as", 0.2, 0.8), pc("bs", 0.5, 1), pc("am", 0.5, 0.95), pc("bm", 0.5, 1), pc("g", 0, 0.1), pc("th", 0.5, 1), pc("vr", -0.2, 0), wrec},
		[]string{"s", "m"}, map[string]any{"reset": "hard", "compare": "gt"})
	g.out("s", -1, -2, c)
	g.out("m", -1, -2, c)
	data := g.model(2, "s", "m")
	m, err := LoadBytes(data)
	require.NoError(t, err)
	B, L := 2, 30
	in := randInput(1, B*L*2)
	res, err := m.RunWith(context.Background(), Tensor{Shape: []int{B, L, 2}, Data: in}, RunOptions{Capture: []string{"x", "v"}})
	require.NoError(t, err)
	// float64 reference of both ops.
	x := f64(res.Captured["x"].Data)
	w := g.weights
	v := make([]float64, len(x))
	for b := 0; b < B; b++ {
		for j := 0; j < c; j++ {
			s := 0.0
			for t2 := 0; t2 < L; t2++ {
				s = w["al"][j]*s + w["be"][j]*x[(b*L+t2)*c+j] + w["ga"][j]
				v[(b*L+t2)*c+j] = s
			}
		}
	}
	requireClose(t, "v", v, res.Captured["v"].Data, 1e-5, 1e-6)
	vin := f64(res.Captured["v"].Data)
	spikes := 0
	for b := 0; b < B; b++ {
		cur := make([]float64, c)
		vm := make([]float64, c)
		sp := make([]float64, c)
		for t2 := 0; t2 < L; t2++ {
			ns := make([]float64, c)
			for j := 0; j < c; j++ {
				d := vin[(b*L+t2)*c+j]
				for k := 0; k < c; k++ {
					d += w["wrec"][j*c+k] * sp[k]
				}
				cur[j] = w["as"][j]*cur[j] + w["bs"][j]*d
				mm := w["am"][j]*vm[j] + w["bm"][j]*cur[j] + w["g"][j]
				i := (b*L+t2)*c + j
				require.InDelta(t, mm, res.Outputs["m"].Data[i], 1e-4, "m[%d]", i)
				if mm > w["th"][j] {
					ns[j] = 1
					vm[j] = w["vr"][j]
					spikes++
				} else {
					vm[j] = mm
				}
				require.Equal(t, ns[j], float64(res.Outputs["s"].Data[i]), "s[%d] margin %g", i, mm-w["th"][j])
			}
			sp = ns
		}
	}
	assert.Greater(t, spikes, 5)
}

// TestStepEqualsSequence: for causal models, stepping over a sequence reproduces the
// sequence outputs bit for bit (pooled logits after every prefix too).
func TestStepEqualsSequence(t *testing.T) {
	for _, v := range spikessm.Variants() {
		for _, kind := range kinds {
			t.Run(string(v)+"/"+kind, func(t *testing.T) {
				_, data := toyClassifier(t, 2, kind, tH, tN, tF, tK, 2, false, true)
				m, err := LoadBytes(data, WithKernels(v))
				require.NoError(t, err)
				in := randInput(7, tB*tL*tF)
				s, err := m.NewSession(tB)
				require.NoError(t, err)
				x := make([]float32, tB*tF)
				for step := 0; step < tL; step++ {
					for b := 0; b < tB; b++ {
						copy(x[b*tF:(b+1)*tF], in[(b*tL+step)*tF:(b*tL+step+1)*tF])
					}
					out, err := s.Step(x)
					require.NoError(t, err)
					if step == tL/2 || step == tL-1 {
						// Sequence run over the prefix.
						pre := make([]float32, tB*(step+1)*tF)
						for b := 0; b < tB; b++ {
							copy(pre[b*(step+1)*tF:], in[b*tL*tF:(b*tL+step+1)*tF])
						}
						want, err := m.Run(context.Background(), Tensor{Shape: []int{tB, step + 1, tF}, Data: pre})
						require.NoError(t, err)
						require.Equal(t, want.Data, out, "step %d", step)
					}
				}
			})
		}
	}
}

// TestDeterminism: bit-identical across worker counts and batch positions.
func TestDeterminism(t *testing.T) {
	for _, kind := range kinds {
		for _, h := range []int{40, 48} { // 48: half width a multiple of 16 (no kernel tail)
			t.Run(fmt.Sprintf("%s/H=%d", kind, h), func(t *testing.T) { testDeterminism(t, kind, h) })
			// Every op fanned out over the workers, however small its work.
			t.Run(fmt.Sprintf("%s/H=%d/all-parallel", kind, h), func(t *testing.T) {
				defer func(v, r int) { minParallelWork, minTeamRun = v, r }(minParallelWork, minTeamRun)
				minParallelWork, minTeamRun = 0, 0
				testDeterminism(t, kind, h)
			})
		}
	}
}

func testDeterminism(t *testing.T, kind string, h int) {
	_, data := toyClassifier(t, 4, kind, h, tN, tF, tK, 2, true, false)
	const B, L = 9, 70 // > one 64-row chunk
	in := randInput(3, B*L*tF)
	for _, v := range spikessm.Variants() {
		var ref []float32
		for _, w := range []int{1, 2, 8} {
			m, err := LoadBytes(data, WithWorkers(w), WithKernels(v))
			require.NoError(t, err)
			out, err := m.Run(context.Background(), Tensor{Shape: []int{B, L, tF}, Data: in})
			require.NoError(t, err)
			if ref == nil {
				ref = out.Data
			} else {
				require.Equal(t, ref, out.Data, "%s workers %d", v, w)
			}
			// Sample 4 alone, and at position 0 of a batch of 3.
			one, err := m.Run(context.Background(), Tensor{Shape: []int{1, L, tF}, Data: in[4*L*tF : 5*L*tF]})
			require.NoError(t, err)
			require.Equal(t, ref[4*tK:5*tK], one.Data, v)
			three := append(append([]float32(nil), in[4*L*tF:5*L*tF]...), in[:2*L*tF]...)
			o3, err := m.Run(context.Background(), Tensor{Shape: []int{3, L, tF}, Data: three})
			require.NoError(t, err)
			require.Equal(t, ref[4*tK:5*tK], o3.Data[:tK], v)
		}
	}
}

// TestVariantsAgree: every kernel variant gives the generic labels and close logits.
func TestVariantsAgree(t *testing.T) {
	for _, kind := range kinds {
		_, data := toyClassifier(t, 6, kind, 36, 8, tF, tK, 2, false, true)
		in := randInput(8, 8*50*tF)
		gm, err := LoadBytes(data, WithKernels("generic"))
		require.NoError(t, err)
		want, err := gm.Run(context.Background(), Tensor{Shape: []int{8, 50, tF}, Data: in})
		require.NoError(t, err)
		for _, v := range spikessm.Variants() {
			m, err := LoadBytes(data, WithKernels(v))
			require.NoError(t, err)
			assert.Equal(t, v, m.Kernels())
			got, err := m.Run(context.Background(), Tensor{Shape: []int{8, 50, tF}, Data: in})
			require.NoError(t, err)
			if kind == "gelu" {
				requireClose(t, string(v)+"/"+kind, f64(want.Data), got.Data, 1e-4, 1e-5)
			}
			require.Equal(t, argmaxRows(want.Data, tK), argmaxRows(got.Data, tK), "%s/%s", v, kind)
		}
	}
	_, err := LoadBytes(mustToy(t), WithKernels("no-such-variant"))
	require.Error(t, err)
}

func argmaxRows(d []float32, k int) []int {
	var out []int
	for r := 0; r < len(d)/k; r++ {
		best := 0
		for j := 1; j < k; j++ {
			if d[r*k+j] > d[r*k+best] {
				best = j
			}
		}
		out = append(out, best)
	}
	return out
}

func mustToy(t testing.TB) []byte {
	_, data := toyClassifier(t, 1, "gelu", tH, tN, tF, tK, 1, false, false)
	return data
}

// TestStepZeroAllocs: Step allocates nothing after warm-up, with every kernel variant.
func TestStepZeroAllocs(t *testing.T) {
	for _, v := range spikessm.Variants() {
		for _, kind := range kinds {
			_, data := toyClassifier(t, 2, kind, 32, 8, tF, tK, 2, false, true)
			m, err := LoadBytes(data, WithKernels(v))
			require.NoError(t, err)
			s, err := m.NewSession(4)
			require.NoError(t, err)
			x := randInput(1, 4*tF)
			_, err = s.Step(x)
			require.NoError(t, err)
			allocs := testing.AllocsPerRun(50, func() {
				if _, err := s.Step(x); err != nil {
					t.Fatal(err)
				}
			})
			require.Zero(t, allocs, "%s/%s", v, kind)
		}
	}
}

func TestSnapshotRestore(t *testing.T) {
	_, data := toyClassifier(t, 2, "sdn", tH, tN, tF, tK, 2, false, true)
	m, err := LoadBytes(data)
	require.NoError(t, err)
	s, err := m.NewSession(2)
	require.NoError(t, err)
	in := randInput(2, 40*2*tF)
	for i := 0; i < 15; i++ {
		_, err := s.Step(in[i*2*tF : (i+1)*2*tF])
		require.NoError(t, err)
	}
	snap := s.Snapshot()
	var want [][]float32
	for i := 15; i < 30; i++ {
		o, err := s.Step(in[i*2*tF : (i+1)*2*tF])
		require.NoError(t, err)
		want = append(want, append([]float32(nil), o...))
	}
	// A fresh session restored from the snapshot continues identically.
	s2, err := m.NewSession(2)
	require.NoError(t, err)
	require.NoError(t, s2.Restore(snap))
	for i := 15; i < 30; i++ {
		o, err := s2.Step(in[i*2*tF : (i+1)*2*tF])
		require.NoError(t, err)
		require.Equal(t, want[i-15], o)
	}
	// Foreign model: rejected with a clear error, state untouched.
	_, other := toyClassifier(t, 3, "sdn", tH, tN, tF, tK, 2, false, true)
	m2, err := LoadBytes(other)
	require.NoError(t, err)
	s3, err := m2.NewSession(2)
	require.NoError(t, err)
	err = s3.Restore(snap)
	require.ErrorContains(t, err, "another model")
	// Wrong batch, truncation, garbage, trailing bytes.
	s4, err := m.NewSession(3)
	require.NoError(t, err)
	require.ErrorContains(t, s4.Restore(snap), "batch")
	for _, cut := range []int{0, 5, 12, 44, 52, len(snap) - 1} {
		require.Error(t, s2.Restore(snap[:cut]), "cut %d", cut)
	}
	require.Error(t, s2.Restore(append(append([]byte(nil), snap...), 0)))
	bad := append([]byte(nil), snap...)
	bad[8] = 9 // version
	require.ErrorContains(t, s2.Restore(bad), "version")
	bad = append([]byte(nil), snap...)
	binary.LittleEndian.PutUint32(bad[len(bad)-4:], math.Float32bits(float32(math.NaN())))
	require.ErrorContains(t, s2.Restore(bad), "non-finite")
}

func TestResetAndResetRow(t *testing.T) {
	_, data := toyClassifier(t, 2, "lif", tH, tN, tF, tK, 2, false, true)
	m, err := LoadBytes(data)
	require.NoError(t, err)
	s, err := m.NewSession(2)
	require.NoError(t, err)
	in := randInput(2, 10*2*tF)
	run := func(s *Session, from int) []float32 {
		var o []float32
		for i := from; i < 10; i++ {
			o, err = s.Step(in[i*2*tF : (i+1)*2*tF])
			require.NoError(t, err)
		}
		return append([]float32(nil), o...)
	}
	first := run(s, 0)
	s.Reset()
	require.Equal(t, first, run(s, 0))
	// Reset only row 1 midway: row 0 continues, row 1 starts over.
	s.Reset()
	for i := 0; i < 5; i++ {
		_, err := s.Step(in[i*2*tF : (i+1)*2*tF])
		require.NoError(t, err)
	}
	s.ResetRow(1)
	mid := run(s, 5)
	require.Equal(t, first[:tK], mid[:tK])
	fresh, err := m.NewSession(2)
	require.NoError(t, err)
	require.Equal(t, run(fresh, 5)[tK:], mid[tK:])
}

func TestBadInput(t *testing.T) {
	m, err := LoadBytes(mustToy(t))
	require.NoError(t, err)
	ctx := context.Background()
	_, err = m.Run(ctx, Tensor{Shape: []int{2, 5}, Data: make([]float32, 10)})
	require.ErrorContains(t, err, "rank")
	_, err = m.Run(ctx, Tensor{Shape: []int{2, 5, 4}, Data: make([]float32, 40)})
	require.ErrorContains(t, err, "dimension 2")
	_, err = m.Run(ctx, Tensor{Shape: []int{2, 5, 3}, Data: make([]float32, 29)})
	require.ErrorContains(t, err, "values")
	nan := make([]float32, 30)
	nan[17] = float32(math.NaN())
	_, err = m.Run(ctx, Tensor{Shape: []int{2, 5, 3}, Data: nan})
	require.ErrorContains(t, err, "non-finite")
	nan[17] = float32(math.Inf(-1))
	_, err = m.Run(ctx, Tensor{Shape: []int{2, 5, 3}, Data: nan})
	require.ErrorContains(t, err, "[1 0 2]")
	s, err := m.NewSession(2)
	require.NoError(t, err)
	_, err = s.Step(make([]float32, 5))
	require.Error(t, err)
	_, err = s.Step(nan[:6])
	require.NoError(t, err)
	nan[4] = float32(math.NaN())
	_, err = s.Step(nan[:6])
	require.ErrorContains(t, err, "non-finite")
	// Inject / capture names that do not exist.
	_, err = m.RunWith(ctx, Tensor{Shape: []int{2, 5, 3}, Data: make([]float32, 30)}, RunOptions{Capture: []string{"nope"}})
	require.Error(t, err)
	_, err = m.RunWith(ctx, Tensor{Shape: []int{2, 5, 3}, Data: make([]float32, 30)}, RunOptions{Inject: map[string]Tensor{"layer0.ssm": {Shape: []int{1}, Data: []float32{1}}}})
	require.ErrorContains(t, err, "shape")
}

func TestBidirectionalHasNoSession(t *testing.T) {
	_, data := toyClassifier(t, 1, "gelu", tH, tN, tF, tK, 1, true, false)
	m, err := LoadBytes(data)
	require.NoError(t, err)
	ok, why := m.HasStep()
	require.False(t, ok)
	require.Error(t, why)
	_, err = m.NewSession(1)
	require.Error(t, err)
}

func TestBadModels(t *testing.T) {
	cases := map[string]func(g *toy){
		"unknown op": func(g *toy) { g.node("Frobnicate", "f", []string{"input"}, []string{"y"}, nil) },
		"newer version": func(g *toy) {
			g.linear("enc", "input", "y", 3, 4)
			g.nodes[0].Version = 2
		},
		"missing input": func(g *toy) { g.node("GELU", "f", []string{"nothing"}, []string{"y"}, nil) },
		"bad attr": func(g *toy) {
			g.node("GELU", "f", []string{"input"}, []string{"y"}, map[string]any{"approximate": "cubic"})
		},
		"wrong W shape": func(g *toy) {
			g.node("Linear", "l", []string{"input", g.w("W", []int{4, 3, 2}, make([]float64, 24))}, []string{"y"}, nil)
		},
		"bad theta": func(g *toy) {
			c := g.w("c", []int{3}, []float64{0.5, 0.5, 0.5})
			z := g.w("z", []int{3}, []float64{1, 0, 1})
			g.node("SpikingNeuron", "n", []string{"input", c, z}, []string{"y"}, nil)
		},
	}
	for name, mk := range cases {
		t.Run(name, func(t *testing.T) {
			g := newToy(t, 1)
			mk(g)
			data := g.model(3, "y")
			_, err := LoadBytes(data)
			require.Error(t, err)
			require.ErrorContains(t, err, "validation failed")
			// The runtime's own checks catch it too, naming the node.
			_, err = LoadBytes(data, withoutValidation())
			require.Error(t, err)
			require.Contains(t, err.Error(), "node")
			t.Log(err)
		})
	}
	_, err := LoadBytes([]byte("definitely not a model"))
	require.Error(t, err)
	_, err = Load("/nonexistent/model.ssm")
	require.Error(t, err)
}

func TestCancellation(t *testing.T) {
	m, err := LoadBytes(mustToy(t))
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = m.Run(ctx, Tensor{Shape: []int{1, 5, 3}, Data: make([]float32, 15)})
	require.ErrorIs(t, err, context.Canceled)
}

func TestStatsAndTrace(t *testing.T) {
	_, data := toyClassifier(t, 2, "heaviside", tH, tN, tF, tK, 2, false, false)
	m, err := LoadBytes(data)
	require.NoError(t, err)
	var buf bytes.Buffer
	in := randInput(1, 2*30*tF)
	res, err := m.RunWith(context.Background(), Tensor{Shape: []int{2, 30, tF}, Data: in}, RunOptions{Stats: true, Trace: &buf, Capture: []string{"layer0.act"}})
	require.NoError(t, err)
	require.NotNil(t, res.Stats)
	require.Len(t, res.Stats.Layers, len(m.seq.nodes))
	var lin *LayerStats
	for i := range res.Stats.Layers {
		if res.Stats.Layers[i].Name == "layer0.out_linear" {
			lin = &res.Stats.Layers[i]
		}
	}
	require.NotNil(t, lin)
	rate := spikeRate(res.Captured["layer0.act"].Data)
	assert.InDelta(t, rate, lin.InputSpikeRate, 1e-12)
	ones := int64(math.Round(rate * float64(2*30*tH)))
	assert.Equal(t, ones*int64(2*tH), lin.SynOps)
	assert.Equal(t, int64(2*30*tH*2*tH), lin.DenseMACs)
	assert.Contains(t, []string{"dense", "sparse"}, lin.Path)
	var tr struct {
		TraceEvents []struct {
			Name string  `json:"name"`
			Ph   string  `json:"ph"`
			Dur  float64 `json:"dur"`
		} `json:"traceEvents"`
	}
	require.NoError(t, json.Unmarshal(buf.Bytes(), &tr))
	require.Len(t, tr.TraceEvents, len(m.seq.nodes))
	assert.Equal(t, "X", tr.TraceEvents[0].Ph)
	// Spike rate of the Heaviside output is reported.
	for _, l := range res.Stats.Layers {
		if l.Op == "Heaviside" {
			assert.GreaterOrEqual(t, l.SpikeRate, 0.0)
		}
	}
}

// TestSparseDenseIdentical: the spike-sparse and dense Linear give the same bits, so the
// per-run choice never changes results.
func TestSparseDenseIdentical(t *testing.T) {
	_, data := toyClassifier(t, 2, "heaviside", 40, tN, tF, tK, 1, false, false)
	for _, v := range spikessm.Variants() {
		m, err := LoadBytes(data, WithKernels(v))
		require.NoError(t, err)
		info := m.SpikeLinears()
		require.Len(t, info, 1)
		t.Logf("%s: %+v", v, info[0])
		assert.True(t, info[0].Identical, "variant %s: sparse and dense differ", v)
		assert.True(t, info[0].Crossover >= 0 && info[0].Crossover <= 1)
		in := Tensor{Shape: []int{3, 20, tF}, Data: randInput(3, 3*20*tF)}
		l := m.seq.nodes[3].impl.(*linear)
		require.True(t, l.spikeIn)
		l.cross = 2 // force sparse
		a, err := m.Run(context.Background(), in)
		require.NoError(t, err)
		l.cross = -1 // force dense
		b, err := m.Run(context.Background(), in)
		require.NoError(t, err)
		if info[0].Identical {
			require.Equal(t, a.Data, b.Data)
		}
	}
}

func TestInject(t *testing.T) {
	g, data := toyClassifier(t, 2, "gelu", tH, tN, tF, tK, 2, false, false)
	_ = g
	m, err := LoadBytes(data)
	require.NoError(t, err)
	in := Tensor{Shape: []int{2, 10, tF}, Data: randInput(3, 2*10*tF)}
	base, err := m.RunWith(context.Background(), in, RunOptions{Capture: []string{"layer0.out", "logits"}})
	require.NoError(t, err)
	// Injecting the value the graph computes changes nothing.
	same, err := m.RunWith(context.Background(), in, RunOptions{Inject: map[string]Tensor{"layer0.out": base.Captured["layer0.out"]}})
	require.NoError(t, err)
	require.Equal(t, base.Outputs["logits"].Data, same.Outputs["logits"].Data)
	// Injecting zeros into layer0.out changes the logits.
	z := Tensor{Shape: []int{2, 10, tH}, Data: make([]float32, 2*10*tH)}
	diff, err := m.RunWith(context.Background(), in, RunOptions{Inject: map[string]Tensor{"layer0.out": z}})
	require.NoError(t, err)
	require.NotEqual(t, base.Outputs["logits"].Data, diff.Outputs["logits"].Data)
}

func FuzzLoadBytes(f *testing.F) {
	f.Add(mustToy(f))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		// Validated and unvalidated loads: the runtime's own checks must hold on their own.
		for _, opts := range [][]Option{{WithWorkers(1)}, {WithWorkers(1), withoutValidation()}} {
			m, err := LoadBytes(data, opts...)
			if err != nil {
				continue
			}
			_, _ = m.Run(context.Background(), Tensor{Shape: []int{1, 4, 3}, Data: make([]float32, 12)})
			if s, err := m.NewSession(1); err == nil {
				_, _ = s.Step(make([]float32, s.Features()))
			}
		}
	})
}

func FuzzRestore(f *testing.F) {
	_, data := toyClassifier(f, 2, "sdn", tH, tN, tF, tK, 1, false, true)
	m, err := LoadBytes(data)
	require.NoError(f, err)
	s, err := m.NewSession(1)
	require.NoError(f, err)
	f.Add(s.Snapshot())
	f.Add([]byte("SSMSESS\x00"))
	f.Fuzz(func(t *testing.T, blob []byte) {
		s, err := m.NewSession(1)
		require.NoError(t, err)
		if s.Restore(blob) == nil {
			_, err := s.Step(make([]float32, tF))
			require.NoError(t, err)
		}
	})
}

func TestLoadFileAndConcurrentRuns(t *testing.T) {
	_, data := toyClassifier(t, 9, "sdn", tH, tN, tF, tK, 2, false, true)
	path := t.TempDir() + "/m.ssm"
	require.NoError(t, os.WriteFile(path, data, 0o644))
	m, err := Load(path, WithWorkers(2))
	require.NoError(t, err)
	in := Tensor{Shape: []int{4, 30, tF}, Data: randInput(2, 4*30*tF)}
	want, err := m.Run(context.Background(), in)
	require.NoError(t, err)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 5; i++ {
				got, err := m.Run(context.Background(), in)
				if err != nil {
					errs <- err
					return
				}
				if !reflect.DeepEqual(want.Data, got.Data) {
					errs <- fmt.Errorf("concurrent run differs")
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.NoError(t, m.Close())
}
