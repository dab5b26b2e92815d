package format

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/spikessm/spikessm/format/internal/fb"
)

func mustOpen(t testing.TB, b *Builder) (*Model, []byte) {
	t.Helper()
	data, err := b.Bytes()
	require.NoError(t, err)
	m, err := FromBytes(data)
	require.NoError(t, err)
	return m, data
}

// validationErr validates and returns the *ValidationError (failing if there is none).
func validationErr(t testing.TB, m *Model) *ValidationError {
	t.Helper()
	err := m.Validate()
	require.Error(t, err)
	var ve *ValidationError
	require.True(t, errors.As(err, &ve), "want *ValidationError, got %T", err)
	return ve
}

// problem returns the first problem of kind k whose text contains sub.
func problem(t testing.TB, ve *ValidationError, k ProblemKind, sub string) Problem {
	t.Helper()
	for _, p := range ve.Problems {
		if p.Kind == k && strings.Contains(p.String(), sub) {
			return p
		}
	}
	require.Failf(t, "problem not found", "kind %s containing %q in:\n%v", k, sub, ve)
	return Problem{}
}

// withSeq returns the small model's builder with its sequence graph replaced by edit(g).
func withSeq(t testing.TB, edit func(g *Graph)) *Builder {
	b := smallBuilder(t)
	edit(&b.graphs[0])
	return b
}

func TestValidSmallModelWithStep(t *testing.T) {
	b := smallBuilder(t)
	st, err := b.DeriveStep(b.graphs[0])
	require.NoError(t, err)
	require.NoError(t, b.AddGraph(st))
	m, _ := mustOpen(t, b)
	require.NoError(t, m.Validate())
	g, ok := m.Graph(GraphStep)
	require.True(t, ok)
	assert.Equal(t, []Dim{Sym("B"), Fixed(4)}, g.Inputs[0].Shape, "time axis removed")
	assert.Equal(t, ValueInfo{Name: "s4d.state.x_re", DType: F32, Shape: []Dim{Sym("B"), Fixed(4), Fixed(2)}}, g.Inputs[1])
	assert.Equal(t, []string{"y", "lif.tau", "lif.theta", "", "", "lif.state.m", "lif.state.s", "lif.state.r"}, g.Nodes[1].Inputs)
	assert.Equal(t, []string{"s", "", "lif.state_out.m", "lif.state_out.s", "lif.state_out.r"}, g.Nodes[1].Outputs)
	assert.Equal(t, "logits", g.Outputs[0].Name)
	assert.Equal(t, []Dim{Sym("B"), Fixed(3)}, g.Outputs[0].Shape)

	// package-level DeriveStep has no tensor shapes: H comes from the graph input,
	// N (only in the weights) is unknown
	st2, err := DeriveStep(smallBuilder(t).graphs[0])
	require.NoError(t, err)
	assert.Equal(t, []Dim{Sym("B"), Fixed(4), {Value: -1}}, st2.Inputs[1].Shape)
	assert.Equal(t, st.Nodes, st2.Nodes)
}

func TestValidateUnknownOpAndVersion(t *testing.T) {
	b := withSeq(t, func(g *Graph) {
		g.Nodes[2].Op = "FancyPool"
		g.Nodes[3].Version = 7
	})
	ve := validationErr(t, mustOpenM(t, b))
	var uo *UnknownOpError
	require.True(t, errors.As(ve, &uo))
	assert.Equal(t, "pool", uo.Node)
	assert.Equal(t, "FancyPool", uo.Op)
	assert.Equal(t, 0, uo.Known)
	p := problem(t, ve, ProblemUnknownOp, `node "head"`)
	var uo2 *UnknownOpError
	require.True(t, errors.As(p.Err, &uo2))
	assert.Equal(t, 7, uo2.Version)
	assert.Equal(t, 1, uo2.Known)
	assert.Contains(t, uo2.Error(), "version 7 is newer than supported version 1")
}

func mustOpenM(t testing.TB, b *Builder) *Model {
	m, _ := mustOpen(t, b)
	return m
}

