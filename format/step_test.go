package format

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func ones(n int64, v float32) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = v
	}
	return out
}

// TestDeriveStepEveryStatefulOp builds a token model through every stateful op and
// checks the step graph against the state shapes written in OPS.md.
const everyV, everyC, everyN = 10, 6, 3

// everyOpBuilder is a token model through every stateful op with its step graph.
func everyOpBuilder(t testing.TB) (*Builder, Graph, Graph) {
	const V, C, N = everyV, everyC, everyN
	b := NewBuilder()
	add := func(name string, shape []int64, v float32) {
		n, _ := NumElements(shape)
		require.NoError(t, b.AddFloat32(name, shape, ones(n, v)))
	}
	add("emb", []int64{V, C}, 0.1)
	for _, p := range []string{"a_re", "a_im", "b_re", "b_im", "c_re", "c_im"} {
		add("s4d."+p, []int64{C, N}, 0.3)
	}
	add("sdn.w1", []int64{8, 8}, 0.1)
	add("sdn.b1", []int64{8}, 0)
	add("sdn.w2", []int64{8, 8}, 0.1)
	add("sdn.b2", []int64{8}, 0)
	add("sdn.w3", []int64{8}, 0.1)
	add("sdn.b3", []int64{1}, 0)
	for _, p := range []string{"alpha_syn", "beta_syn", "alpha_mem", "beta_mem", "gamma", "theta", "v_reset"} {
		add("cuba."+p, []int64{C}, 0.5)
	}
	add("cuba.w_rec", []int64{C, C}, 0.01)
	add("li.alpha", []int64{C}, 0.9)
	add("li.beta", []int64{C}, 0.1)
	add("head.w", []int64{4, C}, 0.2)
	seq := Graph{
		Name:   GraphSequence,
		Inputs: []ValueInfo{{Name: "ids", DType: I64, Shape: []Dim{Sym("B"), Sym("L")}}},
		Outputs: []ValueInfo{
			{Name: "logits", DType: F32, Shape: []Dim{Sym("B"), Fixed(4)}},
			{Name: "trace", DType: F32, Shape: []Dim{Sym("B"), Sym("L"), Fixed(C)}},
			{Name: "last", DType: F32, Shape: []Dim{Sym("B"), Fixed(C)}},
		},
		Nodes: []Node{
			{Name: "embed", Op: "Embedding", Inputs: []string{"ids", "emb"}, Outputs: []string{"e"}},
			{Name: "ssm", Op: "S4D", Inputs: []string{"e", "s4d.a_re", "s4d.a_im", "s4d.b_re", "s4d.b_im", "s4d.c_re", "s4d.c_im"}, Outputs: []string{"y"}},
			{Name: "sdn", Op: "SDNNeuron", Inputs: []string{"y", "sdn.w1", "sdn.b1", "sdn.w2", "sdn.b2", "sdn.w3", "sdn.b3"}, Outputs: []string{"s1", "mem"}},
			{Name: "cuba", Op: "CubaLIF", Inputs: []string{"s1", "cuba.alpha_syn", "cuba.beta_syn", "cuba.alpha_mem", "cuba.beta_mem", "cuba.gamma", "cuba.theta", "cuba.v_reset", "cuba.w_rec"}, Outputs: []string{"s2"}},
			{Name: "li", Op: "LeakyIntegrator", Inputs: []string{"s2", "li.alpha", "li.beta"}, Outputs: []string{"trace"}},
			{Name: "last", Op: "LastStep", Inputs: []string{"trace"}, Outputs: []string{"last"}},
			{Name: "pool", Op: "MeanPool", Inputs: []string{"trace"}, Outputs: []string{"p"}},
			{Name: "head", Op: "Linear", Inputs: []string{"p", "head.w"}, Outputs: []string{"logits"}},
		},
	}
	require.NoError(t, b.AddGraph(seq))
	st, err := b.DeriveStep(seq)
	require.NoError(t, err)
	require.NoError(t, b.AddGraph(st))
	return b, seq, st
}

func everyOpModel(t testing.TB) []byte {
	b, _, _ := everyOpBuilder(t)
	data, err := b.Bytes()
	require.NoError(t, err)
	return data
}

