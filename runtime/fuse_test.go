package runtime

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestFusedChainsBitIdentical: on every reference model the fused plan replaces each layer's
// S4D chain (S4D → ThresholdScale → SDNNeuron for SpikingSSMs, S4D → GELU for the S4D
// models, S4D → Heaviside for binary S4D) by one node, and Run (fused) gives exactly the
// logits of RunWith with statistics (the unfused plan), for several batch sizes and worker
// counts; a capture of a fused-away intermediate still works (unfused plan).
func TestFusedChainsBitIdentical(t *testing.T) {
	for _, c := range refCases {
		chainOp, capture := "S4D+GELU", "layer0.ssm"
		switch {
		case c.spiking:
			chainOp, capture = "S4D+ThresholdScale+SDNNeuron", "layer0.vin"
		case c.binary:
			chainOp = "S4D+Heaviside"
		}
		t.Run(c.name, func(t *testing.T) {
			data := convertCase(t, c)
			x := testDigits(t, c.long)
			L := x.Shape[1]
			for _, workers := range []int{1, 2} {
				m, err := LoadBytes(data, WithWorkers(workers))
				require.NoError(t, err)
				require.Less(t, len(m.fused.nodes), len(m.seq.nodes), "chains fused")
				chains, glus := 0, 0
				for _, n := range m.fused.nodes {
					if n.op == chainOp {
						chains++
						require.True(t, strings.HasPrefix(n.name, "layer"), n.name)
					}
					if strings.HasPrefix(n.op, "Linear+GLU") {
						glus++
						// every reference block adds the GLU output to its residual stream
						require.True(t, strings.HasPrefix(n.op, "Linear+GLU+Add"), n.op)
						if !c.spiking { // post-norm, or the next pre-norm block's norm
							require.Equal(t, "Linear+GLU+Add+LayerNorm", n.op, n.name)
						}
					}
				}
				require.Equal(t, c.layers, chains, "one S4D chain per layer")
				require.Equal(t, c.layers, glus, "one Linear+GLU per layer")
				for _, bs := range []int{1, 3} {
					if c.long && bs > 1 && testing.Short() {
						continue
					}
					in := Tensor{Shape: []int{bs, L, 1}, Data: x.Data[:bs*L]}
					fused, err := m.Run(context.Background(), in)
					require.NoError(t, err)
					res, err := m.RunWith(context.Background(), in, RunOptions{Stats: true, Capture: []string{capture}})
					require.NoError(t, err)
					unfused := res.Outputs[m.OutputNames()[0]]
					// Statistics without captures run fused and report the chains as layers.
					fst, err := m.RunWith(context.Background(), in, RunOptions{Stats: true})
					require.NoError(t, err)
					names := map[string]string{}
					for _, l := range fst.Stats.Layers {
						names[l.Op] = l.Path
					}
					require.Contains(t, names, chainOp)
					require.True(t, strings.HasPrefix(names[chainOp], "scan+"), names[chainOp])
					for i, v := range fst.Outputs[m.OutputNames()[0]].Data {
						require.Equal(t, math.Float32bits(unfused.Data[i]), math.Float32bits(v))
					}
					ust, err := m.RunWith(context.Background(), in, RunOptions{Stats: true, Unfused: true})
					require.NoError(t, err)
					require.Len(t, ust.Stats.Layers, len(m.seq.nodes))
					require.Equal(t, unfused.Shape, fused.Shape)
					for i := range fused.Data {
						require.Equal(t, math.Float32bits(unfused.Data[i]), math.Float32bits(fused.Data[i]), "workers %d batch %d logit %d", workers, bs, i)
					}
					require.Len(t, res.Captured[capture].Data, bs*L*32)
				}
				require.NoError(t, m.Close())
			}
		})
	}
}

