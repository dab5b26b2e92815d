package bench

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/spikessm/spikessm"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func tinyConfig() Config {
	return Config{Kernels: true, Quick: true, Warmup: 1, Reps: 3, MinSampleTime: time.Millisecond}
}

func TestMedianMAD(t *testing.T) {
	assert.Equal(t, 3.0, median([]float64{5, 1, 3}))
	assert.Equal(t, 2.5, median([]float64{4, 1, 3, 2}))
	// median 4; deviations 3 1 1 0 6 -> median 1
	assert.Equal(t, 1.0, mad([]float64{1, 5, 3, 4, 10}))
	assert.True(t, math.IsNaN(median(nil)))
}

func TestRunTinyPopulatesEverything(t *testing.T) {
	var prog bytes.Buffer
	cfg := tinyConfig()
	cfg.Progress = &prog
	rep, err := Run(context.Background(), cfg)
	require.NoError(t, err)

	e := rep.Env
	assert.NotEmpty(t, e.Commit)
	assert.NotEqual(t, "unknown", e.Commit, "the test runs inside the git checkout")
	assert.NotEmpty(t, e.GoVersion)
	assert.NotEmpty(t, e.OS)
	assert.NotEmpty(t, e.Arch)
	assert.NotEmpty(t, e.CPUModel)
	assert.NotEmpty(t, e.CPUFeatures)
	assert.NotEmpty(t, e.Variant)
	assert.Greater(t, e.ClockGHz, 0.05)
	assert.Less(t, e.ClockGHz, 10.0)
	_, err = time.Parse(time.RFC3339, e.Time)
	assert.NoError(t, err)

	variants := spikessm.Variants()
	kernels := []string{"scan", "scan_spikes", "scan_step", "neuron", "pmbc", "gemm", "spike_accum", "glu"}
	require.Len(t, rep.Cases, len(variants)*len(kernels))
	seen := map[string]bool{}
	for _, v := range variants {
		for _, k := range kernels {
			seen["kernel="+k+"/variant="+string(v)] = false
		}
	}
	names := map[string]bool{}
	for _, c := range rep.Cases {
		assert.False(t, names[c.Name], "duplicate case name %s", c.Name)
		names[c.Name] = true
		parts := strings.Split(c.Name, "/")
		require.GreaterOrEqual(t, len(parts), 2, c.Name)
		key := parts[0] + "/" + parts[1]
		_, ok := seen[key]
		assert.True(t, ok, "unexpected case %s", c.Name)
		seen[key] = true
		assert.NotEmpty(t, c.Kernel, c.Name)
		assert.NotEmpty(t, c.Variant, c.Name)
		assert.NotEmpty(t, c.Params, c.Name)
		assert.Len(t, c.Samples, 3, c.Name)
		for _, s := range c.Samples {
			assert.Greater(t, s, 0.0, c.Name)
		}
		assert.Equal(t, median(c.Samples), c.MedianNs, c.Name)
		assert.Equal(t, mad(c.Samples), c.MADNs, c.Name)
		assert.NotEmpty(t, c.Metrics, c.Name)
		for k, v := range c.Metrics {
			assert.False(t, math.IsNaN(v) || math.IsInf(v, 0), "%s %s = %v", c.Name, k, v)
		}
	}
	for k, ok := range seen {
		assert.True(t, ok, "missing kernel case %s", k)
	}
	// Roofline columns: the fraction of peak is the rate over the analytic peak.
	for _, c := range rep.Cases {
		switch c.Kernel {
		case "scan", "scan_spikes":
			g := c.Metrics["Gstate-steps/s"]
			require.Greater(t, g, 0.0, c.Name)
			peak := PeakFor(spikessm.Variant(c.Variant)).RMax(e.ClockGHz) / 1e9
			assert.InDelta(t, peak, c.Metrics["peak_Gstate-steps/s"], 1e-9*peak, c.Name)
			assert.InDelta(t, g/peak, c.Metrics["frac_peak"], 1e-9, c.Name)
		case "spike_accum":
			assert.Greater(t, c.Metrics["GB/s"], 0.0, c.Name)
			assert.Greater(t, c.Metrics["dense_ns"], 0.0, c.Name)
			assert.InDelta(t, c.Metrics["dense_ns"]/c.MedianNs, c.Metrics["speedup_vs_dense"], 1e-9*c.Metrics["speedup_vs_dense"], c.Name)
			assert.InDelta(t, 0.1, c.Metrics["observed_rate"], 0.1, c.Name)
		}
	}
	assert.Equal(t, len(rep.Cases), strings.Count(prog.String(), "\n"), "one progress line per case")
}

