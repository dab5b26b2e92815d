package bench

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spikessm/spikessm/convert"
	"github.com/spikessm/spikessm/convert/safetensors"
	ssmrt "github.com/spikessm/spikessm/runtime"
)

// torchPeerScript is bench/peers/torch_peer.py, embedded so the CLI can run the peer from
// any directory.
//
//go:embed peers/torch_peer.py
var torchPeerScript []byte

// TorchPeerScript returns the PyTorch peer script (bench/peers/torch_peer.py).
func TorchPeerScript() []byte { return append([]byte(nil), torchPeerScript...) }

// PeerConfig selects what RunPeers compares.
type PeerConfig struct {
	// Python is the interpreter with torch; "" means /usr/bin/python3 (Debian python3-torch).
	Python string
	// Root is the reference fixture directory (testdata/reference); "" means
	// "testdata/reference" under the current directory.
	Root string
	// Cases are fixture case names; nil means every upstream reference case and both
	// spikessm_ref models (AllPeerCases).
	Cases []string
	// Batches (nil: 1 and 16) and Threads (nil: 1 and 0 = each side's default: torch's
	// default thread count, GOMAXPROCS workers for spikessm).
	Batches, Threads []int
	// Warmup and Reps per timing (defaults 2 and 7); MinSampleTime per sample (default 200 ms).
	Warmup, Reps  int
	MinSampleTime time.Duration
	// Models maps a case name to its converted .ssm file. Cases without one are converted
	// with Convert when it is set; otherwise the spikessm side of that case is reported as
	// not run (never estimated).
	Models map[string]string
	// Convert turns a fixture case directory into .ssm bytes; nil means ConvertCase
	// (package convert on the directory's checkpoint).
	Convert func(ctx context.Context, caseDir, caseName string) ([]byte, error)
	// Progress receives the peer's stderr and one line per spikessm timing (nil = quiet).
	Progress io.Writer
}

// PeerResult is one (case, batch, threads) comparison.
type PeerResult struct {
	Peer    string // "pytorch"
	Case    string // fixture case name
	Batch   int
	Threads int // threads (PyTorch) = workers (spikessm); the actual count, not 0
	// ThreadsRequested is the PeerConfig.Threads entry of this row (0 = each side's default).
	ThreadsRequested int
	// Skipped is non-empty when nothing could be measured for this row, with the reason
	// (no python, no torch, verification failed, no converted model, ...).
	Skipped string `json:",omitempty"`

	PeerVersion        string    `json:",omitempty"` // e.g. "torch 1.13.0a0"
	PeerVerified       bool      // the peer reproduced the fixture logits within tolerance
	PeerMaxAbsDiff     float64   // max |peer logits − fixture logits|
	PeerMsPerSeq       float64   // median ms per sequence (forward time / batch)
	PeerMADMs          float64   // MAD of the forward time, ms
	PeerSamplesMs      []float64 `json:",omitempty"` // raw forward-time samples, ms per call
	Tolerance          float64   // the README tolerance used for both sides
	SpikessmVerified   bool      // spikessm reproduced the fixture logits within tolerance
	SpikessmMaxAbsDiff float64
	SpikessmVariant    string  `json:",omitempty"`
	SpikessmMsPerSeq   float64 // median ms per sequence, 0 when not run
	SpikessmMADMs      float64
	SpikessmSamplesMs  []float64 `json:",omitempty"` // raw samples, ms per Run call
	// Ratio is spikessm time / PyTorch time (0.05 = spikessm takes 5 % of the time);
	// Speedup is its inverse. Both 0 unless both sides ran and verified.
	Ratio, Speedup float64
	// RatioBest is the same ratio from each side's fastest sample: less sensitive to other
	// load on a shared machine, which only ever slows a sample down.
	RatioBest       float64
	SpikessmSkipped string `json:",omitempty"` // why the spikessm side did not run, if it did not
}