// TestS4DElemChainLayouts: the fused S4D → GELU / Heaviside chain (full blocks scanned in
// place, a partial last block through a tile, the whole row then the elementwise op) gives
// exactly the unfused plan's outputs, for channel counts with and without a partial block,
// causal and bidirectional, batch 1 and 3, one and two workers, and on the parallel path for
// fewer rows than workers (blocks, then row chunks).
func TestS4DElemChainLayouts(t *testing.T) {
	for _, h := range []int{16, 40, 48} {
		for _, bidir := range []bool{false, true} {
			for _, act := range []string{"GELU", "Heaviside"} {
				g := newToy(t, uint64(h))
				g.linear("enc", "input", "x", 3, h)
				g.s4d("s4", "x", "y", h, 5, bidir)
				attrs := map[string]any{}
				if act == "GELU" {
					attrs["approximate"] = "none"
				}
				g.node(act, "act", []string{"y"}, []string{"z"}, attrs)
				g.out("z", -1, -2, h)
				data := g.model(3, "z")
				for _, forceParallel := range []bool{false, true} {
					saved, savedTeam := minParallelWork, minTeamRun
					if forceParallel {
						minParallelWork, minTeamRun = 0, 0
					}
					for _, workers := range []int{1, 2} {
						m, err := LoadBytes(data, WithWorkers(workers))
						require.NoError(t, err)
						require.Len(t, m.fused.nodes, 2, "enc, s4+act")
						require.Equal(t, "S4D+"+act, m.fused.nodes[1].op)
						for _, bs := range []int{1, 3} {
							L := 37
							in := Tensor{Shape: []int{bs, L, 3}, Data: randInput(uint64(bs), bs*L*3)}
							fused, err := m.Run(context.Background(), in)
							require.NoError(t, err)
							res, err := m.RunWith(context.Background(), in, RunOptions{Unfused: true})
							require.NoError(t, err)
							un := res.Outputs["z"]
							require.Equal(t, un.Shape, fused.Shape)
							for i := range un.Data {
								require.Equal(t, math.Float32bits(un.Data[i]), math.Float32bits(fused.Data[i]),
									"H %d bidir %v %s parallel %v workers %d batch %d element %d", h, bidir, act, forceParallel, workers, bs, i)
							}
						}
						require.NoError(t, m.Close())
					}
					minParallelWork, minTeamRun = saved, savedTeam
				}
			}
		}
	}
}

// TestLinearGLUResidualChain: Linear → GLU → Add → LayerNorm fuses into one chain that gives
// exactly the unfused plan's outputs, with the GLU output as either operand of the Add, with
// the sum also read elsewhere (a graph output: written by the chain), without the LayerNorm,
// and for 1, 64 and 150 rows per sequence (chunks); a residual that broadcasts (a per-channel
// constant) is left to the unfused ops.
func TestLinearGLUResidualChain(t *testing.T) {
	const h = 24
	cases := []struct {
		name    string
		first   bool // GLU output as the Add's first operand
		ln      bool
		sumOut  bool // the sum is a graph output too
		bcast   bool // residual is a (H) constant
		wantOp  string
		outputs []string
	}{
		{"post-norm", false, true, false, false, "Linear+GLU+Add+LayerNorm", []string{"z"}},
		{"glu-first", true, true, false, false, "Linear+GLU+Add+LayerNorm", []string{"z"}},
		{"sum-read", false, true, true, false, "Linear+GLU+Add+LayerNorm", []string{"z", "s"}},
		{"no-norm", true, false, false, false, "Linear+GLU+Add", []string{"s"}},
		{"broadcast", false, false, false, true, "Linear+GLU+Add", []string{"s"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := newToy(t, 5)
			g.linear("enc", "input", "x", 3, h)
			g.linear("proj", "x", "p", h, 2*h)
			g.node("GLU", "glu", []string{"p"}, []string{"gl"}, nil)
			res := "x"
			if c.bcast {
				res = g.w("shift", []int{h}, g.randn(h, 1))
			}
			ins := []string{res, "gl"}
			if c.first {
				ins = []string{"gl", res}
			}
			g.node("Add", "add", ins, []string{"s"}, nil)
			if c.ln {
				g.layerNorm("norm", "s", "z", h)
				g.out("z", -1, -2, h)
			}
			g.out("s", -1, -2, h)
			data := g.model(3, c.outputs...)
			for _, workers := range []int{1, 2} {
				m, err := LoadBytes(data, WithWorkers(workers))
				require.NoError(t, err)
				require.Len(t, m.fused.nodes, 2)
				require.Equal(t, c.wantOp, m.fused.nodes[1].op)
				for _, L := range []int{1, 64, 150} {
					in := Tensor{Shape: []int{2, L, 3}, Data: randInput(uint64(L), 2*L*3)}
					fused, err := m.RunWith(context.Background(), in, RunOptions{})
					require.NoError(t, err)
					un, err := m.RunWith(context.Background(), in, RunOptions{Unfused: true})
					require.NoError(t, err)
					for _, name := range c.outputs {
						require.Equal(t, un.Outputs[name].Shape, fused.Outputs[name].Shape, name)
						for i, v := range un.Outputs[name].Data {
							require.Equal(t, math.Float32bits(v), math.Float32bits(fused.Outputs[name].Data[i]), "%s workers %d L %d %s[%d]", c.name, workers, L, name, i)
						}
					}
				}
				require.NoError(t, m.Close())
			}
		})
	}
}