func TestDeriveStepEveryStatefulOp(t *testing.T) {
	const C, N = everyC, everyN
	b, seq, st := everyOpBuilder(t)
	m, _ := mustOpen(t, b)
	require.NoError(t, m.Validate())

	B := Sym("B")
	want := []ValueInfo{
		{Name: "ids", DType: I64, Shape: []Dim{B}},
		{Name: "ssm.state.x_re", DType: F32, Shape: []Dim{B, Fixed(C), Fixed(N)}},
		{Name: "ssm.state.x_im", DType: F32, Shape: []Dim{B, Fixed(C), Fixed(N)}},
		{Name: "sdn.state.history", DType: F32, Shape: []Dim{B, Fixed(C), Fixed(8)}},
		{Name: "cuba.state.i", DType: F32, Shape: []Dim{B, Fixed(C)}},
		{Name: "cuba.state.v", DType: F32, Shape: []Dim{B, Fixed(C)}},
		{Name: "cuba.state.s", DType: F32, Shape: []Dim{B, Fixed(C)}},
		{Name: "li.state.v", DType: F32, Shape: []Dim{B, Fixed(C)}},
		{Name: "pool.state.sum", DType: F32, Shape: []Dim{B, Fixed(C)}},
		{Name: "pool.state.count", DType: F32, Shape: []Dim{B}},
	}
	assert.Equal(t, want, st.Inputs)
	assert.Equal(t, ValueInfo{Name: "trace", DType: F32, Shape: []Dim{B, Fixed(C)}}, st.Outputs[1], "time axis dropped")
	assert.Equal(t, ValueInfo{Name: "last", DType: F32, Shape: []Dim{B, Fixed(C)}}, st.Outputs[2], "pooled output unchanged")
	assert.Equal(t, "ssm.state_out.x_re", st.Outputs[3].Name)
	assert.Equal(t, []string{"s1", "mem", "sdn.state_out.history"}, st.Nodes[2].Outputs)
	assert.Equal(t, []string{"s2", "", "cuba.state_out.i", "cuba.state_out.v", "cuba.state_out.s"}, st.Nodes[3].Outputs)
	assert.Equal(t, seq.Nodes[0], st.Nodes[0], "stateless nodes unchanged")
	assert.Equal(t, seq.Nodes[5], st.Nodes[5])

	d := Describe(m)
	// per stream: 2·C·N + 8·C + 3·C + C + C + 1 floats
	assert.Equal(t, int64((2*C*N+8*C+3*C+C+C+1)*4), d.EntryPoints[1].StateBytesPerStream)
}

func TestDeriveStepErrors(t *testing.T) {
	g := smallBuilder(t).graphs[0]
	bad := g
	bad.Nodes = append([]Node(nil), g.Nodes...)
	bad.Nodes[2].Op = "Mystery"
	_, err := DeriveStep(bad)
	var uo *UnknownOpError
	require.True(t, errors.As(err, &uo))
	assert.Equal(t, "pool", uo.Node)

	cyc := g
	cyc.Nodes = append([]Node(nil), g.Nodes...)
	cyc.Nodes[0].Inputs = []string{"s"}
	_, err = DeriveStep(cyc)
	var ce *CycleError
	require.True(t, errors.As(err, &ce))

	notSeq := g
	notSeq.Name = "main"
	_, err = DeriveStep(notSeq)
	require.ErrorContains(t, err, `graph "main", want "sequence"`)

	flat := g
	flat.Inputs = []ValueInfo{{Name: "x", DType: F32, Shape: []Dim{Sym("B")}}}
	_, err = DeriveStep(flat)
	require.ErrorContains(t, err, `graph input "x" has shape (B), want (B, L, …)`)

	noOut := g
	noOut.Outputs = []ValueInfo{{Name: "nothing", DType: F32}}
	_, err = DeriveStep(noOut)
	require.ErrorContains(t, err, `graph output "nothing" is produced by no node`)
}

func TestDTypeConversionsAndAccessors(t *testing.T) {
	b := NewBuilder()
	// f16 1, -2, 65504; bf16 1, -2, 3.140625 (0x4049) — values from the IEEE/bfloat16 encodings
	require.NoError(t, b.AddTensor("h", F16, []int64{3}, []byte{0x00, 0x3c, 0x00, 0xc0, 0xff, 0x7b}))
	require.NoError(t, b.AddTensor("bf", BF16, []int64{3}, []byte{0x80, 0x3f, 0x00, 0xc0, 0x49, 0x40}))
	require.NoError(t, b.AddTensor("bits", Bits, []int64{2, 5}, []byte{0b1010_0101, 0b10}))
	require.NoError(t, b.AddTensor("i", I64, []int64{1}, []byte{1, 0, 0, 0, 0, 0, 0, 0}))
	require.NoError(t, b.AddTensor("empty", F32, []int64{0, 3}, []byte{}))
	require.NoError(t, b.AddGraph(Graph{Name: GraphSequence}))
	require.Error(t, b.AddTensor("bits2", Bits, []int64{9}, []byte{1}), "9 bits need 2 bytes")
	require.Error(t, b.AddTensor("h", F16, []int64{1}, []byte{0, 0}), "duplicate")
	require.Error(t, b.AddTensor("neg", F32, []int64{-1}, nil))
	require.Error(t, b.AddTensor("u", DType(0), []int64{1}, []byte{0}))
	require.Error(t, b.SetMeta("k", struct{}{}))
	require.Error(t, b.AddGraph(Graph{Name: GraphSequence}), "duplicate graph")

	m, _ := mustOpen(t, b)
	require.NoError(t, m.Validate())
	get := func(name string) []float32 {
		tt, ok := m.Tensor(name)
		require.True(t, ok)
		v, err := tt.Float32()
		require.NoError(t, err)
		return v
	}
	assert.Equal(t, []float32{1, -2, 65504}, get("h"))
	assert.Equal(t, []float32{1, -2, 3.140625}, get("bf"))
	assert.Equal(t, []float32{}, get("empty"))
	bits, _ := m.Tensor("bits")
	assert.Equal(t, []byte{0b1010_0101, 0b10}, bits.Bytes())
	assert.Equal(t, int64(10), bits.NumElements())
	_, err := bits.Float32()
	require.ErrorContains(t, err, `tensor "bits": bits is not a float type`)
	for _, d := range []DType{F32, F16, BF16, I8, U8, I32, I64, Bits} {
		back, err := ParseDType(d.String())
		require.NoError(t, err)
		assert.Equal(t, d, back)
	}
	assert.Equal(t, "dtype(77)", DType(77).String())

	// the f32 view is zero-copy: it aliases the file bytes
	data, err := smallBuilder(t).Bytes()
	require.NoError(t, err)
	m2, err := FromBytes(data)
	require.NoError(t, err)
	w, _ := m2.Tensor("head.w")
	v, err := w.Float32()
	require.NoError(t, err)
	data[w.Offset()+3] ^= 0x80 // flip the sign of element 0 in the file bytes
	assert.Equal(t, float32(0.2), v[0])
}