// peerJSON mirrors the JSON torch_peer.py prints.
type peerJSON struct {
	Available      bool   `json:"available"`
	Error          string `json:"error"`
	TorchVersion   string `json:"torch_version"`
	DefaultThreads int    `json:"default_threads"`
	Results        []struct {
		Case       string  `json:"case"`
		Verified   bool    `json:"verified"`
		MaxAbsDiff float64 `json:"max_abs_diff_logits"`
		Tolerance  float64 `json:"tolerance"`
		Error      string  `json:"error"`
		Timings    []struct {
			Batch            int       `json:"batch"`
			Threads          int       `json:"threads"`
			ThreadsRequested int       `json:"threads_requested"`
			MsPerForward     float64   `json:"ms_per_forward"`
			MADMs            float64   `json:"mad_ms"`
			MsPerSeq         float64   `json:"ms_per_seq"`
			SamplesMs        []float64 `json:"samples_ms"`
		} `json:"timings"`
	} `json:"results"`
}

func joinInts(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ",")
}

// runTorchPeer runs the embedded script and parses its JSON. A missing interpreter or torch
// is not an error: it comes back as available=false with the reason.
func runTorchPeer(ctx context.Context, cfg PeerConfig) (*peerJSON, error) {
	if _, err := exec.LookPath(cfg.Python); err != nil {
		return &peerJSON{Available: false, Error: fmt.Sprintf("%s not found: %v", cfg.Python, err)}, nil
	}
	dir, err := os.MkdirTemp("", "spikessm-peer")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	script := filepath.Join(dir, "torch_peer.py")
	if err := os.WriteFile(script, torchPeerScript, 0o600); err != nil {
		return nil, err
	}
	args := []string{script, "--root", cfg.Root, "--cases", strings.Join(cfg.Cases, ","),
		"--batches", joinInts(cfg.Batches), "--threads", joinInts(cfg.Threads),
		"--warmup", strconv.Itoa(cfg.Warmup), "--reps", strconv.Itoa(cfg.Reps),
		"--min-time", strconv.FormatFloat(cfg.MinSampleTime.Seconds(), 'g', -1, 64)}
	args = append(args, "--ref-root", refRoot(cfg.Root),
		"--torchref", filepath.Join(cfg.Root, "..", "..", "tools", "torchref"))
	cmd := exec.CommandContext(ctx, cfg.Python, args...)
	cmd.Env = peerEnv(os.Environ())
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if cfg.Progress != nil {
		cmd.Stderr = io.MultiWriter(&stderr, cfg.Progress)
	}
	runErr := cmd.Run()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out, err := parsePeerJSON(stdout.Bytes())
	if err != nil {
		tail := strings.TrimSpace(stderr.String())
		if len(tail) > 500 {
			tail = "…" + tail[len(tail)-500:]
		}
		if runErr != nil {
			return &peerJSON{Available: false, Error: fmt.Sprintf("%s torch_peer.py failed: %v: %s", cfg.Python, runErr, tail)}, nil
		}
		return nil, fmt.Errorf("bench: torch_peer.py printed no JSON: %w (stderr: %s)", err, tail)
	}
	return out, nil
}

// peerEnv is the PyTorch peer's environment: ours without OPENBLAS_CORETYPE and
// OPENBLAS_L2_SIZE. Some machines set them to pin old OpenBLAS builds to a safe kernel
// (Haswell on AVX-512 AMD CPUs); that slows PyTorch's BLAS calls, and a peer is measured at
// its best (measured here: s4d_example at batch 16 0.133 → 0.079 ms per sequence). The
// peer still verifies its logits against the fixture before it is timed.
func peerEnv(env []string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		if strings.HasPrefix(kv, "OPENBLAS_CORETYPE=") || strings.HasPrefix(kv, "OPENBLAS_L2_SIZE=") {
			continue
		}
		out = append(out, kv)
	}
	return out
}

// parsePeerJSON decodes what torch_peer.py prints.
func parsePeerJSON(data []byte) (*peerJSON, error) {
	var out peerJSON
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, err
	}
	if !out.Available && out.Error == "" {
		out.Error = "torch not available"
	}
	return &out, nil
}

// refRoot is where tools/torchref exports the project's SPikE-SSM reference models
// (testdata/spikessm_ref next to testdata/reference).
func refRoot(root string) string { return filepath.Join(root, "..", "spikessm_ref") }

