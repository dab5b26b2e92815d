package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"sort"
	"time"

	"github.com/spikessm/spikessm"
	"github.com/spikessm/spikessm/internal/embedded"
	"github.com/spikessm/spikessm/internal/tensorio"
	"github.com/spikessm/spikessm/runtime"
)

// runOutput is what `run --json` prints: one object with the logits and label of every sequence.
type runOutput struct {
	Model     string        `json:"model"`
	Kernels   string        `json:"kernels"`
	Sequences []runSequence `json:"sequences"`
	Accuracy  *float64      `json:"accuracy,omitempty"`
}

type runSequence struct {
	Index  int       `json:"index"`
	Logits []float32 `json:"logits"`
	Label  int       `json:"label"`
	Target *int64    `json:"target,omitempty"`
}

func cmdRun(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("run", "run [--model M.ssm --input X.{safetensors,npy,csv}] [--json] [--batch 16] [--workers N] [--kernels VARIANT] [--trace trace.json]", stderr)
	modelPath := fs.String("model", "", "model file (.ssm); default: the embedded SPikE-SSM digits model")
	inputPath := fs.String("input", "", "input sequences: safetensors (tensor \"input\" or the first; optional \"labels\"), .npy or CSV (one sequence a line); default: the embedded test set")
	tensorName := fs.String("tensor", "", "with safetensors input: the tensor to read (default \"input\", else the first)")
	asJSON := fs.Bool("json", false, "print one JSON object with the logits and predicted label of every sequence")
	batch := fs.Int("batch", 16, "sequences per Run call")
	workers := fs.Int("workers", 0, "worker goroutines (default GOMAXPROCS)")
	kernels := fs.String("kernels", "", "kernel variant (generic, avx2, avx512, neon); default: best for this CPU or $SPIKESSM_KERNELS")
	trace := fs.String("trace", "", "write a Chrome trace (JSON) of the op timings of the first batch here")
	unfused := fs.Bool("unfused", false, "run and time every op separately instead of the fused S4D chains (same results)")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	if *modelPath != "" && *inputPath == "" {
		return usagef("--model needs --input (the embedded test set fits only the embedded model)")
	}
	if *batch <= 0 {
		return usagef("--batch must be positive, got %d", *batch)
	}
	var opts []runtime.Option
	if *kernels != "" {
		if _, err := spikessm.Select(spikessm.Variant(*kernels)); err != nil {
			return usagef("--kernels: %v", err)
		}
		opts = append(opts, runtime.WithKernels(spikessm.Variant(*kernels)))
	}
	if *workers > 0 {
		opts = append(opts, runtime.WithWorkers(*workers))
	}

	name := *modelPath
	var m *runtime.Model
	var err error
	if name == "" {
		name = "embedded SPikE-SSM digits model (L=1024)"
		m, err = runtime.LoadBytes(embedded.Model(), opts...)
	} else {
		m, err = runtime.Load(*modelPath, opts...)
	}
	if err != nil {
		return err
	}
	defer m.Close()

	features := 1
	if in := m.InputInfo(); len(in) > 0 && len(in[0].Shape) > 0 {
		if f := in[0].Shape[len(in[0].Shape)-1].Value; f > 0 {
			features = int(f)
		}
	}
	var input *tensorio.Input
	if *inputPath == "" {
		input, err = tensorio.Parse(embedded.TestSet(), "embedded test set", features, *tensorName)
	} else {
		input, err = tensorio.ReadFile(*inputPath, features, *tensorName)
	}
	if err != nil {
		return err
	}
	x := input.X
	switch len(x.Shape) {
	case 2: // (L, F): one sequence
		x = &tensorio.Tensor{Shape: []int{1, x.Shape[0], x.Shape[1]}, Data: x.Data}
	case 3:
	default:
		return fmt.Errorf("input has shape %v; want (B, L, F) or (L, F)", x.Shape)
	}
	B, L, F := x.Shape[0], x.Shape[1], x.Shape[2]
	if input.Labels != nil && len(input.Labels) != B {
		return fmt.Errorf("input has %d sequences but %d labels", B, len(input.Labels))
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	progress := progressWriter(stderr)
	out := runOutput{Model: name, Kernels: string(m.Kernels())}
	agg := map[string]*layerAgg{}
	var order []string
	var elapsed time.Duration
	correct := 0
	for b0 := 0; b0 < B; b0 += *batch {
		b1 := min(B, b0+*batch)
		in := runtime.Tensor{Shape: []int{b1 - b0, L, F}, Data: x.Data[b0*L*F : b1*L*F]}
		ro := runtime.RunOptions{Stats: true, Unfused: *unfused}
		var tf *os.File
		if *trace != "" && b0 == 0 {
			if tf, err = os.Create(*trace); err != nil {
				return err
			}
			ro.Trace = tf
		}
		t0 := time.Now()
		res, err := m.RunWith(ctx, in, ro)
		elapsed += time.Since(t0)
		if tf != nil {
			if cerr := tf.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			return fmt.Errorf("sequences %d..%d: %w", b0, b1-1, err)
		}
		logits, ok := res.Outputs[m.OutputNames()[0]]
		if !ok || len(logits.Shape) != 2 || logits.Shape[0] != b1-b0 {
			return fmt.Errorf("model output %q has shape %v; want (batch, classes)", m.OutputNames()[0], logits.Shape)
		}
		K := logits.Shape[1]
		for i := 0; i < b1-b0; i++ {
			row := logits.Data[i*K : (i+1)*K]
			seq := runSequence{Index: b0 + i, Logits: append([]float32(nil), row...), Label: argmax(row)}
			if input.Labels != nil {
				t := input.Labels[b0+i]
				seq.Target = &t
				if int64(seq.Label) == t {
					correct++
				}
			}
			out.Sequences = append(out.Sequences, seq)
		}
		if res.Stats != nil {
			for _, l := range res.Stats.Layers {
				a := agg[l.Name]
				if a == nil {
					a = &layerAgg{op: l.Op}
					agg[l.Name] = a
					order = append(order, l.Name)
				}
				a.add(l, b1-b0)
			}
		}
		if progress != nil {
			fmt.Fprintf(progress, "\r%d/%d sequences", b1, B)
		}
	}
	if progress != nil {
		fmt.Fprintln(progress)
	}
	if input.Labels != nil {
		acc := float64(correct) / float64(B)
		out.Accuracy = &acc
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		return enc.Encode(out)
	}
	printRunSummary(stdout, out, B, L, correct, elapsed, agg, order)
	return nil
}

type layerAgg struct {
	op                string
	spikes, inSpikes  float64
	n, nIn            int
	synOps, denseMACs int64
	time              time.Duration
	paths             map[string]bool
}

func (a *layerAgg) add(l runtime.LayerStats, rows int) {
	if l.SpikeRate >= 0 {
		a.spikes += l.SpikeRate * float64(rows)
		a.n += rows
	}
	if l.InputSpikeRate >= 0 {
		a.inSpikes += l.InputSpikeRate * float64(rows)
		a.nIn += rows
	}
	a.synOps += l.SynOps
	a.denseMACs += l.DenseMACs
	a.time += l.Time
	if a.paths == nil {
		a.paths = map[string]bool{}
	}
	if l.Path != "" {
		a.paths[l.Path] = true
	}
}

func printRunSummary(w io.Writer, out runOutput, B, L, correct int, elapsed time.Duration, agg map[string]*layerAgg, order []string) {
	fmt.Fprintf(w, "model:      %s\n", out.Model)
	fmt.Fprintf(w, "kernels:    %s\n", out.Kernels)
	fmt.Fprintf(w, "sequences:  %d × %d steps\n", B, L)
	if out.Accuracy != nil {
		fmt.Fprintf(w, "accuracy:   %.2f %% (%d/%d)\n", 100**out.Accuracy, correct, B)
	}
	perSeq := elapsed / time.Duration(max(B, 1))
	fmt.Fprintf(w, "latency:    %.3f ms per sequence (batched), %.1f sequences/s, %.2f M steps/s\n",
		float64(perSeq.Microseconds())/1000, float64(B)/elapsed.Seconds(), float64(B*L)/elapsed.Seconds()/1e6)
	var totalSyn, totalMAC int64
	nameW, opW := len("layer"), len("op")
	for _, name := range order {
		nameW, opW = max(nameW, len(name)), max(opW, len(agg[name].op))
	}
	fmt.Fprintf(w, "\n%-*s %-*s %10s %13s %14s %9s   %s\n", nameW, "layer", opW, "op", "spike rate", "accumulates", "dense MACs", "time", "path")
	for _, name := range order {
		a := agg[name]
		rate := "-"
		if a.n > 0 {
			rate = fmt.Sprintf("%.4f", a.spikes/float64(a.n))
		} else if a.nIn > 0 {
			rate = fmt.Sprintf("in %.4f", a.inSpikes/float64(a.nIn))
		}
		paths := make([]string, 0, len(a.paths))
		for p := range a.paths {
			paths = append(paths, p)
		}
		sort.Strings(paths)
		syn, mac := "-", "-"
		if a.denseMACs > 0 {
			syn, mac = fmt.Sprint(a.synOps), fmt.Sprint(a.denseMACs)
			totalSyn += a.synOps
			totalMAC += a.denseMACs
		}
		fmt.Fprintf(w, "%-*s %-*s %10s %13s %14s %9s   %v\n", nameW, name, opW, a.op, rate, syn, mac, a.time.Round(time.Microsecond), paths)
	}
	if totalMAC > 0 {
		fmt.Fprintf(w, "\nspike-input linear layers: %d accumulates instead of %d MACs (%.1f %%)\n", totalSyn, totalMAC, 100*float64(totalSyn)/float64(totalMAC))
	}
}

func argmax(v []float32) int {
	best := 0
	for i, x := range v {
		if x > v[best] || (math.IsNaN(float64(v[best])) && !math.IsNaN(float64(x))) {
			best = i
		}
	}
	return best
}
