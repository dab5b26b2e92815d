package runtime

import (
	"context"
	"math"
	goruntime "runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestSubBatchSplit: a batch whose activations exceed subBatchBytes runs as sub-batches with
// exactly the outputs of one unsplit run, and statistics that add up to the unsplit ones.
func TestSubBatchSplit(t *testing.T) {
	c := refCases[len(refCases)-1] // spikingssm_sdn_long: L = 1024, one sequence per sub-batch
	require.Equal(t, "spikingssm_sdn_long", c.name)
	data := convertCase(t, c)
	x := testDigits(t, true)
	const B = 3
	in := Tensor{Shape: []int{B, 1024, 1}, Data: x.Data[:B*1024]}
	m, err := LoadBytes(data, WithWorkers(2))
	require.NoError(t, err)
	require.Equal(t, 64, m.maxWidth, "widest activation: the GLU input 2H")
	require.Equal(t, 1, m.subBatch(in.Shape))

	split, err := m.RunWith(context.Background(), in, RunOptions{Stats: true})
	require.NoError(t, err)
	saved := subBatchBytes
	subBatchBytes = 1 << 40 // one run for the whole batch (with one worker)
	defer func() { subBatchBytes = saved }()
	m1, err := LoadBytes(data, WithWorkers(1))
	require.NoError(t, err)
	require.GreaterOrEqual(t, m1.subBatch(in.Shape), B)
	require.Equal(t, 2, m.subBatch(in.Shape), "two workers: at most ceil(B/2) per sub-batch")
	whole, err := m1.RunWith(context.Background(), in, RunOptions{Stats: true})
	require.NoError(t, err)
	subBatchBytes = saved

	require.Equal(t, len(whole.Outputs), len(split.Outputs))
	for name, w := range whole.Outputs {
		s := split.Outputs[name]
		require.Equal(t, w.Shape, s.Shape, name)
		for i := range w.Data {
			require.Equal(t, math.Float32bits(w.Data[i]), math.Float32bits(s.Data[i]), "%s[%d]", name, i)
		}
	}
	require.Len(t, split.Stats.Layers, len(whole.Stats.Layers))
	for i, w := range whole.Stats.Layers {
		s := split.Stats.Layers[i]
		require.Equal(t, w.Name, s.Name)
		require.Equal(t, w.SynOps, s.SynOps, w.Name)
		require.Equal(t, w.DenseMACs, s.DenseMACs, w.Name)
		require.InDelta(t, w.SpikeRate, s.SpikeRate, 1e-12, w.Name)
		require.InDelta(t, w.InputSpikeRate, s.InputSpikeRate, 1e-12, w.Name)
	}
	// Plain Run splits too; a capture keeps the whole batch in one run.
	out, err := m.Run(context.Background(), in)
	require.NoError(t, err)
	require.Equal(t, whole.Outputs[m.OutputNames()[0]].Data, out.Data)
	cap, err := m.RunWith(context.Background(), in, RunOptions{Capture: []string{"layer0.vin"}})
	require.NoError(t, err)
	require.Len(t, cap.Captured["layer0.vin"].Data, B*1024*32)
	// Bad input is rejected before any sub-batch runs, naming the whole input.
	bad := append([]float32(nil), in.Data...)
	bad[2*1024+5] = float32(math.NaN())
	_, err = m.Run(context.Background(), Tensor{Shape: in.Shape, Data: bad})
	require.ErrorContains(t, err, "NaN")
}

// TestNodeReadsValueTwice: a node that reads one value twice (Add(x, x)) frees it once
// (FuzzGraph found the second free dereferencing nil), in plain and split runs.
func TestNodeReadsValueTwice(t *testing.T) {
	g := newToy(t, 9)
	g.linear("enc", "input", "x", 3, 4)
	g.node("Add", "twice", []string{"x", "x"}, []string{"y"}, nil)
	g.out("y", -1, -2, 4)
	m, err := LoadBytes(g.model(3, "y"), WithWorkers(2))
	require.NoError(t, err)
	in := Tensor{Shape: []int{2, 5, 3}, Data: randInput(1, 30)}
	res, err := m.RunWith(context.Background(), in, RunOptions{Capture: []string{"x"}})
	require.NoError(t, err)
	x := res.Captured["x"]
	for _, opts := range []RunOptions{{}, {Stats: true}} {
		r, err := m.RunWith(context.Background(), in, opts)
		require.NoError(t, err)
		y := r.Outputs["y"]
		require.Len(t, y.Data, len(x.Data))
		for i, v := range x.Data {
			require.Equal(t, v+v, y.Data[i])
		}
	}
}

// TestRowPipeline: a plain Run of a batch goes one sequence at a time through the whole graph
// (rows.go) and gives exactly the bits of the op-at-a-time run of the whole batch, on every
// reference model (S4D, SpikingSSM, binary S4D, SPikE-SSM neurons, fused and unfused plans),
// with one and two workers, and a second run of another batch size reuses nothing stale.
func TestRowPipeline(t *testing.T) {
	cases := append([]refCase(nil), refCases...)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			data := convertCase(t, c)
			x := testDigits(t, c.long)
			L := x.Shape[1]
			batches := []int{2, 5, 3}
			if c.long {
				batches = []int{2}
			}
			for _, workers := range []int{1, 2} {
				m, err := LoadBytes(data, WithWorkers(workers))
				require.NoError(t, err)
				for _, bs := range batches {
					in := Tensor{Shape: []int{bs, L, 1}, Data: x.Data[:bs*L]}
					for _, unfused := range []bool{false, true} {
						rows, err := m.RunWith(context.Background(), in, RunOptions{Unfused: unfused})
						require.NoError(t, err)
						saved := rowPipelineMinBatch
						rowPipelineMinBatch = 1 << 30
						whole, err := m.RunWith(context.Background(), in, RunOptions{Unfused: unfused})
						rowPipelineMinBatch = saved
						require.NoError(t, err)
						for name, w := range whole.Outputs {
							r := rows.Outputs[name]
							require.Equal(t, w.Shape, r.Shape, name)
							for i := range w.Data {
								require.Equal(t, math.Float32bits(w.Data[i]), math.Float32bits(r.Data[i]), "workers %d batch %d unfused %v %s[%d]", workers, bs, unfused, name, i)
							}
						}
					}
				}
				require.NoError(t, m.Close())
			}
		})
	}
}