func TestValidateAttributes(t *testing.T) {
	b := withSeq(t, func(g *Graph) {
		g.Nodes[1].Attrs = map[string]any{"reset": "hard", "solver": "pmbc", "compare": "gte", "colour": "red", "threshold": 1.0}
		g.Nodes[0].Attrs = map[string]any{"bidirectional": "yes"}
	})
	ve := validationErr(t, mustOpenM(t, b))
	var ae *AttributeError
	require.True(t, errors.As(ve, &ae))
	assert.Contains(t, problem(t, ve, ProblemAttribute, `"colour": not an attribute of SpikingNeuron`).Msg, "known: [reset compare solver]")
	assert.Contains(t, problem(t, ve, ProblemAttribute, `"compare"`).Msg, `expected one of [ge gt], got "gte"`)
	problem(t, ve, ProblemAttribute, "pmbc requires reset = soft")
	problem(t, ve, ProblemAttribute, `"threshold"`)
	assert.Contains(t, problem(t, ve, ProblemAttribute, `"bidirectional"`).Msg, "expected int, got string")
}

func TestValidateDanglingAndCycle(t *testing.T) {
	b := withSeq(t, func(g *Graph) {
		g.Nodes[0].Inputs[0] = "nowhere"
		g.Outputs = append(g.Outputs, ValueInfo{Name: "ghost", DType: F32, Shape: []Dim{Sym("B")}})
	})
	ve := validationErr(t, mustOpenM(t, b))
	var de *DanglingError
	require.True(t, errors.As(ve, &de))
	assert.Equal(t, "s4d", de.Node)
	assert.Equal(t, "nowhere", de.Name)
	problem(t, ve, ProblemDangling, `output "ghost"`)

	b = withSeq(t, func(g *Graph) {
		g.Nodes[0].Inputs[0] = "s" // s4d reads the neuron's output, which reads s4d's
	})
	ve = validationErr(t, mustOpenM(t, b))
	var ce *CycleError
	require.True(t, errors.As(ve, &ce))
	assert.ElementsMatch(t, []string{"s4d", "lif", "pool", "head"}, ce.Nodes)
	_, err := b.graphs[0].TopoOrder()
	require.True(t, errors.As(err, &ce))
}

func TestTopoOrderUnsortedFile(t *testing.T) {
	g := smallBuilder(t).graphs[0]
	g.Nodes[0], g.Nodes[3] = g.Nodes[3], g.Nodes[0]
	order, err := g.TopoOrder()
	require.NoError(t, err)
	assert.Equal(t, []int{3, 1, 2, 0}, order)
	b := withSeq(t, func(h *Graph) { *h = g })
	require.NoError(t, mustOpenM(t, b).Validate(), "node order in the file is free")
}

func TestValidateShapes(t *testing.T) {
	b := withSeq(t, func(g *Graph) {
		g.Outputs[0].Shape = []Dim{Sym("B"), Fixed(5)}
	})
	require.NoError(t, b.AddFloat32("head.w5", []int64{3, 5}, make([]float32, 15)))
	b.graphs[0].Nodes[3].Inputs[1] = "head.w5"
	ve := validationErr(t, mustOpenM(t, b))
	var se *ShapeError
	require.True(t, errors.As(ve, &se))
	assert.Equal(t, "head", se.Node)
	assert.Equal(t, "head.w5", se.Name)
	assert.Contains(t, se.Error(), "expected K (last dim of X) = 4 along axis 1, got 5")
	assert.Contains(t, problem(t, ve, ProblemShape, `output "logits"`).Msg, "declared shape (B, 5), computed (B, 3)")

	// S4D with inconsistent modes and a rank error on d
	b = smallBuilder(t)
	require.NoError(t, b.AddFloat32("c3", []int64{4, 3}, make([]float32, 12)))
	require.NoError(t, b.AddFloat32("d2", []int64{4, 1}, make([]float32, 4)))
	b.graphs[0].Nodes[0].Inputs[5] = "c3"
	b.graphs[0].Nodes[0].Inputs[7] = "d2"
	ve = validationErr(t, mustOpenM(t, b))
	assert.Contains(t, problem(t, ve, ProblemShape, `"c3"`).Msg, "expected N = 2 along axis 1, got 3")
	assert.Contains(t, problem(t, ve, ProblemShape, `"d2"`).Msg, "expected rank 1, got rank 2 (4, 1)")

	// temporal op after pooling
	b = withSeq(t, func(g *Graph) {
		g.Nodes = append(g.Nodes, Node{Name: "late", Op: "SpikingNeuron", Inputs: []string{"p", "lif.tau", "lif.theta"}, Outputs: []string{"late.s"}})
	})
	ve = validationErr(t, mustOpenM(t, b))
	assert.Contains(t, problem(t, ve, ProblemShape, `node "late"`).Msg, "expected a sequence (B, L, C), got a pooled or constant value (B, 4)")
}