func TestRunFilter(t *testing.T) {
	cfg := tinyConfig()
	cfg.Filter = `^kernel=(glu|gemm)/`
	rep, err := Run(context.Background(), cfg)
	require.NoError(t, err)
	require.Len(t, rep.Cases, 2*len(spikessm.Variants()))
	re := regexp.MustCompile(cfg.Filter)
	for _, c := range rep.Cases {
		assert.Regexp(t, re, c.Name)
	}

	cfg.Filter = `(`
	_, err = Run(context.Background(), cfg)
	assert.ErrorContains(t, err, "filter")

	cfg.Filter = "no-such-case"
	rep, err = Run(context.Background(), cfg)
	require.NoError(t, err)
	assert.Empty(t, rep.Cases)
}

func TestRunRejectsBadConfig(t *testing.T) {
	_, err := Run(context.Background(), Config{Modes: []string{"stream"}})
	assert.ErrorContains(t, err, `unknown mode "stream"`)
	_, err = Run(context.Background(), Config{Batches: []int{0}})
	assert.ErrorContains(t, err, "positive")
	_, err = Run(context.Background(), Config{Reps: -1})
	assert.ErrorContains(t, err, "negative")
}

func TestRunCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rep, err := Run(ctx, tinyConfig())
	require.ErrorIs(t, err, context.Canceled)
	require.NotNil(t, rep)
	assert.Empty(t, rep.Cases)
}

func synthetic(commit, arch, variant string, scale float64) *Report {
	return &Report{
		Env: Env{Commit: commit, GoVersion: "go1.26.8", OS: "linux", Arch: arch, CPUModel: "Test CPU " + arch,
			CPUFeatures: []string{"X"}, Variant: variant, ClockGHz: 3, Time: "2026-11-23T04:00:00Z"},
		Cases: []Case{
			{Name: "kernel=scan/variant=" + variant + "/N=64/T=256", Kernel: "scan", Variant: variant,
				Params: map[string]any{"N": 64, "T": 256}, Samples: []float64{1000 * scale, 1010 * scale, 990 * scale},
				MedianNs: 1000 * scale, MADNs: 10 * scale, Metrics: map[string]float64{"Gstate-steps/s": 262.144 / scale}},
			{Name: "model=m/mode=sequence/B=1/L=64/W=1", Kernel: "model", Variant: variant, ModelHash: "abc",
				Params: map[string]any{"batch": 1}, Samples: []float64{2e6, 2.1e6, 1.9e6},
				MedianNs: 2e6, MADNs: 1e5, Metrics: map[string]float64{"ms/seq": 2}},
		},
	}
}

func TestCompareRatios(t *testing.T) {
	a := synthetic("aaaaaaaaaaaaaaaaaaaa", "amd64", "avx512", 1)
	b := synthetic("bbbbbbbbbbbbbbbbbbbb", "arm64", "neon", 4)
	b.Cases[1].Samples = []float64{1e6, 1.05e6, 0.95e6}
	b.Cases[1].MedianNs, b.Cases[1].MADNs = 1e6, 5e4
	b.Cases = append(b.Cases, Case{Name: "only-in-b", Samples: []float64{5}, MedianNs: 5})
	var out bytes.Buffer
	require.NoError(t, Compare(&out, a, b))
	s := out.String()
	t.Log("\n" + s)
	lines := strings.Split(s, "\n")
	assert.Contains(t, lines[0], "A: linux/amd64 avx512 aaaaaaaaaaaa")
	assert.Contains(t, lines[1], "B: linux/arm64 neon bbbbbbbbbbbb")
	row := func(prefix string) []string {
		for _, l := range lines {
			if strings.HasPrefix(l, prefix+" ") {
				return strings.Fields(l)
			}
		}
		t.Fatalf("no row %q in\n%s", prefix, s)
		return nil
	}
	// Same model case: B takes half the time of A, sample ranges disjoint.
	r := row("model=m/mode=sequence/B=1/L=64/W=1")
	assert.Equal(t, []string{"model=m/mode=sequence/B=1/L=64/W=1", "2.000ms", "±5.0%", "1.000ms", "±5.0%", "0.50x"}, r)
	// The scan cases ran with different variants: separate rows, plus the aligned
	// variant=default row with ratio 4.00x.
	r = row("kernel=scan/variant=default/N=64/T=256")
	assert.Equal(t, []string{"kernel=scan/variant=default/N=64/T=256", "1.000µs", "±1.0%", "4.000µs", "±1.0%", "4.00x"}, r)
	r = row("kernel=scan/variant=avx512/N=64/T=256")
	assert.Equal(t, []string{"kernel=scan/variant=avx512/N=64/T=256", "1.000µs", "±1.0%", "-", "-", "-"}, r)
	r = row("only-in-b")
	assert.Equal(t, []string{"only-in-b", "-", "-", "5.0ns", "±0.0%", "-"}, r)

	// Overlapping samples are marked "~".
	c := synthetic("cccccccccccccccccccc", "amd64", "avx512", 1.005)
	out.Reset()
	require.NoError(t, Compare(&out, a, c))
	r = strings.Fields(strings.Split(out.String(), "\n")[3])
	assert.Equal(t, []string{"1.00x", "~"}, r[len(r)-2:])

	assert.Error(t, Compare(&out))
	assert.Error(t, Compare(&out, a, nil))
}