func TestWriteToAndReaderAt(t *testing.T) {
	b := smallBuilder(t)
	want, err := b.Bytes()
	require.NoError(t, err)
	var buf writerBuf
	n, err := b.WriteTo(&buf)
	require.NoError(t, err)
	assert.Equal(t, int64(len(want)), n)
	assert.Equal(t, want, []byte(buf))

	m, err := FromReaderAt(readerAt(want), int64(len(want)))
	require.NoError(t, err)
	require.NoError(t, m.Validate())
	assert.Equal(t, mustOpenM(t, b).Hash(), m.Hash())
	require.NoError(t, m.Close())
	tt, _ := m.Tensor("head.w")
	_, err = tt.ReadBytes()
	require.ErrorContains(t, err, "model is closed")
}

type writerBuf []byte

func (w *writerBuf) Write(p []byte) (int, error) { *w = append(*w, p...); return len(p), nil }

type readerAt []byte

func (r readerAt) ReadAt(p []byte, off int64) (int, error) {
	if off >= int64(len(r)) {
		return 0, errors.New("EOF")
	}
	n := copy(p, r[off:])
	if n < len(p) {
		return n, errors.New("short")
	}
	return n, nil
}

func TestDeriveStepStateInFileOrder(t *testing.T) {
	b := smallBuilder(t)
	g := b.graphs[0]
	g.Nodes[0], g.Nodes[2] = g.Nodes[2], g.Nodes[0] // pool first in the file
	st, err := b.DeriveStep(g)
	require.NoError(t, err)
	var names []string
	for _, in := range st.Inputs[1:] {
		names = append(names, in.Name)
	}
	assert.Equal(t, []string{"pool.state.sum", "pool.state.count", "lif.state.m", "lif.state.s", "lif.state.r", "s4d.state.x_re", "s4d.state.x_im"}, names)
	assert.Equal(t, "MeanPool", st.Nodes[0].Op, "nodes keep their file positions")
}

func TestFileErrorsAndReaderAtFailures(t *testing.T) {
	b := smallBuilder(t)
	err := b.WriteFile(filepath.Join(t.TempDir(), "no", "such", "dir", "m.ssm"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "m.ssm")

	_, err = OpenReaderAt(filepath.Join(t.TempDir(), "missing.ssm"))
	require.ErrorIs(t, err, os.ErrNotExist)

	data, err := b.Bytes()
	require.NoError(t, err)
	// a reader that fails after the header: open works, weights and hash report the error
	fbEnd := 4 + int(binary.LittleEndian.Uint32(data))
	m, err := FromReaderAt(readerAt(data[:fbEnd]), int64(len(data)))
	require.NoError(t, err)
	w, _ := m.Tensor("head.w")
	_, err = w.Float32()
	require.ErrorContains(t, err, `tensor "head.w": read`)
	_, err = m.HashErr()
	require.Error(t, err)
	assert.Equal(t, [32]byte{}, m.Hash())
	ve := validationErr(t, m)
	problem(t, ve, ProblemBuffer, `tensor "head.w"`)
	assert.Contains(t, Describe(m).Notes[0], "hash")

	// declared sizes smaller than the header
	_, err = FromReaderAt(readerAt(data), 11)
	require.ErrorContains(t, err, "too short")
	_, err = FromReaderAt(readerAt(data), int64(fbEnd-1))
	require.ErrorContains(t, err, "truncated")
}