func TestValidateDTypes(t *testing.T) {
	b := withSeq(t, func(g *Graph) {
		g.Inputs[0].DType = I64
		g.Outputs[0].DType = I32
	})
	ve := validationErr(t, mustOpenM(t, b))
	assert.Contains(t, problem(t, ve, ProblemDType, `node "s4d"`).Msg, `input X "x": expected dtype f32, got i64`)
	assert.Contains(t, problem(t, ve, ProblemDType, `output "logits"`).Msg, "declared dtype i32, computed f32")

	b = withSeq(t, func(g *Graph) { g.Inputs[0].DType = DType(42) })
	ve = validationErr(t, mustOpenM(t, b))
	assert.Contains(t, problem(t, ve, ProblemDType, `input "x"`).Msg, "unknown dtype 42")
}

func TestValidateArity(t *testing.T) {
	b := withSeq(t, func(g *Graph) {
		g.Nodes[1].Inputs = []string{"y", "lif.tau"}                                                                       // theta missing
		g.Nodes[3].Inputs = []string{"p", "head.w", "head.b", "head.b"}                                                    // one too many
		g.Nodes[2].Outputs = []string{""}                                                                                  // required output missing
		g.Nodes = append(g.Nodes, Node{Name: "lif", Op: "Softmax", Inputs: []string{"logits"}, Outputs: []string{"prob"}}) // duplicate name
	})
	ve := validationErr(t, mustOpenM(t, b))
	problem(t, ve, ProblemInputs, "required input 2 (theta) is missing")
	problem(t, ve, ProblemInputs, "Linear takes at most 3 inputs, got 4")
	problem(t, ve, ProblemInputs, "required output 0 (Y) is missing")
	problem(t, ve, ProblemDuplicate, `node "lif": node name used twice`)
}

func TestValidateParameters(t *testing.T) {
	b := NewBuilder()
	require.NoError(t, b.AddFloat32("tau", []int64{2}, []float32{0.5, 1.5}))
	require.NoError(t, b.AddFloat32("theta", []int64{2}, []float32{1, 0}))
	require.NoError(t, b.AddFloat32("rho", []int64{2}, []float32{-1, 0}))
	require.NoError(t, b.AddFloat32("beta", []int64{2}, []float32{0, 1}))
	require.NoError(t, b.AddFloat32("nan", []int64{2}, []float32{1, float32(math.NaN())}))
	require.NoError(t, b.AddFloat32("a_re", []int64{2, 1}, []float32{0.5, 0.9}))
	require.NoError(t, b.AddFloat32("a_im", []int64{2, 1}, []float32{0.5, 0.9}))
	require.NoError(t, b.AddGraph(Graph{
		Name:    GraphSequence,
		Inputs:  []ValueInfo{{Name: "x", DType: F32, Shape: []Dim{Sym("B"), Sym("L"), Fixed(2)}}},
		Outputs: []ValueInfo{{Name: "s", DType: F32, Shape: []Dim{Sym("B"), Sym("L"), Fixed(2)}}, {Name: "y", DType: F32, Shape: []Dim{Sym("B"), Sym("L"), Fixed(2)}}},
		Nodes: []Node{
			{Name: "lif", Op: "SpikingNeuron", Inputs: []string{"x", "tau", "theta", "rho", "beta"}, Outputs: []string{"s"}},
			{Name: "ssm", Op: "S4D", Inputs: []string{"x", "a_re", "a_im", "nan", "nan", "nan", "nan"}, Outputs: []string{"y"}},
		},
	}))
	ve := validationErr(t, mustOpenM(t, b))
	var pe *ParameterError
	require.True(t, errors.As(ve, &pe))
	for _, c := range []struct{ input, constraint string }{{"tau", "τ ∈ [0, 1]"}, {"theta", "θ > 0"}, {"rho", "ρ ≥ 0"}, {"beta", "β ∈ [0, 1)"}} {
		p := problem(t, ve, ProblemParameter, c.constraint)
		require.True(t, errors.As(p.Err, &pe))
		assert.Equal(t, c.input, pe.Input)
		assert.Equal(t, "lif", pe.Node)
	}
	problem(t, ve, ProblemParameter, `element 0 = -1 violates ρ ≥ 0`)
	assert.Contains(t, problem(t, ve, ProblemParameter, "|a_n|").Msg, "element 1 = 1.27279")
	assert.Contains(t, problem(t, ve, ProblemParameter, `tensor "nan"`).Msg, "element 1 is NaN")
}