// TestRowPipelineSpikeSSM: the same for the SPikE-SSM reference model (refractory neurons,
// spike-sparse Linear), on 64-step inputs so that batches stay whole.
func TestRowPipelineSpikeSSM(t *testing.T) {
	data, _ := loadSpikeSSMRef(t)
	x := testDigits(t, true)
	const L, bs = 64, 5
	in := Tensor{Shape: []int{bs, L, 1}, Data: make([]float32, bs*L)}
	for b := range bs {
		copy(in.Data[b*L:], x.Data[b*1024+300:b*1024+300+L])
	}
	m, err := LoadBytes(data, WithWorkers(1))
	require.NoError(t, err)
	require.GreaterOrEqual(t, m.subBatch(in.Shape), bs, "one run for the batch")
	rows, err := m.Run(context.Background(), in)
	require.NoError(t, err)
	saved := rowPipelineMinBatch
	rowPipelineMinBatch = 1 << 30
	whole, err := m.Run(context.Background(), in)
	rowPipelineMinBatch = saved
	require.NoError(t, err)
	require.Equal(t, whole.Shape, rows.Shape)
	for i := range whole.Data {
		require.Equal(t, math.Float32bits(whole.Data[i]), math.Float32bits(rows.Data[i]), "logit %d", i)
	}
}