func TestJSONRoundTripAndCSV(t *testing.T) {
	rep, err := Run(context.Background(), Config{Kernels: true, Quick: true, Reps: 2, MinSampleTime: time.Millisecond, Filter: "kernel=(scan|spike_accum)/"})
	require.NoError(t, err)
	require.NotEmpty(t, rep.Cases)
	dir := t.TempDir()
	path := filepath.Join(dir, "r.json")
	f, err := os.Create(path)
	require.NoError(t, err)
	require.NoError(t, rep.WriteJSON(f))
	require.NoError(t, f.Close())

	back, err := ReadReport(path)
	require.NoError(t, err)
	j1, err := json.Marshal(rep)
	require.NoError(t, err)
	j2, err := json.Marshal(back)
	require.NoError(t, err)
	assert.JSONEq(t, string(j1), string(j2))
	assert.Equal(t, rep.Cases[0].Samples, back.Cases[0].Samples, "raw samples survive bit for bit")

	var buf bytes.Buffer
	require.NoError(t, rep.WriteCSV(&buf))
	rows, err := csv.NewReader(&buf).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, len(rep.Cases)+1)
	head := rows[0]
	col := func(name string) int {
		for i, h := range head {
			if h == name {
				return i
			}
		}
		t.Fatalf("no column %s in %v", name, head)
		return -1
	}
	for i, c := range rep.Cases {
		row := rows[i+1]
		assert.Equal(t, c.Name, row[col("name")])
		assert.Equal(t, rep.Env.Commit, row[col("commit")])
		assert.Equal(t, rep.Env.CPUModel, row[col("cpu_model")])
		assert.Len(t, strings.Fields(row[col("samples_ns")]), len(c.Samples))
		if g, ok := c.Metrics["Gstate-steps/s"]; ok {
			assert.Equal(t, fmtFloat(g), row[col("metric:Gstate-steps/s")])
		}
	}

	var tbl bytes.Buffer
	require.NoError(t, rep.WriteTable(&tbl))
	assert.Contains(t, tbl.String(), rep.Cases[0].Name)
	assert.Contains(t, tbl.String(), "frac_peak")
}

func TestReadReportErrors(t *testing.T) {
	dir := t.TempDir()
	_, err := ReadReport(filepath.Join(dir, "missing.json"))
	assert.ErrorContains(t, err, "missing.json")
	bad := filepath.Join(dir, "bad.json")
	require.NoError(t, os.WriteFile(bad, []byte(`{"Env":{},"Cases":[{"Name":"x"},{"Name":"x"}]}`), 0o644))
	_, err = ReadReport(bad)
	assert.ErrorContains(t, err, `duplicate case "x"`)
	require.NoError(t, os.WriteFile(bad, []byte(`{"Env":`), 0o644))
	_, err = ReadReport(bad)
	assert.ErrorContains(t, err, "bad.json")
}

func TestMeasureClock(t *testing.T) {
	ghz := MeasureClockGHz(5 * time.Millisecond)
	assert.Greater(t, ghz, 0.05)
	assert.Less(t, ghz, 10.0)
}

func FuzzReadReport(f *testing.F) {
	var buf bytes.Buffer
	require.NoError(f, synthetic("a", "amd64", "avx2", 1).WriteJSON(&buf))
	f.Add(buf.Bytes())
	f.Add([]byte(`{"Cases":[{"Name":"","MedianNs":1}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := decodeReport(data, "fuzz")
		if err != nil {
			return
		}
		var out bytes.Buffer
		require.NoError(t, Compare(&out, r, r))
		require.NoError(t, r.WriteCSV(&out))
		require.NoError(t, r.WriteTable(&out))
	})
}

// TestPeerEnv: the PyTorch peer runs without the OpenBLAS kernel pins and keeps the rest.
func TestPeerEnv(t *testing.T) {
	got := peerEnv([]string{"PATH=/bin", "OPENBLAS_CORETYPE=Haswell", "OPENBLAS_L2_SIZE=512", "OPENBLAS_NUM_THREADS=1", "HOME=/root"})
	require.Equal(t, []string{"PATH=/bin", "OPENBLAS_NUM_THREADS=1", "HOME=/root"}, got)
}