func TestValidateStepGraph(t *testing.T) {
	// a bidirectional S4D is sequence-only: DeriveStep refuses naming the node, and a
	// hand-made step graph containing it is a validation problem
	b := withSeq(t, func(g *Graph) {
		g.Nodes[0].Attrs = map[string]any{"bidirectional": int64(1)}
		g.Nodes[0].Inputs = append(g.Nodes[0].Inputs, "s4d.c_re", "s4d.c_im")
	})
	require.NoError(t, mustOpenM(t, b).Validate())
	_, err := b.DeriveStep(b.graphs[0])
	require.Error(t, err)
	assert.Contains(t, err.Error(), `node "s4d": S4D with these attributes is sequence-only`)

	good := smallBuilder(t)
	st, err := good.DeriveStep(good.graphs[0])
	require.NoError(t, err)
	st.Nodes[0].Attrs = map[string]any{"bidirectional": int64(1)}
	st.Nodes[0].Inputs[8], st.Nodes[0].Inputs[9] = "s4d.c_re", "s4d.c_im"
	st.Inputs = st.Inputs[:len(st.Inputs)-1]                 // drop pool.state.count
	st.Outputs[0].Name = "renamed"                           // differs from sequence
	st.Inputs[1].Shape = []Dim{Sym("B"), Fixed(4), Fixed(3)} // x_re: wrong N
	require.NoError(t, good.AddGraph(st))
	ve := validationErr(t, mustOpenM(t, good))
	problem(t, ve, ProblemGraph, "sequence-only and cannot appear")
	problem(t, ve, ProblemGraph, `missing state input "pool.state.count"`)
	problem(t, ve, ProblemGraph, `non-state outputs [renamed], expected the outputs of "sequence" [logits]`)
	problem(t, ve, ProblemShape, `state input "s4d.state.x_re"`)

	// no sequence graph at all
	nb := NewBuilder()
	require.NoError(t, nb.AddGraph(Graph{Name: "other"}))
	ve = validationErr(t, mustOpenM(t, nb))
	problem(t, ve, ProblemGraph, `no "sequence" entry point`)
}

func TestValidateMetadata(t *testing.T) {
	b := smallBuilder(t)
	require.NoError(t, b.SetMeta("task.classes", "three"))
	require.NoError(t, b.SetMeta("semantics.discretization", "euler"))
	require.NoError(t, b.SetMeta("x.custom", int64(1)))
	ve := validationErr(t, mustOpenM(t, b))
	assert.Len(t, ve.Problems, 2)
	problem(t, ve, ProblemMetadata, `"task.classes": expected int64, got string`)
	problem(t, ve, ProblemMetadata, `expected one of [zoh bilinear], got "euler"`)
}

// tensorTable returns the FlatBuffer table of tensor i for in-place mutation.
func tensorTable(data []byte, i int) *fb.Tensor {
	root := fb.GetRootAsModel(data[4:], 0)
	var t fb.Tensor
	root.Tensors(&t, i)
	return &t
}