// caseDir maps a case name to its fixture directory: spikessm_ref_L64 lives in
// testdata/spikessm_ref/L64, the upstream cases in testdata/reference/<case>.
func caseDir(root, c string) string {
	if rest, ok := strings.CutPrefix(c, "spikessm_ref_"); ok {
		return filepath.Join(refRoot(root), rest)
	}
	return filepath.Join(root, c)
}

// caseIO reads the fixture input (16, L, F) and logits of a case.
func caseIO(root, c string) (in ssmrt.Tensor, logits []float32, err error) {
	f, err := safetensors.ReadFile(filepath.Join(caseDir(root, c), "io.safetensors"))
	if err != nil {
		return in, nil, err
	}
	get := func(name string) (*safetensors.Tensor, []float32, error) {
		t, ok := f.Get(name)
		if !ok {
			return nil, nil, fmt.Errorf("%s/io.safetensors: no tensor %q", c, name)
		}
		if t.DType != "F32" {
			return nil, nil, fmt.Errorf("%s/io.safetensors: tensor %q is %s, want F32", c, name, t.DType)
		}
		d := make([]float32, t.NumElements())
		for i := range d {
			d[i] = math.Float32frombits(binary.LittleEndian.Uint32(t.Data[4*i:]))
		}
		return t, d, nil
	}
	ti, di, err := get("input")
	if err != nil {
		return in, nil, err
	}
	if len(ti.Shape) != 3 {
		return in, nil, fmt.Errorf("%s/io.safetensors: input has shape %v, want (B, L, F)", c, ti.Shape)
	}
	_, dl, err := get("logits")
	if err != nil {
		return in, nil, err
	}
	return ssmrt.Tensor{Shape: append([]int(nil), ti.Shape...), Data: di}, dl, nil
}

// ConvertCase converts the checkpoint of a fixture case directory with package convert:
// ckpt.pth, last.ckpt (with config.yaml when present) or model.pt, whichever exists first.
func ConvertCase(ctx context.Context, dir, caseName string) ([]byte, error) {
	for _, n := range []string{"ckpt.pth", "last.ckpt", "model.pt"} {
		p := filepath.Join(dir, n)
		if _, err := os.Stat(p); err != nil {
			continue
		}
		opt := convert.Options{}
		if cp := filepath.Join(dir, "config.yaml"); fileExists(cp) {
			opt.ConfigPath = cp
		}
		// A checkpoint that does not record its activation (binary_s4d) names it in the
		// fixture manifest, as the converter's --activation flag would.
		if act, err := manifestActivation(filepath.Join(dir, "manifest.json")); err != nil {
			return nil, err
		} else if act != "" {
			opt.Activation = act
		}
		res, err := convert.ConvertFile(p, opt)
		if err != nil {
			return nil, err
		}
		return res.Bytes()
	}
	return nil, fmt.Errorf("bench: %s: no checkpoint (ckpt.pth, last.ckpt, model.pt) in %s", caseName, dir)
}

// manifestActivation returns hyperparameters.activation of a fixture manifest ("" when the
// manifest or the key is absent).
func manifestActivation(path string) (string, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	} else if err != nil {
		return "", err
	}
	var m struct {
		Hyperparameters struct {
			Activation string `json:"activation"`
		} `json:"hyperparameters"`
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return "", fmt.Errorf("bench: %s: %w", path, err)
	}
	return m.Hyperparameters.Activation, nil
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// batchOf returns the first b samples of in (repeating them when b exceeds the batch).
func batchOf(in ssmrt.Tensor, b int) ssmrt.Tensor {
	per := in.Shape[1] * in.Shape[2]
	d := make([]float32, b*per)
	for i := 0; i < b; i++ {
		j := i % in.Shape[0]
		copy(d[i*per:(i+1)*per], in.Data[j*per:(j+1)*per])
	}
	return ssmrt.Tensor{Shape: []int{b, in.Shape[1], in.Shape[2]}, Data: d}
}

