package bench

import (
	"context"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spikessm/spikessm/format"
	"github.com/spikessm/spikessm/runtime"
)

// modelSource is one model to sweep: a file path or in-memory bytes.
type modelSource struct {
	name string
	path string
	data []byte
}

// footprint returns the bytes of state one stream of the step entry point carries (-1 if
// unknown) and the bytes of all weight tensors, from the model's format description.
func (s modelSource) footprint() (stateBytes, weightBytes int64, err error) {
	var fm *format.Model
	if s.data != nil {
		fm, err = format.FromBytes(s.data)
	} else {
		fm, err = format.Open(s.path)
	}
	if err != nil {
		return 0, 0, err
	}
	defer fm.Close()
	d := format.Describe(fm)
	stateBytes = -1
	for _, e := range d.EntryPoints {
		if e.Name == format.GraphStep {
			stateBytes = e.StateBytesPerStream
		}
	}
	return stateBytes, d.WeightBytes, nil
}

func (s modelSource) load(opts ...runtime.Option) (*runtime.Model, error) {
	if s.data != nil {
		return runtime.LoadBytes(s.data, opts...)
	}
	return runtime.Load(s.path, opts...)
}

// modelSources lists cfg.Models then cfg.ModelBytes (sorted by name).
func modelSources(cfg Config) ([]modelSource, error) {
	var out []modelSource
	seen := map[string]bool{}
	for _, p := range cfg.Models {
		if _, err := os.Stat(p); err != nil {
			return nil, fmt.Errorf("bench: model %s: %w", p, err)
		}
		n := strings.TrimSuffix(filepath.Base(p), filepath.Ext(p))
		if seen[n] {
			n = p
		}
		seen[n] = true
		out = append(out, modelSource{name: n, path: p})
	}
	names := make([]string, 0, len(cfg.ModelBytes))
	for n := range cfg.ModelBytes {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if len(cfg.ModelBytes[n]) == 0 {
			return nil, fmt.Errorf("bench: model %s: no bytes", n)
		}
		out = append(out, modelSource{name: n, data: cfg.ModelBytes[n]})
	}
	return out, nil
}

// modelInput builds a deterministic input (B, L, F) with values in [0, 1), like the
// reference task's pixel intensities.
func modelInput(B, L, F int) runtime.Tensor {
	r := rand.New(rand.NewPCG(11, uint64(B*100003+L)))
	d := make([]float32, B*L*F)
	for i := range d {
		d[i] = r.Float32()
	}
	return runtime.Tensor{Shape: []int{B, L, F}, Data: d}
}

// modelShape returns the feature count and, when the model fixes it, the sequence length
// of the first input (B, L, F).
func modelShape(m *runtime.Model) (features, fixedL int, err error) {
	in := m.InputInfo()
	if len(in) == 0 {
		return 0, 0, fmt.Errorf("model has no inputs")
	}
	sh := in[0].Shape
	if len(sh) != 3 {
		return 0, 0, fmt.Errorf("input %s has rank %d, want 3 (B, L, F)", in[0].Name, len(sh))
	}
	if sh[2].Value <= 0 {
		return 0, 0, fmt.Errorf("input %s has a symbolic feature dimension", in[0].Name)
	}
	if sh[1].Value > 0 {
		fixedL = int(sh[1].Value)
	}
	return int(sh[2].Value), fixedL, nil
}