func TestValidateBuffers(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(data []byte)
		kind   ProblemKind
		want   string
	}{
		{"out of bounds", func(d []byte) { tensorTable(d, 10).MutateOffset(uint64(len(d))) }, ProblemBuffer, `tensor "head.b": buffer [2892, +12) is outside the file of 2892 bytes`},
		{"misaligned", func(d []byte) { t := tensorTable(d, 10); t.MutateOffset(t.Offset() + 4) }, ProblemBuffer, "is not 64-byte aligned"},
		{"overlap", func(d []byte) { tensorTable(d, 1).MutateOffset(tensorTable(d, 0).Offset()) }, ProblemBuffer, "overlaps tensor"},
		{"overlaps header", func(d []byte) { tensorTable(d, 0).MutateOffset(64) }, ProblemBuffer, "overlaps the FlatBuffer header"},
		{"wrong size", func(d []byte) { tensorTable(d, 9).MutateSize(40) }, ProblemBuffer, `tensor "head.w": f32 [3 4] needs 48 bytes, buffer has 40`},
		{"overflowing size", func(d []byte) { tensorTable(d, 9).MutateSize(math.MaxUint64) }, ProblemBuffer, "outside the file"},
		{"overflowing shape", func(d []byte) { t := tensorTable(d, 9); t.MutateShape(0, 1<<40); t.MutateShape(1, 1<<40) }, ProblemShape, "element count overflows"},
		{"negative dim", func(d []byte) { tensorTable(d, 9).MutateShape(0, -3) }, ProblemShape, "negative dimension"},
		{"unknown dtype", func(d []byte) { tensorTable(d, 9).MutateDtype(99) }, ProblemDType, `tensor "head.w": unknown dtype 99`},
		{"checksum", func(d []byte) { d[tensorTable(d, 9).Offset()+5] ^= 1 }, ProblemChecksum, `tensor "head.w": CRC-32C`},
		{"unknown checksum kind", func(d []byte) { tensorTable(d, 9).MutateChecksumKind(7) }, ProblemBuffer, "unknown checksum kind 7"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			data, err := smallBuilder(t).Bytes()
			require.NoError(t, err)
			require.Equal(t, 2892, len(data))
			c.mutate(data)
			m, err := FromBytes(data)
			require.NoError(t, err, "structurally fine: only Validate objects")
			ve := validationErr(t, m)
			p := problem(t, ve, c.kind, c.want)
			if c.kind == ProblemBuffer || c.kind == ProblemChecksum {
				var be *BufferError
				require.True(t, errors.As(p.Err, &be), p.String())
			}
			// accessors stay safe on the broken tensor
			for _, tn := range m.Tensors() {
				_, _ = tn.Float32()
				_ = tn.Bytes()
			}
		})
	}
}

func TestBrokenTensorAccessors(t *testing.T) {
	data, err := smallBuilder(t).Bytes()
	require.NoError(t, err)
	tensorTable(data, 9).MutateOffset(1 << 62)
	m, err := FromBytes(data)
	require.NoError(t, err)
	tt, _ := m.Tensor("head.w")
	assert.Nil(t, tt.Bytes())
	_, err = tt.Float32()
	require.Error(t, err)
	assert.Contains(t, err.Error(), `tensor "head.w": buffer`)
}

func TestValidateDuplicatesAndKinds(t *testing.T) {
	b := smallBuilder(t)
	require.NoError(t, b.AddFloat32("dupA_zzz", []int64{1}, []float32{1}))
	require.NoError(t, b.AddFloat32("dupB_zzz", []int64{1}, []float32{2}))
	require.NoError(t, b.SetMeta("meta_one", "x"))
	require.NoError(t, b.SetMeta("meta_two", "y"))
	data, err := b.Bytes()
	require.NoError(t, err)
	data = bytes.Replace(data, []byte("dupB_zzz"), []byte("dupA_zzz"), 1)
	data = bytes.Replace(data, []byte("meta_two"), []byte("meta_one"), 1)
	root := fb.GetRootAsModel(data[4:], 0)
	var kv fb.KeyValue
	root.Metadata(&kv, 0)
	require.True(t, kv.MutateKind(42))
	m, err := FromBytes(data)
	require.NoError(t, err)
	ve := validationErr(t, m)
	problem(t, ve, ProblemDuplicate, `tensor "dupA_zzz": name appears more than once`)
	problem(t, ve, ProblemDuplicate, `metadata "meta_one": key appears more than once`)
	problem(t, ve, ProblemBadValue, `metadata "source.arch": unknown value kind 42`)
}

func TestValidateQuantized(t *testing.T) {
	b := NewBuilder()
	q := []int8{1, -2, 3, -4, 5, -6}
	require.NoError(t, b.AddInt8("w", []int64{2, 3}, q, []float32{0.5, 0.25}, 0))
	require.NoError(t, b.AddGraph(Graph{Name: GraphSequence}))
	m, data := mustOpen(t, b)
	require.NoError(t, m.Validate())
	w, _ := m.Tensor("w")
	vals, err := w.Float32()
	require.NoError(t, err)
	assert.Equal(t, []float32{0.5, -1, 1.5, -1, 1.25, -1.5}, vals)
	assert.Equal(t, "w.scale", w.Scale())

	// rename the I8 tensor's reference to its scale, not the scale tensor itself
	for _, at := range allIndex(data, []byte("w.scale")) {
		mut := append([]byte(nil), data...)
		copy(mut[at:], "w.scalX")
		m, err = FromBytes(mut)
		require.NoError(t, err)
		if w, _ := m.Tensor("w"); w.Scale() == "w.scalX" {
			break
		}
	}
	ve := validationErr(t, m)
	problem(t, ve, ProblemQuantization, `scale tensor "w.scalX" not found`)

	require.Error(t, NewBuilder().AddTensor("w", I8, []int64{1}, []byte{1}))
	require.Error(t, NewBuilder().AddInt8("w", []int64{2}, []int8{1, 2}, []float32{1}, 0))
}

