package nir

import (
	"bytes"
	"context"
	"encoding/csv"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"testing"

	"github.com/spikessm/spikessm/format"
	"github.com/spikessm/spikessm/runtime"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const fixtures = "../../testdata/checkpoints/nir"

func fixture(name string) string { return filepath.Join(fixtures, name) }

// built serialises a Builder and opens the model.
func built(t *testing.T, b *format.Builder) (*format.Model, []byte) {
	t.Helper()
	raw, err := b.Bytes()
	require.NoError(t, err)
	m, err := format.FromBytes(raw)
	require.NoError(t, err)
	require.NoError(t, m.Validate())
	return m, raw
}

func tensor64(t *testing.T, m *format.Model, name string) []float64 {
	t.Helper()
	tn, ok := m.Tensor(name)
	require.True(t, ok, "tensor %q", name)
	f, err := tn.Float32()
	require.NoError(t, err)
	out := make([]float64, len(f))
	for i, v := range f {
		out[i] = float64(v)
	}
	return out
}

// refRun is a float64 reference interpreter of the sequence graph for ONE
// batch row, implementing the OPS.md definitions of Linear, Add, Mul,
// LeakyIntegrator and CubaLIF literally. It is independent of the runtime
// and checks the converter's discretised parameters and wiring.
// x is [L][F]; the result maps every activation name to [L][C].
func refRun(t *testing.T, m *format.Model, x [][]float64) map[string][][]float64 {
	t.Helper()
	g, ok := m.Graph(format.GraphSequence)
	require.True(t, ok)
	act := map[string][][]float64{"input": x}
	L := len(x)
	vec := func(name string) []float64 { return tensor64(t, m, name) }
	get := func(name string) ([][]float64, []float64) {
		if a, ok := act[name]; ok {
			return a, nil
		}
		return nil, vec(name)
	}
	for _, n := range g.Nodes {
		switch n.Op {
		case "Linear":
			X := act[n.Inputs[0]]
			wt, ok := m.Tensor(n.Inputs[1])
			require.True(t, ok)
			W := vec(n.Inputs[1])
			M, K := int(wt.Shape[0]), int(wt.Shape[1])
			var bias []float64
			if len(n.Inputs) > 2 && n.Inputs[2] != "" {
				bias = vec(n.Inputs[2])
			}
			Y := make([][]float64, L)
			for l := range Y {
				Y[l] = make([]float64, M)
				for o := 0; o < M; o++ {
					s := 0.0
					for k := 0; k < K; k++ {
						s += X[l][k] * W[o*K+k]
					}
					if bias != nil {
						s += bias[o]
					}
					Y[l][o] = s
				}
			}
			act[n.Outputs[0]] = Y
		case "Add", "Mul":
			A := act[n.Inputs[0]]
			B, bv := get(n.Inputs[1])
			Y := make([][]float64, L)
			for l := range Y {
				Y[l] = make([]float64, len(A[l]))
				for c := range Y[l] {
					b := 0.0
					if B != nil {
						b = B[l][c]
					} else {
						b = bv[c]
					}
					if n.Op == "Add" {
						Y[l][c] = A[l][c] + b
					} else {
						Y[l][c] = A[l][c] * b
					}
				}
			}
			act[n.Outputs[0]] = Y
		case "LeakyIntegrator":
			X := act[n.Inputs[0]]
			al, be := vec(n.Inputs[1]), vec(n.Inputs[2])
			var ga []float64
			if len(n.Inputs) > 3 && n.Inputs[3] != "" {
				ga = vec(n.Inputs[3])
			}
			C := len(al)
			v := make([]float64, C)
			Y := make([][]float64, L)
			for l := range Y {
				Y[l] = make([]float64, C)
				for c := 0; c < C; c++ {
					v[c] = al[c]*v[c] + be[c]*X[l][c]
					if ga != nil {
						v[c] += ga[c]
					}
					Y[l][c] = v[c]
				}
			}
			act[n.Outputs[0]] = Y
		case "CubaLIF":
			X := act[n.Inputs[0]]
			as, bs, am, bm, gm, th, vr := vec(n.Inputs[1]), vec(n.Inputs[2]), vec(n.Inputs[3]), vec(n.Inputs[4]), vec(n.Inputs[5]), vec(n.Inputs[6]), vec(n.Inputs[7])
			var wr []float64
			if len(n.Inputs) > 8 && n.Inputs[8] != "" {
				wr = vec(n.Inputs[8])
			}
			C := len(as)
			i, v, s := make([]float64, C), make([]float64, C), make([]float64, C)
			S, Mm := make([][]float64, L), make([][]float64, L)
			reset, _ := n.Attrs["reset"].(string)
			cmp, _ := n.Attrs["compare"].(string)
			for l := 0; l < L; l++ {
				S[l], Mm[l] = make([]float64, C), make([]float64, C)
				ns := make([]float64, C)
				for c := 0; c < C; c++ {
					in := X[l][c]
					if wr != nil {
						for c2 := 0; c2 < C; c2++ {
							in += wr[c*C+c2] * s[c2]
						}
					}
					i[c] = as[c]*i[c] + bs[c]*in
					mm := am[c]*v[c] + bm[c]*i[c] + gm[c]
					fire := mm > th[c]
					if cmp == "ge" {
						fire = mm >= th[c]
					}
					if fire {
						ns[c] = 1
					}
					switch {
					case reset == "soft":
						v[c] = mm - th[c]*ns[c]
					case reset == "none":
						v[c] = mm
					case fire: // hard
						v[c] = vr[c]
					default:
						v[c] = mm
					}
					S[l][c], Mm[l][c] = ns[c], mm
				}
				s = ns
			}
			act[n.Outputs[0]] = S
			if len(n.Outputs) > 1 && n.Outputs[1] != "" {
				act[n.Outputs[1]] = Mm
			}
		default:
			t.Fatalf("reference interpreter: op %s not covered", n.Op)
		}
	}
	return act
}

// runRT runs the converted model through the runtime on x (B, L, F).
func runRT(t *testing.T, raw []byte, x []float32, B, L, F int, capture ...string) *runtime.Result {
	t.Helper()
	m, err := runtime.LoadBytes(raw)
	require.NoError(t, err)
	defer m.Close()
	r, err := m.RunWith(context.Background(), runtime.Tensor{Shape: []int{B, L, F}, Data: x}, runtime.RunOptions{Capture: capture})
	require.NoError(t, err)
	return r
}

func readCSV(t *testing.T, name string) (in, v, s []float64) {
	t.Helper()
	fh, err := os.Open(fixture(name))
	require.NoError(t, err)
	defer fh.Close()
	rows, err := csv.NewReader(fh).ReadAll()
	require.NoError(t, err)
	for _, r := range rows {
		require.Len(t, r, 3)
		var vals [3]float64
		for i := range vals {
			vals[i], err = strconv.ParseFloat(r[i], 64)
			require.NoError(t, err)
		}
		in, v, s = append(in, vals[0]), append(v, vals[1]), append(s, vals[2])
	}
	return
}

// TestLIFAgainstRecordedTraces drives the converted lif_norse.nir with the
// recorded input current at dt = 1e-4 and compares with norse's own
// simulation (lif_norse.csv) and the exact event-driven solution
// (lif_exact.csv), through the OPS.md reference loop and through the runtime.
func TestLIFAgainstRecordedTraces(t *testing.T) {
	in, vNorse, sNorse := readCSV(t, "lif_norse.csv")
	_, vExact, sExact := readCSV(t, "lif_exact.csv")
	require.Len(t, in, 1000)
	assert.Equal(t, 4.0, sum(sNorse), "fixture has 4 spikes")
	const dt, tau, r, vth = 1e-4, 2.5e-3, 1.0, 0.1
	// One step's worth of charge, the largest gap between a discrete-time
	// reset (end of step) and the exact solution's reset (inside the step).
	oneStep := -math.Expm1(-dt/tau) * r * 1.0

	x := make([][]float64, len(in))
	x32 := make([]float32, len(in))
	for i, v := range in {
		x[i] = []float64{v}
		x32[i] = float32(v)
	}
	for _, tc := range []struct {
		disc, ref  string
		vRef, sRef []float64
		tol        float64
	}{
		// norse steps forward Euler in float32: agreement to float32 rounding.
		{Euler, "norse", vNorse, sNorse, 1e-6},
		// the exact solution differs from any fixed-step scheme by at most one
		// step's charge right after a spike (it resets mid-step).
		{Euler, "exact", vExact, sExact, oneStep},
		{ZOH, "exact", vExact, sExact, oneStep},
	} {
		t.Run(tc.disc+"_vs_"+tc.ref, func(t *testing.T) {
			for _, file := range []string{fixture("lif_norse.nir"), "testdata/lif_norse_gzip.nir"} {
				b, err := ConvertFile(file, Options{DT: dt, Discretization: tc.disc})
				require.NoError(t, err)
				m, raw := built(t, b)
				// discretised parameters, from the definitions
				k := dt / tau
				a := 1 - k
				if tc.disc == ZOH {
					a = math.Exp(-dt / tau)
					k = 1 - a
				}
				assert.InDelta(t, a, tensor64(t, m, "1.alpha_mem")[0], 1e-7)
				assert.InDelta(t, k*r, tensor64(t, m, "1.beta_mem")[0], 1e-7)
				assert.Equal(t, []float64{0}, tensor64(t, m, "1.alpha_syn"))
				assert.Equal(t, []float64{1}, tensor64(t, m, "1.beta_syn"))
				assert.InDelta(t, vth, tensor64(t, m, "1.theta")[0], 1e-8)
				md := m.Metadata()
				assert.Equal(t, dt, md["semantics.dt"])
				assert.Equal(t, "gt", md["semantics.threshold_compare"])
				assert.Equal(t, "hard", md["semantics.reset"])
				assert.Equal(t, tc.disc, md["nir.discretization"])
				assert.Equal(t, "nir", md["source.arch"])

				ref := refRun(t, m, x)
				rt := runRT(t, raw, x32, 1, len(in), 1, "1.m")
				mRT := rt.Captured["1.m"].Data
				sRT := rt.Outputs["output"].Data
				require.Len(t, sRT, len(in))
				maxRef, maxRT := 0.0, 0.0
				for i := range in {
					sr := ref["output"][i][0]
					require.Equal(t, tc.sRef[i], sr, "reference spike at step %d", i)
					require.Equal(t, float32(tc.sRef[i]), sRT[i], "runtime spike at step %d", i)
					vr := ref["1.m"][i][0]
					vrt := float64(mRT[i])
					if sr == 1 {
						vr, vrt = 0, 0 // hard reset to v_reset = 0
					}
					maxRef = math.Max(maxRef, math.Abs(vr-tc.vRef[i]))
					maxRT = math.Max(maxRT, math.Abs(vrt-tc.vRef[i]))
				}
				assert.LessOrEqual(t, maxRef, tc.tol)
				assert.LessOrEqual(t, maxRT, tc.tol)
				t.Logf("%s: max |v - %s| reference %.3g, runtime %.3g (tolerance %.3g)", filepath.Base(file), tc.ref, maxRef, maxRT, tc.tol)
			}
		})
	}
}

func sum(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s
}

// TestSnnTorchPairs: each snnTorch state dict maps to the same neuron
// parameters and weights as the .nir file snnTorch exported from it.
func TestSnnTorchPairs(t *testing.T) {
	for _, tc := range []struct {
		pt, nir, reset string
		bias           bool
	}{
		{"snntorch_model_noDelay_bias_ref_zero.pt", "braille_noDelay_bias_zero.nir", "hard", true},
		{"snntorch_model_noDelay_noBias_ref_subtract.pt", "braille_noDelay_noBias_subtract.nir", "soft", false},
	} {
		t.Run(tc.pt, func(t *testing.T) {
			bs, err := ConvertSnnTorch(fixture(tc.pt), Options{})
			require.NoError(t, err)
			ms, _ := built(t, bs)
			bn, err := ConvertFile(fixture(tc.nir), Options{DT: 1e-4})
			require.NoError(t, err)
			mn, rawN := built(t, bn)
			if tc.reset == "hard" {
				// Same reset semantics (zero = hard to 0): both models spike alike.
				_, rawS := built(t, bs)
				const B, L, F = 2, 300, 12
				x, _ := spikeInput(B, L, F, 0.3, 5)
				a := runRT(t, rawS, x, B, L, F).Outputs["output"].Data
				b := runRT(t, rawN, x, B, L, F).Outputs["output"].Data
				diff, ones := 0, 0
				for i := range a {
					if a[i] != b[i] {
						diff++
					}
					if a[i] == 1 {
						ones++
					}
				}
				t.Logf("snnTorch vs NIR conversion: %d output spikes, %d of %d differ", ones, diff, len(a))
				assert.Positive(t, ones)
				assert.LessOrEqual(t, diff, len(a)/1000, "parameters agree to float32 rounding; at most rare threshold ties may flip")
			}
			assert.Equal(t, "snntorch", ms.Metadata()["source.arch"])
			assert.Contains(t, ms.Metadata()["semantics.notes"], "agree with parameters_")
			// neuron name in the .pt -> in the .nir
			pairs := map[string]string{"lif1": "lif1.lif", "lif2": "lif2"}
			for ps, pn := range pairs {
				for _, k := range []string{"alpha_syn", "beta_syn", "alpha_mem", "beta_mem", "gamma", "theta", "v_reset"} {
					a, b := tensor64(t, ms, ps+"."+k), tensor64(t, mn, pn+"."+k)
					require.Equal(t, len(a), len(b), k)
					for i := range a {
						// NIR stores tau = dt/(1-beta) etc. (float64 of float32 values):
						// the round trip is exact to a few float32 ulps.
						assert.InDelta(t, a[i], b[i], 2e-6, "%s.%s[%d] vs %s", ps, k, i, pn)
					}
				}
			}
			for ps, pn := range map[string]string{"fc1.weight": "fc1.weight", "fc2.weight": "fc2.weight", "lif1.recurrent.weight": "lif1.w_rec.weight"} {
				assert.Equal(t, tensor64(t, ms, ps), tensor64(t, mn, pn), ps)
			}
			if tc.bias {
				for ps, pn := range map[string]string{"fc1.bias": "fc1.bias", "fc2.bias": "fc2.bias", "lif1.recurrent.bias": "lif1.w_rec.bias"} {
					assert.Equal(t, tensor64(t, ms, ps), tensor64(t, mn, pn), ps)
				}
			}
			// snnTorch's own beta/alpha values
			params := map[string][2]float64{"snntorch_model_noDelay_bias_ref_zero.pt": {0.9, 0.55}, "snntorch_model_noDelay_noBias_ref_subtract.pt": {0.85, 0.75}}[tc.pt]
			assert.InDelta(t, params[0], tensor64(t, ms, "lif1.alpha_mem")[0], 1e-7)
			assert.InDelta(t, params[1], tensor64(t, ms, "lif1.alpha_syn")[0], 1e-7)
			g, _ := ms.Graph(format.GraphSequence)
			for _, n := range g.Nodes {
				if n.Op == "CubaLIF" {
					assert.Equal(t, tc.reset, n.Attrs["reset"], n.Name)
				}
			}
		})
	}
}

// spikeInput makes random 0/1 input spikes (B, L, F).
func spikeInput(B, L, F int, p float64, seed int64) ([]float32, [][][]float64) {
	rng := rand.New(rand.NewSource(seed))
	x32 := make([]float32, B*L*F)
	x := make([][][]float64, B)
	for b := range x {
		x[b] = make([][]float64, L)
		for l := range x[b] {
			x[b][l] = make([]float64, F)
			for f := range x[b][l] {
				if rng.Float64() < p {
					x[b][l][f] = 1
					x32[(b*L+l)*F+f] = 1
				}
			}
		}
	}
	return x32, x
}

// TestBrailleRuntimeMatchesReference runs the recurrent braille networks
// (flat and nested-subgraph forms) through the runtime and the OPS.md
// reference loop.
func TestBrailleRuntimeMatchesReference(t *testing.T) {
	const B, L, F = 3, 400, 12
	x32, x := spikeInput(B, L, F, 0.3, 7)
	outs := map[string][]float32{}
	for _, file := range []string{"braille_noDelay_bias_zero.nir", "braille_noDelay_bias_zero_subgraph.nir", "braille_noDelay_noBias_subtract.nir", "two_lif_neurons.nir"} {
		t.Run(file, func(t *testing.T) {
			b, err := ConvertFile(fixture(file), Options{DT: 1e-4})
			require.NoError(t, err)
			m, raw := built(t, b)
			g, _ := m.Graph(format.GraphSequence)
			feat := int(g.Inputs[0].Shape[2].Value)
			xin, xr := x32, x
			if feat != F {
				xin, xr = spikeInput(B, L, feat, 0.5, 3)
			}
			outName := g.Outputs[0].Name
			// compare every spiking layer (CubaLIF output) and the graph output
			var names []string
			for _, n := range g.Nodes {
				if n.Op == "CubaLIF" && n.Outputs[0] != outName {
					names = append(names, n.Outputs[0])
				}
			}
			rt := runRT(t, raw, xin, B, L, feat, names...)
			refs := make([]map[string][][]float64, B)
			for bi := range refs {
				refs[bi] = refRun(t, m, xr[bi])
			}
			for _, name := range append(names, outName) {
				got, ok := rt.Outputs[name]
				if !ok {
					got = rt.Captured[name]
				}
				require.Len(t, got.Shape, 3, name)
				C := got.Shape[2]
				flips, total, spikes := 0, 0, 0.0
				for bi := 0; bi < B; bi++ {
					ref := refs[bi][name]
					for l := 0; l < L; l++ {
						for c := 0; c < C; c++ {
							total++
							spikes += ref[l][c]
							if float64(got.Data[(bi*L+l)*C+c]) != ref[l][c] {
								flips++
							}
						}
					}
				}
				t.Logf("%s %s: %d spikes of %d, %d differ between runtime (float32) and reference (float64)", file, name, int(spikes), total, flips)
				if name == names[0] {
					assert.Positive(t, spikes, "%s: the test input must make the first layer %s spike", file, name)
				}
				assert.LessOrEqual(t, float64(flips), 0.001*float64(total))
			}
			outs[file] = rt.Outputs[outName].Data
		})
	}
	// The nested-subgraph file is the same network as the flat one.
	assert.Equal(t, outs["braille_noDelay_bias_zero.nir"], outs["braille_noDelay_bias_zero_subgraph.nir"])
}

func TestSubgraphNotes(t *testing.T) {
	b, err := ConvertFile(fixture("braille_noDelay_bias_zero_subgraph.nir"), Options{DT: 1e-4})
	require.NoError(t, err)
	m, _ := built(t, b)
	assert.Contains(t, m.Metadata()["semantics.notes"], `edge endpoint "lif" resolved to node "lif1"`)
	g, _ := m.Graph(format.GraphSequence)
	var ops []string
	for _, n := range g.Nodes {
		ops = append(ops, n.Op+":"+n.Name)
	}
	assert.Equal(t, []string{"Linear:fc1", "Add:lif1.lif1.rec_bias", "CubaLIF:lif1.lif1", "Linear:fc2", "CubaLIF:lif2"}, ops)
	_, ok := m.Graph(format.GraphStep)
	assert.True(t, ok, "step entry point derived")
}

func TestErrors(t *testing.T) {
	_, err := ConvertFile(fixture("lif_norse.nir"), Options{})
	assert.ErrorContains(t, err, "time step is required")
	_, err = ConvertFile(fixture("lif_norse.nir"), Options{DT: 1e-4, Discretization: "rk4"})
	assert.ErrorContains(t, err, "unknown discretization")
	_, err = ConvertFile(fixture("lif_norse.nir"), Options{DT: 1e-2})
	assert.ErrorContains(t, err, "forward Euler would be unstable")
	_, err = ConvertFile(fixture("lif_norse.nir"), Options{DT: 1e-2, Discretization: ZOH})
	assert.NoError(t, err, "zoh is stable for any dt")
	_, err = ConvertFile(fixture("cnn_sinabs.nir"), Options{DT: 1e-4})
	assert.ErrorContains(t, err, `node "0": NIR type "Conv2d" is not supported`)
	_, err = ConvertFile("../hdf5/testdata/compact_nested.h5", Options{DT: 1e-4})
	assert.ErrorContains(t, err, "not a NIR graph")
	_, err = ConvertFile(fixture("lif_norse.csv"), Options{DT: 1e-4})
	assert.ErrorContains(t, err, "not an HDF5 file")
	_, err = ConvertSnnTorch(fixture("lif_norse.nir"), Options{})
	assert.Error(t, err)
	_, err = ConvertSnnTorch(fixture("pretrained_ann_weights.pth"), Options{})
	assert.Error(t, err, "a CNN state dict is not a snnTorch net")
}

func TestUnknownParameter(t *testing.T) {
	v := func(x ...float64) *param { return &param{shape: []int{len(x)}, f64: x} }
	g := &graph{nodes: map[string]*node{
		"input":  {typ: "Input", params: map[string]*param{"shape": v(1)}},
		"lif":    {typ: "LIF", params: map[string]*param{"tau": v(1e-3), "r": v(1), "v_leak": v(0), "v_threshold": v(1), "refractory": v(2)}},
		"output": {typ: "Output", params: map[string]*param{}},
	}, edges: [][2]string{{"input", "lif"}, {"lif", "output"}}}
	for k, n := range g.nodes {
		n.name = k
		g.order = append(g.order, k)
	}
	sort.Strings(g.order)
	fl, err := flatten(g)
	require.NoError(t, err)
	e := &emitter{dt: 1e-4, disc: Euler, tensors: map[string]bool{}}
	_, err = e.emitNIR(fl)
	assert.ErrorContains(t, err, `node "lif" (LIF): unknown parameters [refractory]`)
}

// A graph with a cycle that is not a neuron recurrence, built in memory.
func TestUnsupportedCycle(t *testing.T) {
	mk := func(typ string, params map[string]*param) *node {
		return &node{typ: typ, params: params}
	}
	w := &param{shape: []int{2, 2}, f64: []float64{1, 0, 0, 1}}
	g := &graph{nodes: map[string]*node{
		"input":  mk("Input", map[string]*param{"shape": {shape: []int{1}, f64: []float64{2}}}),
		"a":      mk("Linear", map[string]*param{"weight": w}),
		"b":      mk("Linear", map[string]*param{"weight": w}),
		"output": mk("Output", map[string]*param{"shape": {shape: []int{1}, f64: []float64{2}}}),
	}, edges: [][2]string{{"input", "a"}, {"a", "b"}, {"b", "a"}, {"b", "output"}}}
	for k, n := range g.nodes {
		n.name = k
		g.order = append(g.order, k)
	}
	fl, err := flatten(g)
	require.NoError(t, err)
	e := &emitter{dt: 1e-4, disc: Euler, tensors: map[string]bool{}}
	_, err = e.emitNIR(fl)
	assert.ErrorContains(t, err, "cycle through [a b]")
}

func TestTruncatedNIR(t *testing.T) {
	data, err := os.ReadFile(fixture("lif_norse.nir"))
	require.NoError(t, err)
	step := max(1, len(data)/400)
	for n := 0; n < len(data); n += step {
		_, err := ConvertBytes(data[:n], "trunc", Options{DT: 1e-4})
		assert.Error(t, err, "truncated to %d bytes", n)
	}
}

// FuzzConvert converts corrupted and truncated NIR files: the fuzzer
// mutates a small patch (see the hdf5 package's FuzzOpen for why) applied
// to real .nir files; any outcome but a panic or an invalid model is fine.
func FuzzConvert(f *testing.F) {
	var bases [][]byte
	for _, p := range []string{fixture("lif_norse.nir"), fixture("two_lif_neurons.nir"), "testdata/lif_norse_gzip.nir", "testdata/synthetic_all.nir", fixture("braille_noDelay_bias_zero_subgraph.nir")} {
		data, err := os.ReadFile(p)
		require.NoError(f, err)
		bases = append(bases, data)
		f.Add(uint8(len(bases)-1), uint16(0), []byte{})
	}
	f.Add(uint8(0), uint16(50000), []byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, which uint8, cut uint16, patch []byte) {
		base := bases[int(which)%len(bases)]
		data := append([]byte(nil), base...)
		for i := 0; i+2 < len(patch); i += 3 {
			off := (int(patch[i])<<8 | int(patch[i+1])) * len(data) / 65536
			data[off] ^= patch[i+2]
		}
		if cut > 0 {
			data = data[:int(cut)*len(data)/65536]
		}
		b, err := ConvertBytes(data, "fuzz", Options{DT: 1e-4})
		if err != nil {
			return
		}
		raw, err := b.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		m, err := format.FromBytes(bytes.Clone(raw))
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Validate(); err != nil {
			t.Fatal(err)
		}
	})
}

