package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const refRootForTests = "../testdata/reference"

// convertedCase converts a fixture checkpoint once per test binary.
func convertedCase(t testing.TB, c string) []byte {
	t.Helper()
	b, err := ConvertCase(context.Background(), filepath.Join(refRootForTests, c), c)
	require.NoError(t, err, c)
	return b
}

func TestModelSweep(t *testing.T) {
	s4d := convertedCase(t, "s4d_example")
	sdn := convertedCase(t, "spikingssm_sdn") // bidirectional: sequence only
	dir := t.TempDir()
	p := filepath.Join(dir, "s4d_example.ssm")
	require.NoError(t, os.WriteFile(p, s4d, 0o644))

	rep, err := Run(context.Background(), Config{
		Models:        []string{p},
		ModelBytes:    map[string][]byte{"sdn": sdn},
		Batches:       []int{1, 2},
		SeqLens:       []int{8},
		Workers:       []int{1, 2},
		Warmup:        1,
		Reps:          2,
		MinSampleTime: time.Millisecond,
	})
	require.NoError(t, err)
	// s4d_example: 2 modes × 2 batches × 2 workers; sdn: sequence only, 2 × 2.
	require.Len(t, rep.Cases, 8+4)
	hashes := map[string]string{}
	for _, c := range rep.Cases {
		assert.Equal(t, "model", c.Kernel)
		assert.NotEmpty(t, c.Variant)
		assert.Len(t, c.ModelHash, 64, c.Name)
		assert.Len(t, c.Samples, 2)
		model := c.Params["model"].(string)
		if h, ok := hashes[model]; ok {
			assert.Equal(t, h, c.ModelHash)
		}
		hashes[model] = c.ModelHash
		B := float64(c.Params["batch"].(int))
		L := float64(c.Params["seq_len"].(int))
		assert.Equal(t, 8.0, L)
		assert.InDelta(t, c.MedianNs/1e6/B, c.Metrics["ms/seq"], 1e-12, c.Name)
		assert.InDelta(t, B*L*1e3/c.MedianNs, c.Metrics["Msteps/s"], 1e-9, c.Name)
		if model == "sdn" {
			assert.Equal(t, "sequence", c.Params["mode"], "a bidirectional model has no step rows")
			// the observed firing rate of the SDN layers (fixture: 0.06 and 0.14 on digits)
			assert.Greater(t, c.Metrics["spike_rate"], 0.0, c.Name)
			assert.Less(t, c.Metrics["spike_rate"], 1.0, c.Name)
		} else {
			_, ok := c.Metrics["spike_rate"]
			assert.False(t, ok, "s4d_example has no spiking op: %s", c.Name)
		}
		assert.Greater(t, c.Params["weight_bytes"].(int64), int64(10000), c.Name)
		if c.Params["mode"] == "step" {
			// s4d_example: 2 layers × H 32 × 8 complex modes × 8 bytes of S4D state, at least.
			sb := c.Params["state_bytes_per_stream"].(int64)
			assert.GreaterOrEqual(t, sb, int64(2*32*8*8), c.Name)
			want := float64(c.Params["weight_bytes"].(int64)) + 2*float64(sb)*B
			assert.Equal(t, want, c.Metrics["bytes/step_call"], c.Name)
			assert.InDelta(t, want/(c.MedianNs/L), c.Metrics["GB/s"], 1e-9*c.Metrics["GB/s"], c.Name)
			t.Logf("%s: state %d B/stream, weights %d B, %.0f ns/step call", c.Name, sb, c.Params["weight_bytes"], c.Metrics["ns/step_call"])
		}
		assert.True(t, strings.HasPrefix(c.Name, "model="+model+"/mode="), c.Name)
	}
	assert.NotEqual(t, hashes["s4d_example"], hashes["sdn"])

	_, err = Run(context.Background(), Config{Models: []string{filepath.Join(dir, "missing.ssm")}})
	assert.ErrorContains(t, err, "missing.ssm")
	_, err = Run(context.Background(), Config{ModelBytes: map[string][]byte{"junk": []byte("not a model")}})
	assert.ErrorContains(t, err, "junk")
}