// modelCases enumerates whole models × entry point × batch × sequence length × workers.
// Every model is opened once here to read its shape, hash and kernel variant; each case
// opens its own copy with the case's worker count in prepare.
func modelCases(cfg Config) ([]benchCase, error) {
	srcs, err := modelSources(cfg)
	if err != nil || len(srcs) == 0 {
		return nil, err
	}
	batches := cfg.Batches
	if len(batches) == 0 {
		batches = []int{1, 16}
	}
	workers := cfg.Workers
	if len(workers) == 0 {
		workers = []int{1}
	}
	modes := cfg.Modes
	if len(modes) == 0 {
		modes = []string{"sequence", "step"}
	}
	var out []benchCase
	for _, src := range srcs {
		m, err := src.load()
		if err != nil {
			return nil, fmt.Errorf("bench: model %s: %w", src.name, err)
		}
		F, fixedL, err := modelShape(m)
		h := m.Hash()
		hash := hex.EncodeToString(h[:])
		variant := string(m.Kernels())
		hasStep, _ := m.HasStep()
		m.Close()
		if err != nil {
			return nil, fmt.Errorf("bench: model %s: %w", src.name, err)
		}
		stateB, weightB, err := src.footprint()
		if err != nil {
			return nil, fmt.Errorf("bench: model %s: %w", src.name, err)
		}
		seqLens := cfg.SeqLens
		if len(seqLens) == 0 {
			seqLens = []int{1024}
			if fixedL > 0 {
				seqLens = []int{fixedL}
			}
		}
		for _, mode := range modes {
			if mode == "step" && !hasStep {
				continue // sequence-only model (e.g. bidirectional); nothing to stream
			}
			for _, B := range batches {
				for _, L := range seqLens {
					if fixedL > 0 && L != fixedL {
						continue
					}
					for _, W := range workers {
						out = append(out, modelCase(src, mode, B, L, F, W, hash, variant, stateB, weightB))
					}
				}
			}
		}
	}
	return out, nil
}

func modelCase(src modelSource, mode string, B, L, F, W int, hash, variant string, stateB, weightB int64) benchCase {
	bc := benchCase{
		Case: Case{
			Name:      name("model="+src.name, "mode="+mode, fmt.Sprintf("B=%d", B), fmt.Sprintf("L=%d", L), fmt.Sprintf("W=%d", W), "variant="+variant),
			Kernel:    "model",
			Variant:   variant,
			ModelHash: hash,
			Params:    map[string]any{"model": src.name, "mode": mode, "batch": B, "seq_len": L, "workers": W, "features": F},
		},
	}
	spikeRate := -1.0 // observed firing rate over every spiking op's output, -1 if none
	switch mode {
	case "sequence":
		bc.prepare = func() (func() error, func(), error) {
			m, err := src.load(runtime.WithWorkers(W))
			if err != nil {
				return nil, nil, err
			}
			in := modelInput(B, L, F)
			ctx := context.Background()
			res, err := m.RunWith(ctx, in, runtime.RunOptions{Stats: true})
			if err != nil {
				m.Close()
				return nil, nil, err
			}
			sum, n := 0.0, 0
			if res.Stats != nil {
				for _, l := range res.Stats.Layers {
					if l.SpikeRate >= 0 {
						sum += l.SpikeRate
						n++
					}
				}
			}
			if n > 0 {
				spikeRate = sum / float64(n)
			}
			return func() error {
				_, err := m.Run(ctx, in)
				return err
			}, func() { m.Close() }, nil
		}
	case "step":
		bc.prepare = func() (func() error, func(), error) {
			return prepareStep(src, B, L, F, W)
		}
	}
	// One op is a whole batch of sequences of L steps.
	bc.Params["weight_bytes"] = weightB
	if mode == "step" && stateB >= 0 {
		bc.Params["state_bytes_per_stream"] = stateB
	}
	bc.metrics = func(ns float64) map[string]float64 {
		m := map[string]float64{
			"ms/seq":   ns / 1e6 / float64(B),
			"seq/s":    float64(B) * 1e9 / ns,
			"Msteps/s": float64(B*L) * 1e3 / ns,
			"ns/step":  ns / float64(B*L),
		}
		if spikeRate >= 0 {
			m["spike_rate"] = spikeRate
		}
		if mode == "step" && stateB >= 0 {
			// Least traffic of one Step call: every weight read once, every stream's state
			// read and written.
			bytes := float64(weightB) + 2*float64(stateB)*float64(B)
			m["bytes/step_call"] = bytes
			m["GB/s"] = bytes / (ns / float64(L))
			m["ns/step_call"] = ns / float64(L)
		}
		return m
	}
	return bc
}