// Several Output nodes, one of them reading a tensor another layer also
// reads: every output is defined and the models validates and runs.
func TestMultipleOutputs(t *testing.T) {
	v := func(x ...float64) *param { return &param{shape: []int{len(x)}, f64: x} }
	g := &graph{nodes: map[string]*node{
		"input": {typ: "Input", params: map[string]*param{"shape": v(2)}},
		"lif":   {typ: "LIF", params: map[string]*param{"tau": v(1e-3, 2e-3), "r": v(1, 1), "v_leak": v(0, 0), "v_threshold": v(0.05, 0.05)}},
		"fc":    {typ: "Linear", params: map[string]*param{"weight": {shape: []int{1, 2}, f64: []float64{1, -1}}}},
		"out1":  {typ: "Output", params: map[string]*param{"shape": v(2)}},
		"out2":  {typ: "Output", params: map[string]*param{}},
		"out3":  {typ: "Output", params: map[string]*param{"shape": v(2)}},
	}, edges: [][2]string{{"input", "lif"}, {"lif", "out1"}, {"lif", "fc"}, {"fc", "out2"}, {"lif", "out3"}}}
	for k, n := range g.nodes {
		n.name = k
		g.order = append(g.order, k)
	}
	sort.Strings(g.order)
	fl, err := flatten(g)
	require.NoError(t, err)
	e := &emitter{dt: 1e-4, disc: Euler, tensors: map[string]bool{}}
	seq, err := e.emitNIR(fl)
	require.NoError(t, err)
	b, err := e.build(seq, map[string]any{"source.arch": "nir"}, Options{})
	require.NoError(t, err)
	_, raw := built(t, b)
	x, _ := spikeInput(1, 50, 2, 0.5, 1)
	r := runRT(t, raw, x, 1, 50, 2)
	require.Len(t, r.Outputs, 3)
	assert.Equal(t, r.Outputs["out1"].Data, r.Outputs["out3"].Data)
	assert.Positive(t, sum64(r.Outputs["out1"].Data))
	assert.Equal(t, []int{1, 50, 1}, r.Outputs["out2"].Shape)
}

func sum64(v []float32) float64 {
	s := 0.0
	for _, x := range v {
		s += float64(x)
	}
	return s
}

func TestSnnTorchParametersMismatch(t *testing.T) {
	dir := t.TempDir()
	pt, err := os.ReadFile(fixture("snntorch_model_noDelay_bias_ref_zero.pt"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "model_x.pt"), pt, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "parameters_x.json"), []byte(`{"nb_hidden": 38, "alpha_r": 0.6, "beta_r": 0.9}`), 0o644))
	_, err = ConvertSnnTorch(filepath.Join(dir, "model_x.pt"), Options{})
	assert.ErrorContains(t, err, "alpha_r = 0.6, the state dict has 0.55")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "parameters_x.json"), []byte(`{"nb_hidden": 40}`), 0o644))
	_, err = ConvertSnnTorch(filepath.Join(dir, "model_x.pt"), Options{})
	assert.ErrorContains(t, err, "nb_hidden = 40, the state dict has 38")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "parameters_x.json"), []byte(`{not json`), 0o644))
	_, err = ConvertSnnTorch(filepath.Join(dir, "model_x.pt"), Options{})
	assert.ErrorContains(t, err, "parameters_x.json")
}