func TestRunPeersWithoutPython(t *testing.T) {
	rs, err := RunPeers(context.Background(), PeerConfig{
		Python: "/nonexistent/python3", Root: refRootForTests, Cases: []string{"s4d_example"},
		Batches: []int{1, 2}, Threads: []int{1}, Reps: 1, MinSampleTime: time.Millisecond,
	})
	require.NoError(t, err)
	require.Len(t, rs, 2)
	for _, r := range rs {
		assert.Contains(t, r.Skipped, "/nonexistent/python3 not found")
		assert.Zero(t, r.PeerMsPerSeq, "no faked numbers")
		assert.Empty(t, r.PeerSamplesMs)
		assert.Zero(t, r.Ratio)
		assert.Zero(t, r.Speedup)
		// spikessm still verified and measured on its own
		assert.True(t, r.SpikessmVerified)
		assert.Less(t, r.SpikessmMaxAbsDiff, 1e-4)
		assert.Greater(t, r.SpikessmMsPerSeq, 0.0)
	}
	var buf bytes.Buffer
	require.NoError(t, WritePeerTable(&buf, rs))
	assert.Contains(t, buf.String(), "not found")

	// An interpreter without torch (the script then prints available=false), and one that
	// crashes: both reported, never numbers.
	dir := t.TempDir()
	noTorch := filepath.Join(dir, "python-no-torch")
	require.NoError(t, os.WriteFile(noTorch, []byte("#!/bin/sh\necho '{\"peer\": \"pytorch\", \"available\": false, \"error\": \"torch not importable: No module named torch\"}'\nexit 2\n"), 0o755))
	crash := filepath.Join(dir, "python-crash")
	require.NoError(t, os.WriteFile(crash, []byte("#!/bin/sh\necho 'Traceback: boom' >&2\nexit 1\n"), 0o755))
	for py, want := range map[string]string{noTorch: "torch not importable", crash: "boom"} {
		rs, err := RunPeers(context.Background(), PeerConfig{
			Python: py, Root: refRootForTests, Cases: []string{"s4d_example"},
			Batches: []int{1}, Threads: []int{1}, Reps: 1, MinSampleTime: time.Millisecond,
		})
		require.NoError(t, err)
		require.Len(t, rs, 1)
		assert.Contains(t, rs[0].Skipped, want)
		assert.Zero(t, rs[0].PeerMsPerSeq)
		assert.Zero(t, rs[0].Ratio)
	}

	_, err = RunPeers(context.Background(), PeerConfig{Root: filepath.Join(t.TempDir(), "nope")})
	assert.ErrorContains(t, err, "not found")
	_, err = RunPeers(context.Background(), PeerConfig{Root: refRootForTests, Batches: []int{0}})
	assert.ErrorContains(t, err, "positive")
}

// TestRunPeersTorch runs the real peer when /usr/bin/python3 can import torch, and checks
// that its absence is reported rather than faked otherwise.
func TestRunPeersTorch(t *testing.T) {
	hasTorch := exec.Command("/usr/bin/python3", "-c", "import torch").Run() == nil
	var prog bytes.Buffer
	rs, err := RunPeers(context.Background(), PeerConfig{
		Root: refRootForTests, Cases: []string{"s4d_example", "spikingssm_sdn", "spikessm_ref_L64"},
		Batches: []int{2}, Threads: []int{1}, Warmup: 1, Reps: 2, MinSampleTime: 5 * time.Millisecond,
		Progress: &prog,
	})
	require.NoError(t, err)
	require.Len(t, rs, 3)
	for _, r := range rs {
		assert.Equal(t, "pytorch", r.Peer)
		assert.Equal(t, 2, r.Batch)
		assert.Equal(t, 1, r.Threads)
		if !hasTorch {
			assert.NotEmpty(t, r.Skipped)
			assert.Zero(t, r.PeerMsPerSeq)
			continue
		}
		require.Empty(t, r.Skipped, r.Case)
		assert.True(t, r.PeerVerified, r.Case)
		assert.Less(t, r.PeerMaxAbsDiff, 1e-4, r.Case)
		assert.Equal(t, 1e-4, r.Tolerance)
		require.Len(t, r.PeerSamplesMs, 2)
		assert.InDelta(t, median(r.PeerSamplesMs)/2, r.PeerMsPerSeq, 1e-9)
		require.Empty(t, r.SpikessmSkipped, r.Case)
		assert.True(t, r.SpikessmVerified, r.Case)
		require.Len(t, r.SpikessmSamplesMs, 2)
		assert.InDelta(t, median(r.SpikessmSamplesMs)/2, r.SpikessmMsPerSeq, 1e-9)
		assert.InDelta(t, r.SpikessmMsPerSeq/r.PeerMsPerSeq, r.Ratio, 1e-12)
		assert.InDelta(t, 1/r.Ratio, r.Speedup, 1e-9)
		pmin, _ := minMax(r.PeerSamplesMs)
		smin, _ := minMax(r.SpikessmSamplesMs)
		assert.InDelta(t, smin/pmin, r.RatioBest, 1e-12)
	}
	if !hasTorch {
		return
	}
	assert.Contains(t, prog.String(), "torch_peer: s4d_example B=2 threads=1")

	rep := &Report{}
	rep.AddPeers(rs)
	require.Len(t, rep.Cases, 6)
	assert.Equal(t, "peer=pytorch/case=s4d_example/B=2/threads=1/side=pytorch", rep.Cases[0].Name)
	assert.Equal(t, "peer=pytorch/case=s4d_example/B=2/threads=1/side=spikessm", rep.Cases[1].Name)
	assert.InDelta(t, rs[0].PeerMsPerSeq*1e6, rep.Cases[0].MedianNs, 1e-6*rep.Cases[0].MedianNs)
	assert.InDelta(t, rs[0].Speedup, rep.Cases[1].Metrics["speedup_vs_pytorch"], 1e-12)
	j, err := json.Marshal(rs)
	require.NoError(t, err)
	assert.Contains(t, string(j), `"Ratio"`)
}

