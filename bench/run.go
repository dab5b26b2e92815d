package bench

import (
	"context"
	"fmt"
	"io"
	"math"
	"regexp"
	"time"
)

// Config selects what Run measures. The zero value measures nothing; set Kernels and/or
// Models.
type Config struct {
	Kernels bool     // kernel sweeps: every kernel × every variant this CPU can run × sizes
	Models  []string // .ssm paths for whole-model sweeps
	// ModelBytes are in-memory models (e.g. the CLI's embedded model), keyed by the name
	// used in case names; they are swept like Models.
	ModelBytes map[string][]byte
	// Batches, SeqLens and Workers of the model sweeps; nil means {1, 16}, {the model's
	// reference length, else 1024} and {1}.
	Batches, SeqLens, Workers []int
	Modes                     []string  // "sequence", "step"; nil means both
	Warmup, Reps              int       // discarded warm-up samples (default 1) and kept samples (default 5)
	Filter                    string    // regexp on case names; "" keeps every case
	Progress                  io.Writer // nil = quiet; one line per finished case
	// MinSampleTime is the least time one sample runs (ops are repeated until it is
	// reached); 0 means 25 ms.
	MinSampleTime time.Duration
	// Quick shrinks the kernel sweep to tiny sizes (smoke tests, CI); it never skips a kernel.
	Quick bool
}

// benchCase is a case before it is measured: its identity, a prepare step (allocations and
// model loading, excluded from timing) that returns the op to time, and the derived metrics.
type benchCase struct {
	Case
	// prepare builds the inputs and returns the timed op and a cleanup (may be nil).
	prepare func() (op func() error, cleanup func(), err error)
	// metrics computes Case.Metrics from the median ns per op (may be nil).
	metrics func(medianNs float64) map[string]float64
}

// Run performs the sweeps in cfg and returns the report. On a failing case it returns the
// report of the cases measured so far together with an error naming the failing case; on
// cancellation it returns what it has and ctx's error.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if cfg.Warmup < 0 || cfg.Reps < 0 {
		return nil, fmt.Errorf("bench: negative Warmup (%d) or Reps (%d)", cfg.Warmup, cfg.Reps)
	}
	if cfg.Warmup == 0 {
		cfg.Warmup = 1
	}
	if cfg.Reps == 0 {
		cfg.Reps = 5
	}
	if cfg.MinSampleTime <= 0 {
		cfg.MinSampleTime = 25 * time.Millisecond
	}
	var filter *regexp.Regexp
	if cfg.Filter != "" {
		re, err := regexp.Compile(cfg.Filter)
		if err != nil {
			return nil, fmt.Errorf("bench: filter %q: %w", cfg.Filter, err)
		}
		filter = re
	}
	for _, m := range cfg.Modes {
		if m != "sequence" && m != "step" {
			return nil, fmt.Errorf("bench: unknown mode %q (want sequence or step)", m)
		}
	}
	for _, set := range [][]int{cfg.Batches, cfg.SeqLens, cfg.Workers} {
		for _, v := range set {
			if v <= 0 {
				return nil, fmt.Errorf("bench: batch, sequence length and worker counts must be positive, got %d", v)
			}
		}
	}

	rep := &Report{Env: CurrentEnv(ctx), Cases: []Case{}}

	var cases []benchCase
	if cfg.Kernels {
		cases = append(cases, kernelCases(cfg, rep.Env.ClockGHz)...)
	}
	mc, err := modelCases(cfg)
	if err != nil {
		return rep, err
	}
	cases = append(cases, mc...)

	var todo []benchCase
	for _, c := range cases {
		if filter == nil || filter.MatchString(c.Name) {
			todo = append(todo, c)
		}
	}
	for i, bc := range todo {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		c, err := measure(ctx, cfg, bc)
		if err != nil {
			return rep, fmt.Errorf("bench: case %s: %w", bc.Name, err)
		}
		rep.Cases = append(rep.Cases, c)
		if cfg.Progress != nil {
			fmt.Fprintf(cfg.Progress, "[%d/%d] %s  %s %s\n", i+1, len(todo), c.Name, fmtDur(c.MedianNs), spread(c))
		}
	}
	return rep, nil
}

// measure times one case: prepare, calibrate the repeat count so a sample lasts at least
// cfg.MinSampleTime, run cfg.Warmup discarded samples and cfg.Reps kept ones.
func measure(ctx context.Context, cfg Config, bc benchCase) (Case, error) {
	op, cleanup, err := bc.prepare()
	if err != nil {
		return Case{}, err
	}
	if cleanup != nil {
		defer cleanup()
	}
	// Calibrate: double the repeat count until one batch takes a tenth of the sample time.
	iters := 1
	for {
		t0 := time.Now()
		for i := 0; i < iters; i++ {
			if err := op(); err != nil {
				return Case{}, err
			}
		}
		el := time.Since(t0)
		if el >= cfg.MinSampleTime/10 || iters >= 1<<30 {
			if el > 0 {
				iters = int(math.Ceil(float64(iters) * float64(cfg.MinSampleTime) / float64(el)))
			}
			break
		}
		iters *= 2
	}
	iters = max(iters, 1)
	c := bc.Case
	c.Samples = make([]float64, 0, cfg.Reps)
	for r := 0; r < cfg.Warmup+cfg.Reps; r++ {
		if err := ctx.Err(); err != nil {
			return Case{}, err
		}
		t0 := time.Now()
		for i := 0; i < iters; i++ {
			if err := op(); err != nil {
				return Case{}, err
			}
		}
		el := time.Since(t0)
		if r >= cfg.Warmup {
			c.Samples = append(c.Samples, float64(el.Nanoseconds())/float64(iters))
		}
	}
	c.MedianNs = median(c.Samples)
	c.MADNs = mad(c.Samples)
	if bc.metrics != nil {
		c.Metrics = bc.metrics(c.MedianNs)
	}
	if c.Params == nil {
		c.Params = map[string]any{}
	}
	return c, nil
}