func allIndex(data, sub []byte) []int {
	var out []int
	for off := 0; ; {
		i := bytes.Index(data[off:], sub)
		if i < 0 {
			return out
		}
		out = append(out, off+i)
		off += i + 1
	}
}

func TestOpenVersionErrors(t *testing.T) {
	for _, c := range []struct {
		name   string
		mutate func(root *fb.Model)
		want   string
	}{
		{"major", func(r *fb.Model) { r.FormatVersion(nil).MutateMajor(2) }, "format version 2.0 is not supported"},
		{"min runtime", func(r *fb.Model) { r.MinRuntimeVersion(nil).MutateMinor(9) }, "minimum runtime version 1.9 is not supported"},
	} {
		data, err := smallBuilder(t).Bytes()
		require.NoError(t, err)
		c.mutate(fb.GetRootAsModel(data[4:], 0))
		_, err = FromBytes(data)
		var ve *VersionError
		require.True(t, errors.As(err, &ve), c.name)
		assert.Contains(t, err.Error(), c.want)
	}
	// a newer opset import is a validation problem
	data, err := smallBuilder(t).Bytes()
	require.NoError(t, err)
	var oi fb.OpsetImport
	fb.GetRootAsModel(data[4:], 0).OpsetImports(&oi, 0)
	require.True(t, oi.MutateVersion(3))
	m, err := FromBytes(data)
	require.NoError(t, err)
	problem(t, validationErr(t, m), ProblemOpset, "version 3 is newer than supported version 1")
}

func TestValidateReportsEveryProblem(t *testing.T) {
	b := withSeq(t, func(g *Graph) {
		g.Nodes[0].Op = "Nope"
		g.Nodes[3].Inputs[1] = "missing"
	})
	require.NoError(t, b.SetMeta("task.classes", 2.5))
	ve := validationErr(t, mustOpenM(t, b))
	assert.True(t, ve.Has(ProblemUnknownOp))
	assert.True(t, ve.Has(ProblemDangling))
	assert.True(t, ve.Has(ProblemMetadata))
	assert.Contains(t, ve.Error(), "3 problem(s)")
}

func TestDescribeSmall(t *testing.T) {
	b := smallBuilder(t)
	st, err := b.DeriveStep(b.graphs[0])
	require.NoError(t, err)
	require.NoError(t, b.AddGraph(st))
	m, data := mustOpen(t, b)
	d := Describe(m)
	// independent count: x_re, x_im (4×2 each), m, s, r, sum (4 each), count (1), float32
	assert.Equal(t, int64((2*8+4*4+1)*4), d.EntryPoints[1].StateBytesPerStream)
	assert.Equal(t, 7, d.EntryPoints[1].StateTensors)
	assert.Equal(t, int64(len(data)), d.SizeBytes)
	assert.Equal(t, int64(6*32+3*16+48+12), d.WeightBytes)
	assert.Equal(t, 2, d.OpCounts["S4D"])
	for _, td := range d.Tensors {
		assert.GreaterOrEqual(t, td.Alignment, uint64(Alignment), td.Name)
	}
	var sb strings.Builder
	require.NoError(t, d.WriteText(&sb))
	txt := sb.String()
	assert.Contains(t, txt, "7 tensors, 132 bytes per stream")
	assert.Contains(t, txt, `{compare="ge", reset="soft"}`)
	assert.Contains(t, txt, "format-test 0.0.1")
	js, err := json.Marshal(d)
	require.NoError(t, err)
	var back map[string]any
	require.NoError(t, json.Unmarshal(js, &back))
	assert.Equal(t, "AQID", back["metadata"].([]any)[3].(map[string]any)["value"])
	assert.Equal(t, float64(132), back["entry_points"].([]any)[1].(map[string]any)["state_bytes_per_stream"])
}