// RunPeers runs the PyTorch peer (bench/peers/torch_peer.py) and spikessm on the same
// models and inputs and returns one PeerResult per (case, batch, threads). Both sides are
// first checked against the fixture logits; a side that fails the check is not timed.
// Where /usr/bin/python3 or torch is absent every row says so in Skipped and carries no
// numbers. The error is non-nil only for misconfiguration or I/O failures.
func RunPeers(ctx context.Context, cfg PeerConfig) ([]PeerResult, error) {
	if cfg.Python == "" {
		cfg.Python = "/usr/bin/python3"
	}
	if cfg.Root == "" {
		cfg.Root = filepath.Join("testdata", "reference")
	}
	if len(cfg.Cases) == 0 {
		cfg.Cases = AllPeerCases
	}
	if len(cfg.Batches) == 0 {
		cfg.Batches = []int{1, 16}
	}
	if len(cfg.Threads) == 0 {
		cfg.Threads = []int{1, 0}
	}
	if cfg.Warmup <= 0 {
		cfg.Warmup = 2
	}
	if cfg.Reps <= 0 {
		cfg.Reps = 7
	}
	if cfg.MinSampleTime <= 0 {
		cfg.MinSampleTime = 200 * time.Millisecond
	}
	for _, b := range cfg.Batches {
		if b <= 0 {
			return nil, fmt.Errorf("bench: peer batch %d must be positive", b)
		}
	}
	for _, t := range cfg.Threads {
		if t < 0 {
			return nil, fmt.Errorf("bench: peer thread count %d must be >= 0", t)
		}
	}
	if st, err := os.Stat(cfg.Root); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("bench: peer fixture directory %s not found (run from the repository root or set Root)", cfg.Root)
	}

	pj, err := runTorchPeer(ctx, cfg)
	if err != nil {
		return nil, err
	}
	var out []PeerResult
	for _, c := range cfg.Cases {
		rows := peerRows(cfg, pj, c)
		spikessmSide(ctx, cfg, c, rows)
		out = append(out, rows...)
	}
	return out, nil
}

// peerRows fills the PyTorch half of the rows of case c.
func peerRows(cfg PeerConfig, pj *peerJSON, c string) []PeerResult {
	var rows []PeerResult
	base := PeerResult{Peer: "pytorch", Case: c}
	if !pj.Available {
		base.Skipped = "PyTorch peer not available: " + pj.Error
	} else {
		base.PeerVersion = "torch " + pj.TorchVersion
	}
	found := false
	for _, r := range pj.Results {
		if r.Case != c {
			continue
		}
		found = true
		base.PeerVerified, base.PeerMaxAbsDiff, base.Tolerance = r.Verified, r.MaxAbsDiff, r.Tolerance
		if !r.Verified {
			base.Skipped = "PyTorch peer did not reproduce the fixture: " + r.Error
		}
		for _, t := range r.Timings {
			row := base
			row.Batch, row.Threads, row.ThreadsRequested = t.Batch, t.Threads, t.ThreadsRequested
			row.PeerMsPerSeq, row.PeerMADMs, row.PeerSamplesMs = t.MsPerSeq, t.MADMs, t.SamplesMs
			rows = append(rows, row)
		}
	}
	if pj.Available && !found && base.Skipped == "" {
		base.Skipped = "PyTorch peer returned nothing for this case"
	}
	if len(rows) == 0 {
		def := pj.DefaultThreads
		for _, b := range cfg.Batches {
			for _, t := range cfg.Threads {
				row := base
				row.Batch, row.Threads, row.ThreadsRequested = b, t, t
				if t == 0 {
					row.Threads = def
				}
				rows = append(rows, row)
			}
		}
	}
	return rows
}

