package format

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// statelessBuilder wires every stateless op with consistent shapes (C = 4, classes 3).
func statelessBuilder(t testing.TB, edit func(b *Builder, g *Graph)) *Builder {
	const C = 4
	b := NewBuilder()
	add := func(name string, shape []int64, v float32) {
		n, _ := NumElements(shape)
		require.NoError(t, b.AddFloat32(name, shape, ones(n, v)))
	}
	add("ln.g", []int64{C}, 1)
	add("ln.b", []int64{C}, 0)
	for _, p := range []string{"bn.g", "bn.b", "bn.mean", "bn.var"} {
		add(p, []int64{C}, 0.5)
	}
	add("up.w", []int64{2 * C, C}, 0.1)
	add("vth", []int64{C}, 0.2)
	add("scale", []int64{C}, 2)
	add("head.w", []int64{3, C}, 0.3)
	g := Graph{
		Name:   GraphSequence,
		Inputs: []ValueInfo{{Name: "x", DType: F32, Shape: []Dim{Sym("B"), Sym("L"), Fixed(C)}}},
		Outputs: []ValueInfo{
			{Name: "prob", DType: F32, Shape: []Dim{Sym("B"), Sym("L"), Fixed(3)}},
			{Name: "cls", DType: I64, Shape: []Dim{Sym("B"), Sym("L")}},
		},
		Nodes: []Node{
			{Name: "ln", Op: "LayerNorm", Inputs: []string{"x", "ln.g", "ln.b"}, Outputs: []string{"a"}, Attrs: map[string]any{"epsilon": 1e-6}},
			{Name: "bn", Op: "BatchNorm", Inputs: []string{"a", "bn.g", "bn.b", "bn.mean", "bn.var"}, Outputs: []string{"b"}},
			{Name: "gelu", Op: "GELU", Inputs: []string{"b"}, Outputs: []string{"c"}, Attrs: map[string]any{"approximate": "tanh"}},
			{Name: "up", Op: "Linear", Inputs: []string{"c", "up.w"}, Outputs: []string{"d"}},
			{Name: "glu", Op: "GLU", Inputs: []string{"d"}, Outputs: []string{"e"}},
			{Name: "res", Op: "Add", Inputs: []string{"e", "x"}, Outputs: []string{"f"}},
			{Name: "mul", Op: "Mul", Inputs: []string{"f", "scale"}, Outputs: []string{"g"}},
			{Name: "vth", Op: "ThresholdScale", Inputs: []string{"g", "vth"}, Outputs: []string{"h"}},
			{Name: "spike", Op: "Heaviside", Inputs: []string{"h"}, Outputs: []string{"s"}, Attrs: map[string]any{"threshold": int64(1)}},
			{Name: "head", Op: "Linear", Inputs: []string{"s", "head.w"}, Outputs: []string{"logits"}},
			{Name: "softmax", Op: "Softmax", Inputs: []string{"logits"}, Outputs: []string{"prob"}},
			{Name: "argmax", Op: "ArgMax", Inputs: []string{"logits"}, Outputs: []string{"cls"}},
		},
	}
	if edit != nil {
		edit(b, &g)
	}
	require.NoError(t, b.AddGraph(g))
	return b
}

func TestEveryStatelessOpValidates(t *testing.T) {
	b := statelessBuilder(t, nil)
	m := mustOpenM(t, b)
	require.NoError(t, m.Validate())
	g, _ := m.Graph(GraphSequence)
	spike := g.Nodes[8]
	assert.Equal(t, 1.0, spike.AttrFloat("threshold"), "an int value of a float attribute converts")
	assert.Equal(t, "tanh", g.Nodes[2].AttrString("approximate"))
	assert.Equal(t, "none", (&Node{Op: "GELU"}).AttrString("approximate"), "absent attribute gives the OPS.md default")
	assert.Equal(t, "soft", (&Node{Op: "SpikingNeuron"}).AttrString("reset"))
	assert.Equal(t, "hard", (&Node{Op: "CubaLIF"}).AttrString("reset"))
	assert.Equal(t, 1e-5, g.Nodes[1].AttrFloat("epsilon"))
	assert.Equal(t, int64(0), g.Nodes[0].AttrInt("nope"))

	// a stateless causal graph has a step graph with the same nodes and no state
	bs := statelessBuilder(t, nil)
	st, err := bs.DeriveStep(bs.graphs[0])
	require.NoError(t, err)
	assert.Equal(t, bs.graphs[0].Nodes, st.Nodes)
	assert.Equal(t, []Dim{Sym("B")}, st.Outputs[1].Shape)
	require.NoError(t, bs.AddGraph(st))
	m2 := mustOpenM(t, bs)
	require.NoError(t, m2.Validate())
	d := Describe(m2)
	assert.Equal(t, int64(0), d.EntryPoints[1].StateBytesPerStream)
}

