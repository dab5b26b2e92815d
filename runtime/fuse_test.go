package runtime

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestFusedChainsBitIdentical: on the SpikingSSM reference models the fused plan replaces
// every S4D → ThresholdScale → SDNNeuron chain by one node, and Run (fused) gives exactly
// the logits of RunWith with statistics (the unfused plan), for several batch sizes and
// worker counts; a capture of a fused-away intermediate still works (unfused plan).
func TestFusedChainsBitIdentical(t *testing.T) {
	for _, c := range refCases {
		if !c.spiking {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			data := convertCase(t, c)
			x := testDigits(t, c.long)
			L := x.Shape[1]
			for _, workers := range []int{1, 2} {
				m, err := LoadBytes(data, WithWorkers(workers))
				require.NoError(t, err)
				require.Less(t, len(m.fused.nodes), len(m.seq.nodes), "chains fused")
				chains := 0
				for _, n := range m.fused.nodes {
					if n.op == "S4D+ThresholdScale+SDNNeuron" {
						chains++
						require.True(t, strings.HasSuffix(n.name, ".neuron"), n.name)
					}
				}
				require.Equal(t, c.layers, chains, "one chain per layer")
				for _, bs := range []int{1, 3} {
					if c.long && bs > 1 && testing.Short() {
						continue
					}
					in := Tensor{Shape: []int{bs, L, 1}, Data: x.Data[:bs*L]}
					fused, err := m.Run(context.Background(), in)
					require.NoError(t, err)
					res, err := m.RunWith(context.Background(), in, RunOptions{Stats: true, Capture: []string{"layer0.vin"}})
					require.NoError(t, err)
					unfused := res.Outputs[m.OutputNames()[0]]
					require.Equal(t, unfused.Shape, fused.Shape)
					for i := range fused.Data {
						require.Equal(t, math.Float32bits(unfused.Data[i]), math.Float32bits(fused.Data[i]), "workers %d batch %d logit %d", workers, bs, i)
					}
					require.Len(t, res.Captured["layer0.vin"].Data, bs*L*32)
				}
				require.NoError(t, m.Close())
			}
		})
	}
}