// spikessmSide verifies and times spikessm on case c for every row, with workers = the
// row's thread count.
func spikessmSide(ctx context.Context, cfg PeerConfig, c string, rows []PeerResult) {
	skip := func(msg string) {
		for i := range rows {
			rows[i].SpikessmSkipped = msg
		}
	}
	var data []byte
	var err error
	if p, ok := cfg.Models[c]; ok {
		data, err = os.ReadFile(p)
	} else if cfg.Convert != nil {
		data, err = cfg.Convert(ctx, caseDir(cfg.Root, c), c)
	} else {
		data, err = ConvertCase(ctx, caseDir(cfg.Root, c), c)
	}
	if err != nil {
		skip("model: " + err.Error())
		return
	}
	in, ref, err := caseIO(cfg.Root, c)
	if err != nil {
		skip(err.Error())
		return
	}
	tol := 1e-4
	if len(rows) > 0 && rows[0].Tolerance > 0 {
		tol = rows[0].Tolerance
	}
	m, err := ssmrt.LoadBytes(data)
	if err != nil {
		skip("load: " + err.Error())
		return
	}
	got, err := m.Run(ctx, in)
	variant := string(m.Kernels())
	m.Close()
	if err != nil {
		skip("run: " + err.Error())
		return
	}
	if len(got.Data) != len(ref) {
		skip(fmt.Sprintf("logits have %d values, fixture %d", len(got.Data), len(ref)))
		return
	}
	diff := 0.0
	for i := range ref {
		diff = math.Max(diff, math.Abs(float64(got.Data[i])-float64(ref[i])))
	}
	for i := range rows {
		rows[i].SpikessmMaxAbsDiff, rows[i].SpikessmVariant, rows[i].Tolerance = diff, variant, tol
		rows[i].SpikessmVerified = diff <= tol
	}
	if diff > tol || math.IsNaN(diff) {
		skip(fmt.Sprintf("spikessm logits differ from the fixture by %.3g > %.3g: not timed", diff, tol))
		return
	}
	for i := range rows {
		r := &rows[i]
		w := r.Threads
		if w <= 0 {
			w = runtime.GOMAXPROCS(0)
		}
		m, err := ssmrt.LoadBytes(data, ssmrt.WithWorkers(w))
		if err != nil {
			r.SpikessmSkipped = "load: " + err.Error()
			continue
		}
		x := batchOf(in, r.Batch)
		s, err := timeRuns(ctx, func() error { _, err := m.Run(ctx, x); return err }, cfg.Warmup, cfg.Reps, cfg.MinSampleTime)
		m.Close()
		if err != nil {
			r.SpikessmSkipped = "run: " + err.Error()
			continue
		}
		r.SpikessmSamplesMs = s
		med := median(s)
		r.SpikessmMsPerSeq = med / float64(r.Batch)
		r.SpikessmMADMs = mad(s)
		if r.Skipped == "" && r.PeerMsPerSeq > 0 && r.SpikessmMsPerSeq > 0 {
			r.Ratio = r.SpikessmMsPerSeq / r.PeerMsPerSeq
			r.Speedup = r.PeerMsPerSeq / r.SpikessmMsPerSeq
			if len(r.PeerSamplesMs) > 0 {
				ps, _ := minMax(r.PeerSamplesMs)
				ss, _ := minMax(r.SpikessmSamplesMs)
				if ps > 0 {
					r.RatioBest = ss / ps
				}
			}
		}
		if cfg.Progress != nil {
			fmt.Fprintf(cfg.Progress, "spikessm: %s B=%d workers=%d: %.4f ms/seq\n", c, r.Batch, w, r.SpikessmMsPerSeq)
		}
	}
}

// timeRuns returns reps samples of ms per call, each at least minSample long, after warmup calls.
func timeRuns(ctx context.Context, op func() error, warmup, reps int, minSample time.Duration) ([]float64, error) {
	for i := 0; i < max(warmup, 1); i++ {
		if err := op(); err != nil {
			return nil, err
		}
	}
	t0 := time.Now()
	if err := op(); err != nil {
		return nil, err
	}
	one := max(time.Since(t0), time.Microsecond)
	iters := max(1, int(math.Ceil(float64(minSample)/float64(one))))
	s := make([]float64, 0, reps)
	for r := 0; r < reps; r++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		t0 := time.Now()
		for i := 0; i < iters; i++ {
			if err := op(); err != nil {
				return nil, err
			}
		}
		s = append(s, float64(time.Since(t0).Nanoseconds())/1e6/float64(iters))
	}
	return s, nil
}