func TestStatelessOpErrors(t *testing.T) {
	b := statelessBuilder(t, func(b *Builder, g *Graph) {
		require.NoError(t, b.AddFloat32("odd.w", []int64{7, 4}, ones(28, 0.1)))
		require.NoError(t, b.AddFloat32("neg.var", []int64{4}, []float32{1, 1, -1, 1}))
		require.NoError(t, b.AddFloat32("three", []int64{3}, ones(3, 1)))
		g.Nodes[3].Inputs[1] = "odd.w"          // GLU input of 7 channels
		g.Nodes[1].Inputs[4] = "neg.var"        // var + eps ≤ 0
		g.Nodes[0].Attrs["epsilon"] = -1.0      // negative epsilon
		g.Nodes[6].Inputs[1] = "three"          // (…, 4)·(3) does not broadcast
		g.Nodes[2].Attrs["approximate"] = "erf" // not an allowed value
		g.Nodes = append(g.Nodes, Node{Name: "emb", Op: "Embedding", Inputs: []string{"x", "ln.g"}, Outputs: []string{"z"}})
	})
	ve := validationErr(t, mustOpenM(t, b))
	assert.Contains(t, problem(t, ve, ProblemShape, `node "glu"`).Msg, "expected an even last dimension (…, 2C), got (B, L, 7)")
	p := problem(t, ve, ProblemParameter, `node "bn"`)
	var pe *ParameterError
	require.True(t, errors.As(p.Err, &pe))
	assert.Equal(t, "var", pe.Input)
	assert.Equal(t, int64(2), pe.Index)
	assert.Contains(t, problem(t, ve, ProblemAttribute, `node "ln"`).Msg, "expected ≥ 0, got -1")
	assert.Contains(t, problem(t, ve, ProblemShape, `node "mul"`).Msg, "expected a shape broadcastable with (B, L, 4), got (3)")
	problem(t, ve, ProblemAttribute, `expected one of [none tanh], got "erf"`)
	assert.Contains(t, problem(t, ve, ProblemShape, `node "emb"`).Msg, "expected dtype i32 or i64, got dtype f32")
	assert.Contains(t, problem(t, ve, ProblemShape, `input table "ln.g"`).Msg, "expected rank 2, got rank 1 (4)")
	assert.Len(t, ve.Problems, 7, "no cascades from the GLU error: %v", ve)
}

func TestAttributeAndMetadataKindsRoundTrip(t *testing.T) {
	b := NewBuilder()
	b.SetMinRuntimeVersion(Version{1, 0})
	attrs := map[string]any{"i": int64(-3), "f": 2.5, "s": "x", "is": []int64{1, -2}, "fs": []float64{0.5, -1}, "e": []int64{}}
	require.NoError(t, b.AddGraph(Graph{Name: GraphSequence, Nodes: []Node{{Name: "n", Domain: "acme", Op: "Custom", Version: 2, Attrs: attrs}}}))
	require.NoError(t, b.SetMeta("s", "v"))
	require.NoError(t, b.SetMeta("i", 7))
	require.NoError(t, b.SetMeta("f", -0.25))
	require.NoError(t, b.SetMeta("b", []byte{}))
	require.NoError(t, b.SetMeta("s", "replaced"))
	m := mustOpenM(t, b)
	g, _ := m.Graph(GraphSequence)
	assert.Equal(t, attrs, g.Nodes[0].Attrs)
	assert.Equal(t, "acme", g.Nodes[0].Domain)
	assert.Equal(t, []OpsetImport{{Domain: "acme", Version: 2}, {Domain: "spikessm", Version: 1}}, m.OpsetImports())
	assert.Equal(t, map[string]any{"s": "replaced", "i": int64(7), "f": -0.25, "b": []byte{}}, m.Metadata())
	assert.Equal(t, []string{"s", "i", "f", "b"}, m.MetadataKeys())
	assert.Equal(t, Version{1, 0}, m.MinRuntimeVersion())
	ve := validationErr(t, m)
	var uo *UnknownOpError
	require.True(t, errors.As(ve, &uo))
	assert.Equal(t, "acme", uo.Domain)
	assert.Contains(t, uo.Error(), "unknown op acme.Custom (version 2)")
}