func TestCaseDir(t *testing.T) {
	assert.Equal(t, filepath.Join("r", "s4d_example"), caseDir("r", "s4d_example"))
	assert.Equal(t, filepath.Join("t", "spikessm_ref", "L64"), caseDir(filepath.Join("t", "reference"), "spikessm_ref_L64"))
}

func TestPeerScriptVerifyOnlyFailsOnWrongLogits(t *testing.T) {
	if exec.Command("/usr/bin/python3", "-c", "import torch").Run() != nil {
		out, err := exec.Command("/usr/bin/python3", "peers/torch_peer.py").Output()
		// no torch: the script must say so (exit 2 with available=false), or python is absent
		if err == nil {
			t.Fatalf("peer succeeded without torch: %s", out)
		}
		return
	}
	// A fixture tree whose logits were altered must not verify (and not be timed).
	dir := t.TempDir()
	c := filepath.Join(dir, "s4d_example")
	require.NoError(t, os.MkdirAll(c, 0o755))
	src := filepath.Join(refRootForTests, "s4d_example")
	ck, err := os.ReadFile(filepath.Join(src, "ckpt.pth"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(c, "ckpt.pth"), ck, 0o644))
	io, err := os.ReadFile(filepath.Join(src, "io.safetensors"))
	require.NoError(t, err)
	// Overwrite the first logit (F32) with 1e3: find "logits" offsets in the header.
	n := int(uint64(io[0]) | uint64(io[1])<<8 | uint64(io[2])<<16 | uint64(io[3])<<24)
	var hdr map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(io[8:8+n], &hdr))
	var li struct {
		DataOffsets []int `json:"data_offsets"`
	}
	require.NoError(t, json.Unmarshal(hdr["logits"], &li))
	off := 8 + n + li.DataOffsets[0]
	copy(io[off:off+4], []byte{0, 0, 0x7a, 0x44}) // 1000.0f
	require.NoError(t, os.WriteFile(filepath.Join(c, "io.safetensors"), io, 0o644))

	cmd := exec.Command("/usr/bin/python3", "peers/torch_peer.py", "--root", dir, "--cases", "s4d_example", "--reps", "1", "--min-time", "0.001")
	out, err := cmd.Output()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, 1, ee.ExitCode())
	var pj peerJSON
	require.NoError(t, json.Unmarshal(out, &pj))
	require.Len(t, pj.Results, 1)
	assert.False(t, pj.Results[0].Verified)
	assert.Greater(t, pj.Results[0].MaxAbsDiff, 900.0)
	assert.Empty(t, pj.Results[0].Timings, "an unverified model is not timed")
	assert.False(t, math.IsNaN(pj.Results[0].MaxAbsDiff))
}

// FuzzPeerJSON feeds arbitrary peer output through the parser and the row builder: never a
// panic, and a row without numbers stays without a ratio.
func FuzzPeerJSON(f *testing.F) {
	f.Add([]byte(`{"available": true, "torch_version": "1.13", "default_threads": 1, "results": [{"case": "s4d_example", "verified": true, "max_abs_diff_logits": 1e-6, "tolerance": 1e-4, "timings": [{"batch": 1, "threads": 1, "threads_requested": 1, "ms_per_forward": 0.5, "mad_ms": 0.01, "ms_per_seq": 0.5, "samples_ms": [0.5, 0.51]}]}]}`))
	f.Add([]byte(`{"available": false}`))
	f.Add([]byte(`{"available": true, "results": [{"case": "s4d_example", "verified": false, "error": "x", "timings": null}]}`))
	cfg := PeerConfig{Batches: []int{1, 16}, Threads: []int{1, 0}}
	f.Fuzz(func(t *testing.T, data []byte) {
		pj, err := parsePeerJSON(data)
		if err != nil {
			return
		}
		rows := peerRows(cfg, pj, "s4d_example")
		require.NotEmpty(t, rows)
		for _, r := range rows {
			assert.Zero(t, r.Ratio)
			if !pj.Available {
				assert.NotEmpty(t, r.Skipped)
			}
		}
	})
}