// WritePeerTable writes the peer results as an aligned table.
func WritePeerTable(w io.Writer, rs []PeerResult) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "case\tbatch\tthreads\tpytorch ms/seq\tspikessm ms/seq\tspikessm/pytorch\tspeed-up\tbest-sample speed-up\tvariant\tnote")
	for _, r := range rs {
		pt, ss, ratio, sp, best := "-", "-", "-", "-", "-"
		if r.PeerMsPerSeq > 0 {
			pt = fmt.Sprintf("%.4f ±%.0f%%", r.PeerMsPerSeq, 100*r.PeerMADMs/(r.PeerMsPerSeq*float64(r.Batch)))
		}
		if r.SpikessmMsPerSeq > 0 {
			ss = fmt.Sprintf("%.4f ±%.0f%%", r.SpikessmMsPerSeq, 100*r.SpikessmMADMs/(r.SpikessmMsPerSeq*float64(r.Batch)))
		}
		if r.Ratio > 0 {
			ratio = fmt.Sprintf("%.4f", r.Ratio)
			sp = fmt.Sprintf("%.1fx", r.Speedup)
		}
		if r.RatioBest > 0 {
			best = fmt.Sprintf("%.1fx", 1/r.RatioBest)
		}
		note := r.Skipped
		if note == "" {
			note = r.SpikessmSkipped
		}
		th := strconv.Itoa(r.Threads)
		if r.ThreadsRequested == 0 {
			th += " (default)"
		}
		v := r.SpikessmVariant
		if v == "" {
			v = "-"
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Case, r.Batch, th, pt, ss, ratio, sp, best, v, note)
	}
	return tw.Flush()
}

// AddPeers appends the measured peer rows to r as cases, so peer comparisons travel in the
// same JSON and line up in Compare: "peer=pytorch/case=C/B=b/threads=t/side=pytorch" and
// ".../side=spikessm" (t is the requested count, "default" for 0; the actual count is in
// Params), samples in ns per sequence. Rows without numbers add nothing.
func (r *Report) AddPeers(rs []PeerResult) {
	add := func(p PeerResult, side, variant string, samplesMs []float64, metrics map[string]float64) {
		th := fmt.Sprintf("threads=%d", p.ThreadsRequested)
		if p.ThreadsRequested == 0 {
			th = "threads=default"
		}
		s := make([]float64, len(samplesMs))
		for i, v := range samplesMs {
			s[i] = v * 1e6 / float64(p.Batch)
		}
		r.Cases = append(r.Cases, Case{
			Name:    name("peer="+p.Peer, "case="+p.Case, fmt.Sprintf("B=%d", p.Batch), th, "side="+side),
			Kernel:  "peer",
			Variant: variant,
			Params: map[string]any{"peer": p.Peer, "case": p.Case, "batch": p.Batch, "threads": p.Threads,
				"threads_requested": p.ThreadsRequested, "side": side, "peer_version": p.PeerVersion},
			Samples:  s,
			MedianNs: median(s),
			MADNs:    mad(s),
			Metrics:  metrics,
		})
	}
	for _, p := range rs {
		if p.Skipped == "" && len(p.PeerSamplesMs) > 0 {
			add(p, "pytorch", "pytorch", p.PeerSamplesMs, map[string]float64{"ms/seq": p.PeerMsPerSeq, "max_abs_diff": p.PeerMaxAbsDiff})
		}
		if p.SpikessmSkipped == "" && len(p.SpikessmSamplesMs) > 0 {
			m := map[string]float64{"ms/seq": p.SpikessmMsPerSeq, "max_abs_diff": p.SpikessmMaxAbsDiff}
			if p.Speedup > 0 {
				m["speedup_vs_pytorch"] = p.Speedup
			}
			add(p, "spikessm", p.SpikessmVariant, p.SpikessmSamplesMs, m)
		}
	}
}

// AllPeerCases lists every case the PyTorch peer can run: the five upstream reference
// fixtures and the two SPikE-SSM reference models of tools/torchref.
var AllPeerCases = []string{"s4d_example", "s4block_diag", "binary_s4d", "spikingssm_sdn",
	"spikingssm_sdn_long", "spikessm_ref_L64", "spikessm_ref_L1024"}
