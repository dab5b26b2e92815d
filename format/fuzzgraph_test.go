package format

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// byteSource hands out fuzz bytes as small choices (zeros when exhausted).
type byteSource struct {
	b []byte
	i int
}

func (s *byteSource) next(n int) int {
	if n <= 0 {
		return 0
	}
	if s.i >= len(s.b) {
		return 0
	}
	v := int(s.b[s.i])
	s.i++
	return v % n
}

// FuzzGraph builds structurally valid files with arbitrary (mostly wrong) graphs —
// any op, any wiring, any shapes and attributes — and checks that Validate, Describe,
// DeriveStep and TopoOrder never panic on them.
func FuzzGraph(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{3, 1, 2, 0, 5, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20})
	f.Add([]byte("S4D SpikingNeuron MeanPool Linear ArgMax GLU Add"))
	ops := OpSpecs()
	f.Fuzz(func(t *testing.T, data []byte) {
		s := &byteSource{b: data}
		b := NewBuilder()
		dims := []int64{0, 1, 2, 3, 4, 8}
		var names []string
		for i := 0; i < s.next(6); i++ {
			rank := s.next(4)
			shape := make([]int64, rank)
			n := int64(1)
			for k := range shape {
				shape[k] = dims[s.next(len(dims))]
				n *= shape[k]
			}
			vals := make([]float32, n)
			for k := range vals {
				vals[k] = float32(s.next(5)) - 1.5
			}
			name := string(rune('a'+i)) + "w"
			require.NoError(t, b.AddFloat32(name, shape, vals))
			names = append(names, name)
		}
		symbols := []Dim{Sym("B"), Sym("L"), Fixed(0), Fixed(1), Fixed(2), Fixed(4), Fixed(8), {Value: -1}}
		inShape := make([]Dim, s.next(5))
		for k := range inShape {
			inShape[k] = symbols[s.next(len(symbols))]
		}
		g := Graph{Name: GraphSequence, Inputs: []ValueInfo{{Name: "x", DType: DType(s.next(10)), Shape: inShape}}}
		names = append(names, "x", "dangling", "")
		for i := 0; i < s.next(8); i++ {
			spec := ops[s.next(len(ops))]
			n := Node{Name: "n" + string(rune('0'+i)), Op: spec.Op, Version: s.next(3), Attrs: map[string]any{}}
			for k := 0; k < s.next(len(spec.Inputs)+3); k++ {
				n.Inputs = append(n.Inputs, names[s.next(len(names))])
			}
			for k := 0; k < s.next(len(spec.Outputs)+2); k++ {
				out := n.Name + "_o" + string(rune('0'+k))
				n.Outputs = append(n.Outputs, out)
				names = append(names, out)
			}
			for k := 0; k < s.next(3); k++ {
				if len(spec.Attrs) == 0 {
					n.Attrs["bogus"] = int64(1)
					continue
				}
				a := spec.Attrs[s.next(len(spec.Attrs))]
				switch s.next(5) {
				case 0:
					n.Attrs[a.Name] = int64(s.next(3))
				case 1:
					n.Attrs[a.Name] = float64(s.next(3)) - 1
				case 2:
					if len(a.Enum) > 0 {
						n.Attrs[a.Name] = a.Enum[s.next(len(a.Enum))]
					} else {
						n.Attrs[a.Name] = "x"
					}
				case 3:
					n.Attrs[a.Name] = []int64{1, 2}
				default:
					n.Attrs[a.Name] = []float64{1}
				}
			}
			g.Nodes = append(g.Nodes, n)
		}
		if len(names) > 0 {
			g.Outputs = append(g.Outputs, ValueInfo{Name: names[len(names)-1], DType: F32, Shape: inShape})
		}
		require.NoError(t, b.AddGraph(g))
		if st, err := b.DeriveStep(g); err == nil && s.next(2) == 1 {
			require.NoError(t, b.AddGraph(st))
		}
		raw, err := b.Bytes()
		require.NoError(t, err)
		m, err := FromBytes(raw)
		require.NoError(t, err)
		exercise(m)
	})
}
