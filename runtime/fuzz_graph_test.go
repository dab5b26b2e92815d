package runtime

import (
	"context"
	"fmt"
	"testing"
)

// FuzzGraph builds small hostile graphs from the fuzz input (random ops, wiring, weight shapes
// and attributes), loads them without format validation, and runs them: the runtime must
// answer with an error or a result, never panic.
func FuzzGraph(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})
	f.Add([]byte{10, 3, 3, 200, 7, 1, 0, 13, 2, 2, 5, 9})
	ops := []string{"Linear", "Embedding", "LayerNorm", "BatchNorm", "GELU", "GLU", "Add", "Mul", "MeanPool", "LastStep",
		"S4D", "Heaviside", "ThresholdScale", "SDNNeuron", "SpikingNeuron", "LeakyIntegrator", "CubaLIF", "Softmax", "ArgMax"}
	f.Fuzz(func(t *testing.T, in []byte) {
		pos := 0
		next := func() int {
			if pos >= len(in) {
				return 0
			}
			pos++
			return int(in[pos-1])
		}
		g := newToy(t, uint64(len(in)))
		names := []string{"input"}
		for n := 0; n < 6 && pos < len(in); n++ {
			op := ops[next()%len(ops)]
			var ins []string
			nin := next() % 10
			for i := 0; i < nin; i++ {
				switch k := next() % 4; k {
				case 0, 1:
					ins = append(ins, names[next()%len(names)])
				case 2:
					ins = append(ins, "")
				default:
					shape := []int{next() % 5}
					if next()%2 == 0 {
						shape = append(shape, next()%5)
					}
					w := g.uniform(numel(shape), -1, 1)
					ins = append(ins, g.w(fmt.Sprintf("w%d_%d", n, i), shape, w))
				}
			}
			attrs := map[string]any{}
			switch next() % 5 {
			case 1:
				attrs["bidirectional"] = int64(next() % 3)
			case 2:
				attrs["reset"] = []string{"soft", "hard", "none", "bad"}[next()%4]
			case 3:
				attrs["threshold"] = float64(next()) / 50
			case 4:
				attrs["epsilon"] = int64(next())
			}
			out := fmt.Sprintf("v%d", n)
			outs := []string{out}
			if next()%3 == 0 {
				outs = append(outs, out+"m")
			}
			g.node(op, fmt.Sprintf("n%d", n), ins, outs, attrs)
			names = append(names, outs...)
		}
		data := g.model(3, names[len(names)-1])
		m, err := LoadBytes(data, WithWorkers(2), withoutValidation())
		if err != nil {
			return
		}
		_, _ = m.Run(context.Background(), Tensor{Shape: []int{2, 5, 3}, Data: randInput(1, 30)})
		if s, err := m.NewSession(2); err == nil && s.Features() > 0 && s.Features() < 1000 {
			_, _ = s.Step(make([]float32, 2*s.Features()))
		}
	})
}