// TestRowPipelineProgram: the row program of a pipelined run shares activation buffers
// between values whose lifetimes do not overlap, keeps graph outputs apart, and zeroes the
// state of every stateful op before each sequence (a batch of two equal sequences gives two
// equal rows).
func TestRowPipelineProgram(t *testing.T) {
	c := refCases[3] // spikingssm_sdn: S4D, SDN history, MeanPool
	require.Equal(t, "spikingssm_sdn", c.name)
	data := convertCase(t, c)
	x := testDigits(t, false)
	m, err := LoadBytes(data, WithWorkers(1))
	require.NoError(t, err)
	L := x.Shape[1]
	in := Tensor{Shape: []int{2, L, 1}, Data: append(append([]float32(nil), x.Data[:L]...), x.Data[:L]...)}
	out, err := m.Run(context.Background(), in)
	require.NoError(t, err)
	n := len(out.Data) / 2
	require.Equal(t, out.Data[:n], out.Data[n:], "same sequence, same logits: state cleared between rows")

	// Inspect a run state of our own: the Run's state went back to a sync.Pool, which may
	// drop it at any time (the race detector drops a quarter of all Puts on purpose).
	p := m.fused
	rs := &runState{ws: make([]scratch, m.workers)}
	require.NoError(t, rs.prepare(p, in.Shape))
	res, err := m.runRows(context.Background(), p, rs, in)
	require.NoError(t, err)
	require.NotNil(t, res, "the plan runs as a row pipeline")
	require.Len(t, res.Outputs, 1)
	for _, o := range res.Outputs {
		require.Equal(t, out.Data, o.Data, "row pipeline vs Run")
	}
	rp := rs.rows
	require.NotNil(t, rp, "the row pipeline kept its program")
	distinct := map[*float32]bool{}
	acts := 0
	for i, v := range p.values {
		if v.isConst || v.producer < 0 || len(rp.tv[i].data) == 0 {
			continue
		}
		acts++
		distinct[&rp.tv[i].data[0]] = true
	}
	require.Less(t, len(distinct), acts, "activation buffers are reused")
	// A graph output lives from its producer to the end; any other activation from its
	// producer to its last reader (its producer when nothing reads it): live ranges that
	// overlap never share a buffer.
	prod := make([]int, len(p.values)) // producing node of the fused plan
	for i := range prod {
		prod[i] = -1
	}
	for _, nd := range p.nodes {
		for _, oi := range nd.out {
			if oi >= 0 {
				prod[oi] = nd.idx
			}
		}
	}
	for _, o := range p.outputs {
		for i, v := range p.values {
			if i == o || v.isConst || prod[i] < 0 || len(rp.tv[i].data) == 0 {
				continue
			}
			end := max(p.lastUse[i], prod[i])
			if end >= prod[o] {
				require.NotSame(t, &rp.tv[o].data[0], &rp.tv[i].data[0], "output %s shares its buffer with %s", p.values[o].name, v.name)
			}
		}
	}
}

// TestTeamHelpersExit: the helpers of a Run's team stop when the Run ends (nothing runs
// between Runs), and a Run with a team gives the bits of a one-worker Run.
func TestTeamHelpersExit(t *testing.T) {
	c := refCases[len(refCases)-1] // spikingssm_sdn_long: one 1024-step sequence starts a team
	data := convertCase(t, c)
	x := testDigits(t, true)
	in := Tensor{Shape: []int{1, 1024, 1}, Data: x.Data[:1024]}
	m1, err := LoadBytes(data, WithWorkers(1))
	require.NoError(t, err)
	want, err := m1.Run(context.Background(), in)
	require.NoError(t, err)
	m, err := LoadBytes(data, WithWorkers(3))
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(in.Data)*m.maxWidth, minTeamRun, "this Run starts a team")
	base := goruntime.NumGoroutine()
	for range 5 {
		got, err := m.Run(context.Background(), in)
		require.NoError(t, err)
		require.Equal(t, want.Data, got.Data)
	}
	deadline := time.Now().Add(5 * time.Second)
	for goruntime.NumGoroutine() > base && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	require.LessOrEqual(t, goruntime.NumGoroutine(), base, "team helpers still running after the Runs")
}
