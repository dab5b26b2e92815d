package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spikessm/spikessm/bench"
	"github.com/spikessm/spikessm/internal/embedded"
)

func cmdBench(args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "compare" {
		return cmdBenchCompare(args[1:], stdout, stderr)
	}
	fs := newFlags("bench", "bench [--kernels] [--model M.ssm ...] [--batch 1,16] [--seqlen 1024] [--workers 1,2] [--mode sequence,step] [--reps 5] [--warmup 1] [--filter RE] [-o report.json] [--csv report.csv]\n       spikessm bench compare A.json B.json ...", stderr)
	kernels := fs.Bool("kernels", false, "sweep every kernel × every variant this CPU can run × sizes")
	var models stringList
	fs.Var(&models, "model", "a .ssm model for whole-model sweeps (repeatable; 'embedded' = the built-in model)")
	batches := fs.String("batch", "1,16", "batch sizes, comma separated")
	seqlens := fs.String("seqlen", "", "sequence lengths, comma separated (default: the model's own length)")
	workers := fs.String("workers", "1", "worker counts, comma separated")
	modes := fs.String("mode", "sequence,step", "entry points: sequence, step")
	reps := fs.Int("reps", 5, "measured repetitions per case")
	warmup := fs.Int("warmup", 1, "warm-up repetitions per case")
	filter := fs.String("filter", "", "only cases whose name matches this regular expression")
	out := fs.String("o", "", "write the JSON report here")
	csvOut := fs.String("csv", "", "write a CSV report here")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg := bench.Config{Kernels: *kernels, Warmup: *warmup, Reps: *reps, Filter: *filter, Progress: progressWriter(stderr)}
	var err error
	if cfg.Batches, err = parseInts("--batch", *batches); err != nil {
		return err
	}
	if cfg.SeqLens, err = parseInts("--seqlen", *seqlens); err != nil {
		return err
	}
	if cfg.Workers, err = parseInts("--workers", *workers); err != nil {
		return err
	}
	for _, m := range strings.Split(*modes, ",") {
		if m = strings.TrimSpace(m); m != "" {
			if m != "sequence" && m != "step" {
				return usagef("--mode takes sequence and/or step, got %q", m)
			}
			cfg.Modes = append(cfg.Modes, m)
		}
	}
	if !*kernels && len(models) == 0 {
		cfg.Kernels = true
		models = append(models, "embedded")
	}
	for _, m := range models {
		if m == "embedded" {
			dir, err := os.MkdirTemp("", "spikessm-bench")
			if err != nil {
				return err
			}
			defer os.RemoveAll(dir)
			p := filepath.Join(dir, "embedded.ssm")
			if err := os.WriteFile(p, embedded.Model(), 0o644); err != nil {
				return err
			}
			m = p
		}
		cfg.Models = append(cfg.Models, m)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	rep, err := bench.Run(ctx, cfg)
	if err != nil {
		return err
	}
	if err := rep.WriteTable(stdout); err != nil {
		return err
	}
	if *out != "" {
		if err := writeFileWith(*out, rep.WriteJSON); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "wrote %s\n", *out)
	}
	if *csvOut != "" {
		if err := writeFileWith(*csvOut, rep.WriteCSV); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "wrote %s\n", *csvOut)
	}
	return nil
}

func cmdBenchCompare(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench compare", "bench compare A.json B.json ...", stderr)
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) < 2 {
		return usagef("bench compare needs at least two reports, got %d", len(pos))
	}
	reps := make([]*bench.Report, len(pos))
	for i, p := range pos {
		if reps[i], err = bench.ReadReport(p); err != nil {
			return err
		}
	}
	return bench.Compare(stdout, reps...)
}

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

func parseInts(flagName, s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n <= 0 {
			return nil, usagef("%s takes positive whole numbers, got %q", flagName, f)
		}
		out = append(out, n)
	}
	return out, nil
}

func writeFileWith(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
