package format

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// smallModel is a two-layer S4D + neuron classifier with every metadata type.
func smallBuilder(t testing.TB) *Builder {
	b := NewBuilder()
	b.SetProducer("format-test", "0.0.1")
	require.NoError(t, b.SetMeta("source.arch", "spikessm_ref"))
	require.NoError(t, b.SetMeta("task.classes", int64(3)))
	require.NoError(t, b.SetMeta("semantics.dt", 1.0))
	require.NoError(t, b.SetMeta("source.blob", []byte{1, 2, 3}))
	H, N, C := int64(4), int64(2), int64(3)
	fill := func(n int64, base float32) []float32 {
		out := make([]float32, n)
		for i := range out {
			out[i] = base + float32(i)/100
		}
		return out
	}
	for _, p := range []string{"a_re", "a_im", "b_re", "b_im", "c_re", "c_im"} {
		require.NoError(t, b.AddFloat32("s4d."+p, []int64{H, N}, fill(H*N, 0.1)))
	}
	require.NoError(t, b.AddFloat32("s4d.d", []int64{H}, fill(H, 0.5)))
	require.NoError(t, b.AddFloat32("lif.tau", []int64{H}, fill(H, 0.5)))
	require.NoError(t, b.AddFloat32("lif.theta", []int64{H}, fill(H, 1)))
	require.NoError(t, b.AddFloat32("head.w", []int64{C, H}, fill(C*H, -0.2)))
	require.NoError(t, b.AddFloat32("head.b", []int64{C}, fill(C, 0)))
	seq := Graph{
		Name:    GraphSequence,
		Inputs:  []ValueInfo{{Name: "x", DType: F32, Shape: []Dim{Sym("B"), Sym("L"), Fixed(H)}}},
		Outputs: []ValueInfo{{Name: "logits", DType: F32, Shape: []Dim{Sym("B"), Fixed(C)}}},
		Nodes: []Node{
			{Name: "s4d", Op: "S4D", Inputs: []string{"x", "s4d.a_re", "s4d.a_im", "s4d.b_re", "s4d.b_im", "s4d.c_re", "s4d.c_im", "s4d.d"}, Outputs: []string{"y"}},
			{Name: "lif", Op: "SpikingNeuron", Inputs: []string{"y", "lif.tau", "lif.theta"}, Outputs: []string{"s"}, Attrs: map[string]any{"reset": "soft", "compare": "ge"}},
			{Name: "pool", Op: "MeanPool", Inputs: []string{"s"}, Outputs: []string{"p"}},
			{Name: "head", Op: "Linear", Inputs: []string{"p", "head.w", "head.b"}, Outputs: []string{"logits"}},
		},
	}
	require.NoError(t, b.AddGraph(seq))
	return b
}

func TestRoundTripBytes(t *testing.T) {
	b := smallBuilder(t)
	data, err := b.Bytes()
	require.NoError(t, err)
	m, err := FromBytes(data)
	require.NoError(t, err)
	defer m.Close()

	assert.Equal(t, Version{FormatMajor, FormatMinor}, m.FormatVersion())
	name, ver := m.Producer()
	assert.Equal(t, "format-test", name)
	assert.Equal(t, "0.0.1", ver)
	md := m.Metadata()
	assert.Equal(t, "spikessm_ref", md["source.arch"])
	assert.Equal(t, int64(3), md["task.classes"])
	assert.Equal(t, 1.0, md["semantics.dt"])
	assert.Equal(t, []byte{1, 2, 3}, md["source.blob"])

	g, ok := m.Graph(GraphSequence)
	require.True(t, ok)
	want := smallBuilder(t).graphs[0]
	for i := range want.Nodes {
		want.Nodes[i].Version = 1
		if want.Nodes[i].Attrs == nil {
			want.Nodes[i].Attrs = map[string]any{}
		}
	}
	assert.Equal(t, want, *g)

	tt, ok := m.Tensor("head.w")
	require.True(t, ok)
	assert.Equal(t, F32, tt.DType)
	assert.Equal(t, []int64{3, 4}, tt.Shape)
	assert.Zero(t, tt.Offset()%Alignment)
	v, err := tt.Float32()
	require.NoError(t, err)
	require.Len(t, v, 12)
	for i, x := range v {
		assert.Equal(t, float32(-0.2)+float32(i)/100, x)
	}
	assert.Len(t, m.Tensors(), 11)
	for _, tn := range m.Tensors() {
		assert.Zero(t, tn.Offset()%Alignment, tn.Name)
		crc, ok := tn.Checksum()
		assert.True(t, ok)
		_ = crc
	}
}

func TestRoundTripFileMmapEqualsBytes(t *testing.T) {
	b := smallBuilder(t)
	data, err := b.Bytes()
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "m.ssm")
	require.NoError(t, b.WriteFile(path))
	onDisk, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, data, onDisk, "WriteFile and Bytes must produce the same file")

	mb, err := FromBytes(data)
	require.NoError(t, err)
	mm, err := Open(path)
	require.NoError(t, err)
	defer mm.Close()
	mr, err := OpenReaderAt(path)
	require.NoError(t, err)
	defer mr.Close()
	for _, other := range []*Model{mm, mr} {
		assert.Equal(t, mb.Hash(), other.Hash())
		assert.Equal(t, mb.Metadata(), other.Metadata())
		assert.Equal(t, mb.Graphs(), other.Graphs())
		require.Len(t, other.Tensors(), len(mb.Tensors()))
		for i, tb := range mb.Tensors() {
			to := other.Tensors()[i]
			assert.Equal(t, tb.Name, to.Name)
			assert.Equal(t, tb.Shape, to.Shape)
			assert.Equal(t, tb.Bytes(), to.Bytes())
			fb, err1 := tb.Float32()
			fo, err2 := to.Float32()
			require.NoError(t, err1)
			require.NoError(t, err2)
			assert.Equal(t, fb, fo)
		}
	}
}

// f16 weights decode to float32 exactly (the conversion itself is tested exhaustively in
// internal/half; this checks the tensor path uses it, little-endian).
func TestHalfConversions(t *testing.T) {
	// independent reference values of IEEE binary16
	hs := []uint16{0x0000, 0x3c00, 0xc000, 0x7bff, 0x0001, 0x03ff, 0x3555}
	want := []float32{0, 1, -2, 65504, float32(math.Ldexp(1, -24)), float32(math.Ldexp(1023, -24)), 0.333251953125}
	raw := make([]byte, 2*len(hs))
	for i, h := range hs {
		raw[2*i], raw[2*i+1] = byte(h), byte(h>>8)
	}
	b := smallBuilder(t)
	require.NoError(t, b.AddTensor("halves", F16, []int64{int64(len(hs))}, raw))
	data, err := b.Bytes()
	require.NoError(t, err)
	m, err := FromBytes(data)
	require.NoError(t, err)
	tn, ok := m.Tensor("halves")
	require.True(t, ok)
	got, err := tn.Float32()
	require.NoError(t, err)
	assert.Equal(t, want, got)
}
