package nir

import (
	"context"
	"testing"

	"github.com/spikessm/spikessm/runtime"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestStepMatchesSequence streams converted recurrent models step by step
// through the derived `step` graph and compares with the sequence run.
func TestStepMatchesSequence(t *testing.T) {
	for _, tc := range []struct {
		file string
		conv func() ([]byte, error)
	}{
		{"braille_noDelay_bias_zero_subgraph.nir", func() ([]byte, error) {
			b, err := ConvertFile(fixture("braille_noDelay_bias_zero_subgraph.nir"), Options{DT: 1e-4})
			if err != nil {
				return nil, err
			}
			return b.Bytes()
		}},
		{"synthetic_all.nir", func() ([]byte, error) {
			b, err := ConvertFile("testdata/synthetic_all.nir", Options{DT: 1e-4, Discretization: ZOH})
			if err != nil {
				return nil, err
			}
			return b.Bytes()
		}},
		{"snntorch_leaky.pt", func() ([]byte, error) {
			b, err := ConvertSnnTorch("testdata/snntorch_leaky.pt", Options{})
			if err != nil {
				return nil, err
			}
			return b.Bytes()
		}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			raw, err := tc.conv()
			require.NoError(t, err)
			m, err := runtime.LoadBytes(raw)
			require.NoError(t, err)
			defer m.Close()
			F := int(m.InputInfo()[0].Shape[2].Value)
			const B, L = 2, 150
			x, _ := spikeInput(B, L, F, 0.4, 21)
			for i := range x {
				x[i] *= 4
			}
			seq, err := m.Run(context.Background(), runtime.Tensor{Shape: []int{B, L, F}, Data: x})
			require.NoError(t, err)
			C := seq.Shape[2]
			s, err := m.NewSession(B)
			require.NoError(t, err)
			step := make([]float32, B*F)
			diff := 0
			for l := 0; l < L; l++ {
				for b := 0; b < B; b++ {
					copy(step[b*F:(b+1)*F], x[(b*L+l)*F:(b*L+l+1)*F])
				}
				y, err := s.Step(step)
				require.NoError(t, err)
				require.Len(t, y, B*C)
				for b := 0; b < B; b++ {
					for c := 0; c < C; c++ {
						if y[b*C+c] != seq.Data[(b*L+l)*C+c] {
							diff++
						}
					}
				}
			}
			assert.Zero(t, diff, "step outputs differ from the sequence run")
		})
	}
}
