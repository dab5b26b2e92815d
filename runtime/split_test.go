package runtime

import (
	"context"
	"math"
	"testing"

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
