package format

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// benchModel is a 4-layer S4D/neuron stack with H = 256, N = 32 (about 1.3 MB of weights).
func benchModel(b *testing.B) *Builder {
	const H, N, layers = 256, 32, 4
	bl := NewBuilder()
	g := Graph{Name: GraphSequence,
		Inputs:  []ValueInfo{{Name: "x", DType: F32, Shape: []Dim{Sym("B"), Sym("L"), Fixed(H)}}},
		Outputs: []ValueInfo{{Name: "p", DType: F32, Shape: []Dim{Sym("B"), Fixed(H)}}}}
	prev := "x"
	for l := 0; l < layers; l++ {
		p := string(rune('a'+l)) + "."
		ins := []string{prev}
		for _, n := range []string{"a_re", "a_im", "b_re", "b_im", "c_re", "c_im"} {
			require.NoError(b, bl.AddFloat32(p+n, []int64{H, N}, ones(H*N, 0.1)))
			ins = append(ins, p+n)
		}
		require.NoError(b, bl.AddFloat32(p+"tau", []int64{H}, ones(H, 0.5)))
		require.NoError(b, bl.AddFloat32(p+"theta", []int64{H}, ones(H, 1)))
		g.Nodes = append(g.Nodes,
			Node{Name: p + "ssm", Op: "S4D", Inputs: ins, Outputs: []string{p + "y"}},
			Node{Name: p + "lif", Op: "SpikingNeuron", Inputs: []string{p + "y", p + "tau", p + "theta"}, Outputs: []string{p + "s"}})
		prev = p + "s"
	}
	g.Nodes = append(g.Nodes, Node{Name: "pool", Op: "MeanPool", Inputs: []string{prev}, Outputs: []string{"p"}})
	require.NoError(b, bl.AddGraph(g))
	return bl
}

func BenchmarkOpenMmap(b *testing.B) {
	path := filepath.Join(b.TempDir(), "m.ssm")
	require.NoError(b, benchModel(b).WriteFile(path))
	for b.Loop() {
		m, err := Open(path)
		if err != nil {
			b.Fatal(err)
		}
		m.Close()
	}
}

func BenchmarkValidate(b *testing.B) {
	data, err := benchModel(b).Bytes()
	require.NoError(b, err)
	m, err := FromBytes(data)
	require.NoError(b, err)
	require.NoError(b, m.Validate())
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if err := m.Validate(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBuilderBytes(b *testing.B) {
	bl := benchModel(b)
	data, err := bl.Bytes()
	require.NoError(b, err)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := bl.Bytes(); err != nil {
			b.Fatal(err)
		}
	}
}
