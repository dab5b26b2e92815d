package runtime

import (
	"context"
	"math"
	"testing"

	"github.com/spikessm/spikessm"
	"github.com/spikessm/spikessm/format"
	"github.com/stretchr/testify/require"
)

// TestMiscOps covers Embedding, BatchNorm, GELU (tanh), Mul, LastStep, Softmax and ArgMax
// against float64 arithmetic written from OPS.md, in sequence and step mode.
func TestMiscOps(t *testing.T) {
	g := newToy(t, 5)
	const V, C, B, L = 7, 5, 3, 6
	table := g.w("table", []int{V, C}, g.randn(V*C, 1))
	bn := []string{g.w("bn.g", []int{C}, g.uniform(C, 0.5, 1.5)), g.w("bn.b", []int{C}, g.randn(C, 0.1)),
		g.w("bn.m", []int{C}, g.randn(C, 0.3)), g.w("bn.v", []int{C}, g.uniform(C, 0.5, 2))}
	scale := g.w("scale", []int{C}, g.randn(C, 1))
	g.node("Embedding", "emb", []string{"input", table}, []string{"e"}, nil)
	g.node("BatchNorm", "bn", append([]string{"e"}, bn...), []string{"n"}, map[string]any{"epsilon": 1e-5})
	g.node("GELU", "gelu", []string{"n"}, []string{"a"}, map[string]any{"approximate": "tanh"})
	g.node("Mul", "mul", []string{"a", scale}, []string{"m"}, nil)
	g.node("LastStep", "last", []string{"m"}, []string{"l"}, nil)
	g.node("Softmax", "sm", []string{"l"}, []string{"p"}, nil)
	g.node("ArgMax", "am", []string{"p"}, []string{"k"}, nil)
	in := format.ValueInfo{Name: "input", DType: format.I64, Shape: []format.Dim{{Value: -1, Symbol: "B"}, {Value: -1, Symbol: "L"}}}
	outs := []format.ValueInfo{
		{Name: "p", DType: format.F32, Shape: []format.Dim{{Value: -1, Symbol: "B"}, {Value: C}}},
		{Name: "k", DType: format.I64, Shape: []format.Dim{{Value: -1, Symbol: "B"}}},
	}
	require.NoError(t, g.b.AddGraph(format.Graph{Name: "sequence", Inputs: []format.ValueInfo{in}, Outputs: outs, Nodes: g.nodes}))
	data, err := g.b.Bytes()
	require.NoError(t, err)
	m, err := LoadBytes(data)
	require.NoError(t, err)
	ids := make([]float32, B*L)
	for i := range ids {
		ids[i] = float32((i * 5) % V)
	}
	res, err := m.RunWith(context.Background(), Tensor{Shape: []int{B, L}, Data: ids}, RunOptions{Capture: []string{"m"}})
	require.NoError(t, err)
	w := g.weights
	var wantP []float64
	var wantK []float32
	for b := 0; b < B; b++ {
		id := int(ids[b*L+L-1])
		row := make([]float64, C)
		mx := math.Inf(-1)
		for c := 0; c < C; c++ {
			x := w["table"][id*C+c]
			x = (x-w["bn.m"][c])/math.Sqrt(w["bn.v"][c]+1e-5)*w["bn.g"][c] + w["bn.b"][c]
			x = 0.5 * x * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(x+0.044715*x*x*x)))
			row[c] = x * w["scale"][c]
			mx = math.Max(mx, row[c])
		}
		s := 0.0
		for c := range row {
			row[c] = math.Exp(row[c] - mx)
			s += row[c]
		}
		best := 0
		for c := range row {
			row[c] /= s
			if row[c] > row[best] {
				best = c
			}
		}
		wantP = append(wantP, row...)
		wantK = append(wantK, float32(best))
	}
	requireClose(t, "softmax", wantP, res.Outputs["p"].Data, 1e-6, 1e-6)
	require.Equal(t, wantK, res.Outputs["k"].Data)
	require.Equal(t, []int{B}, res.Outputs["k"].Shape)
	// Step mode: the LastStep output after each step is that step's value.
	s, err := m.NewSession(B)
	require.NoError(t, err)
	x := make([]float32, B)
	for step := 0; step < L; step++ {
		for b := 0; b < B; b++ {
			x[b] = ids[b*L+step]
		}
		_, err := s.Step(x)
		require.NoError(t, err)
	}
	require.Equal(t, res.Outputs["p"].Data, s.Outputs()["p"].Data)
	// Out-of-range and non-integer ids are errors naming the node.
	for _, bad := range []float32{7, -1, 2.5} {
		ids[4] = bad
		_, err = m.Run(context.Background(), Tensor{Shape: []int{B, L}, Data: ids})
		require.ErrorContains(t, err, `"emb"`)
	}
}

// TestPMBCEqualsSequential: the two SpikingNeuron solvers give the same spikes bit for bit on
// every variant (the auto choice between them is timing-based, so it must never show).
func TestPMBCEqualsSequential(t *testing.T) {
	build := func(solver string) []byte {
		g := newToy(t, 31)
		c := 37
		tau := g.w("tau", []int{c}, g.uniform(c, 0.5, 1))
		th := g.w("theta", []int{c}, g.uniform(c, 0.2, 1))
		rho := g.w("rho", []int{c}, g.uniform(c, 0, 0.5))
		beta := g.w("beta", []int{c}, g.uniform(c, 0, 0.95))
		g.linear("enc", "input", "x", 2, c)
		g.node("SpikingNeuron", "n", []string{"x", tau, th, rho, beta}, []string{"s"}, map[string]any{"solver": solver})
		g.out("s", -1, -2, c)
		return g.model(2, "s")
	}
	in := randInput(6, 3*500*2)
	for i := range in {
		in[i] = in[i]*1.5 - 0.2
	}
	for _, v := range spikessm.Variants() {
		var outs [][]float32
		for _, solver := range []string{"sequential", "pmbc"} {
			m, err := LoadBytes(build(solver), WithKernels(v))
			require.NoError(t, err)
			res, err := m.RunWith(context.Background(), Tensor{Shape: []int{3, 500, 2}, Data: in}, RunOptions{Stats: true})
			require.NoError(t, err)
			require.Equal(t, solver, res.Stats.Layers[1].Path)
			outs = append(outs, res.Outputs["s"].Data)
		}
		require.Equal(t, outs[0], outs[1], v)
		require.Greater(t, spikeRate(outs[0]), 0.05)
	}
}
