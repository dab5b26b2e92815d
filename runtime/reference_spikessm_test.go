package runtime

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/spikessm/spikessm/convert"
	"github.com/spikessm/spikessm/convert/safetensors"
	"github.com/stretchr/testify/require"
)

// The SPikE-SSM reference model trained by tools/torchref (prenorm LayerNorm → S4D →
// refractory soft-reset SpikingNeuron → Linear → GLU → residual; L = 1024).
const spikessmRefDir = "../testdata/spikessm_ref/L1024"

func loadSpikeSSMRef(t testing.TB) ([]byte, fixture) {
	r, err := convert.ConvertFile(filepath.Join(spikessmRefDir, "model.pt"), convert.Options{Arch: convert.ArchSpikeSSMRef})
	require.NoError(t, err)
	data, err := r.Bytes()
	require.NoError(t, err)
	f, err := safetensors.ReadFile(filepath.Join(spikessmRefDir, "io.safetensors"))
	require.NoError(t, err)
	var man struct {
		TestPredictions []int `json:"test_predictions"`
	}
	raw, err := os.ReadFile(filepath.Join(spikessmRefDir, "manifest.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &man))
	require.Len(t, man.TestPredictions, 360)
	return data, fixture{f: f, preds: man.TestPredictions}
}

// TestSpikeSSMRefTeacherForced: each layer fed the fixture's input: the S4D output is close
// and, fed the fixture's S4D output, the neuron reproduces PyTorch's membrane and spikes.
func TestSpikeSSMRefTeacherForced(t *testing.T) {
	data, fx := loadSpikeSSMRef(t)
	m, err := LoadBytes(data)
	require.NoError(t, err)
	in, _ := fx.tensor(t, "input")
	in = first(in, 1)
	for i := 0; i < 2; i++ {
		p := fmt.Sprintf("layer%d", i)
		get := func(res *Result, n string) ([]float32, []float32) {
			w, ok := fx.tensor(t, n)
			require.True(t, ok, n)
			return w.Data, res.Captured[n].Data
		}
		x, _ := fx.tensor(t, p+".in")
		inj := map[string]Tensor{p + ".in": x}
		if i > 0 {
			prev, _ := fx.tensor(t, fmt.Sprintf("layer%d.out", i-1))
			inj[fmt.Sprintf("layer%d.out", i-1)] = prev
		}
		res, err := m.RunWith(context.Background(), in, RunOptions{Inject: inj, Capture: []string{p + ".ssm"}})
		require.NoError(t, err)
		ws, gs := get(res, p+".ssm")
		t.Logf("%s.ssm max |diff| %.3g", p, maxAbsDiff(ws, gs))
		requireClose(t, p+".ssm", f64(ws), gs, 5e-4, 1e-5) // L = 1024 FFT in the fixture, see TestReferenceLongScanFloat64
		// The neuron alone, fed the fixture's ssm.
		ssm, _ := fx.tensor(t, p+".ssm")
		res, err = m.RunWith(context.Background(), in, RunOptions{Inject: map[string]Tensor{p + ".ssm": ssm}, Capture: []string{p + ".mem", p + ".spikes"}})
		require.NoError(t, err)
		wm, gm := get(res, p+".mem")
		requireClose(t, p+".mem", f64(wm), gm, 1e-5, 1e-6)
		wsp, gsp := get(res, p+".spikes")
		theta, _ := fx.tensor(t, p+".neuron.theta")
		flips := 0
		for j := range wsp {
			if wsp[j] != gsp[j] {
				flips++
				margin := math.Abs(float64(wm[j]) - float64(theta.Data[j%32]))
				require.LessOrEqual(t, margin, 1e-3, "%s spike %d flipped at margin %g", p, j, margin)
			}
		}
		t.Logf("%s: neuron fed the fixture's ssm: mem max |diff| %.3g, %d/%d spikes differ", p, maxAbsDiff(wm, gm), flips, len(wsp))
		require.LessOrEqual(t, float64(flips), 1e-4*float64(len(wsp)))
	}
}

// TestSpikeSSMRefEndToEnd: logits of the io batch and labels of the whole test split. One
// flipped spike of the refractory neuron changes every later membrane value of its channel, so
// PyTorch's own float32 and float64 runs of the same weights differ in the logits (manifest
// float32_vs_float64: 0.024 on the io batch, 0.070 on the test split, with 14/84 flips of
// 524 288 spikes on the io sample). The runtime, another float32 evaluation order, is held to
// 1.5 × that spread, and to at least 358 of 360 equal predictions.
func TestSpikeSSMRefEndToEnd(t *testing.T) {
	data, fx := loadSpikeSSMRef(t)
	raw, err := os.ReadFile(filepath.Join(spikessmRefDir, "manifest.json"))
	require.NoError(t, err)
	var man struct {
		F32vsF64 struct {
			IO   float64 `json:"max_abs_diff_logits"`
			Test float64 `json:"test_max_abs_diff_logits"`
		} `json:"float32_vs_float64"`
	}
	require.NoError(t, json.Unmarshal(raw, &man))
	require.Positive(t, man.F32vsF64.Test, "manifest lacks float32_vs_float64")
	m, err := LoadBytes(data)
	require.NoError(t, err)
	in, _ := fx.tensor(t, "input")
	want, _ := fx.tensor(t, "logits")
	got, err := m.Run(context.Background(), in)
	require.NoError(t, err)
	d := maxAbsDiff(want.Data, got.Data)
	x := testDigits(t, true)
	testLogits, _ := fx.tensor(t, "test_logits")
	agree, worst := 0, 0.0
	for b0 := 0; b0 < 360; b0 += 16 {
		bn := min(16, 360-b0)
		out, err := m.Run(context.Background(), Tensor{Shape: []int{bn, 1024, 1}, Data: x.Data[b0*1024 : (b0+bn)*1024]})
		require.NoError(t, err)
		worst = math.Max(worst, maxAbsDiff(testLogits.Data[b0*10:(b0+bn)*10], out.Data))
		for i, p := range argmaxRows(out.Data, 10) {
			if p == fx.preds[b0+i] {
				agree++
			}
		}
	}
	t.Logf("spikessm_ref: io logits max |diff| %.3g; test split %d/360 predictions equal, test_logits max |diff| %.3g", d, agree, worst)
	require.LessOrEqual(t, d, math.Max(1e-4, 1.5*man.F32vsF64.IO))
	require.LessOrEqual(t, worst, math.Max(1e-4, 1.5*man.F32vsF64.Test))
	require.GreaterOrEqual(t, agree, 358)
}
