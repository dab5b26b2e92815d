package runtime

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/spikessm/spikessm"
	"github.com/stretchr/testify/require"
)

// BenchmarkReference: whole-model sequence inference per reference model at batch 1 and 16
// (ms/sequence reported), with the default kernels and one worker per core.
func BenchmarkReference(b *testing.B) {
	for _, c := range refCases {
		data := convertCase(b, c)
		x := testDigits(b, c.long)
		L := x.Shape[1]
		for _, bs := range []int{1, 16} {
			for _, workers := range []int{1, 0} {
				name := fmt.Sprintf("%s/b%d/w%d", c.name, bs, workers)
				b.Run(name, func(b *testing.B) {
					opts := []Option{}
					if workers > 0 {
						opts = append(opts, WithWorkers(workers))
					}
					m, err := LoadBytes(data, opts...)
					require.NoError(b, err)
					in := Tensor{Shape: []int{bs, L, 1}, Data: x.Data[:bs*L]}
					ctx := context.Background()
					b.ReportAllocs()
					b.SetBytes(int64(bs * L * 4))
					start, cpu0 := time.Now(), cpuTime()
					n := 0
					for b.Loop() {
						if _, err := m.Run(ctx, in); err != nil {
							b.Fatal(err)
						}
						n++
					}
					b.ReportMetric(float64(time.Since(start).Nanoseconds())/1e6/float64(n*bs), "ms/seq")
					// CPU time of the process: on a shared machine wall time includes waiting.
					b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/1e6/float64(n*bs), "cpu-ms/seq")
				})
			}
		}
	}
}

// BenchmarkSpikeSSMRef: the SPikE-SSM reference model (L = 1024) at batch 1 and 16.
func BenchmarkSpikeSSMRef(b *testing.B) {
	data, _ := loadSpikeSSMRef(b)
	x := testDigits(b, true)
	for _, bs := range []int{1, 16} {
		b.Run(fmt.Sprintf("b%d", bs), func(b *testing.B) {
			m, err := LoadBytes(data, WithWorkers(1))
			require.NoError(b, err)
			in := Tensor{Shape: []int{bs, 1024, 1}, Data: x.Data[:bs*1024]}
			b.ReportAllocs()
			start, cpu0 := time.Now(), cpuTime()
			n := 0
			for b.Loop() {
				if _, err := m.Run(context.Background(), in); err != nil {
					b.Fatal(err)
				}
				n++
			}
			b.ReportMetric(float64(time.Since(start).Nanoseconds())/1e6/float64(n*bs), "ms/seq")
			b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/1e6/float64(n*bs), "cpu-ms/seq")
		})
	}
}

// cpuTime is the user+system CPU time of this process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// copyBandwidth measures memory bandwidth in bytes/ns as read+write bytes of a 64 MB copy.
func copyBandwidth() float64 {
	src := make([]byte, 64<<20)
	dst := make([]byte, 64<<20)
	best := time.Duration(1 << 62)
	for i := 0; i < 3; i++ {
		t0 := time.Now()
		copy(dst, src)
		best = min(best, time.Since(t0))
	}
	return float64(2*len(src)) / float64(best.Nanoseconds())
}

// streamModel builds a causal S4D model with H channels, N modes and the given layers
// (LayerNorm prenorm, S4D, GELU, Linear H→2H, GLU, residual), mean-pooled to 10 logits.
func streamModel(b testing.TB, h, n, layers int, unitB bool) []byte {
	g := newToy(b, 1)
	g.unitB = unitB
	g.linear("encoder", "input", "encoder.out", 1, h)
	x := "encoder.out"
	for i := 0; i < layers; i++ {
		p := fmt.Sprintf("layer%d", i)
		g.layerNorm(p+".norm", x, p+".in", h)
		g.s4d(p+".s4d", p+".in", p+".ssm", h, n, false)
		g.node("GELU", p+".gelu", []string{p + ".ssm"}, []string{p + ".act"}, nil)
		g.linear(p+".out_linear", p+".act", p+".glu_in", h, 2*h)
		g.node("GLU", p+".glu", []string{p + ".glu_in"}, []string{p + ".block"}, nil)
		g.node("Add", p+".res", []string{x, p + ".block"}, []string{p + ".out"}, nil)
		x = p + ".out"
	}
	g.node("MeanPool", "pool", []string{x}, []string{"pool"}, nil)
	g.linear("decoder", "pool", "logits", h, 10)
	g.out("logits", -1, 10)
	return g.model(1, "logits")
}

// BenchmarkStep: streaming ns/Step for H = 256, N = 64, 4 layers, batch 1. Reports the S4D
// state bytes moved per step (a, b, c: 6 floats read; x: 2 read + 2 written = 40 bytes per
// state element; 32 with unitB, the converter's form, whose kernels do not read b) and the
// achieved bandwidth on them, plus the Linear weight bytes.
func BenchmarkStep(b *testing.B) {
	const H, N, layers = 256, 64, 4
	for _, c := range []struct {
		v     string
		unitB bool
	}{{"", true}, {"", false}, {"generic", false}} {
		v := c.v
		b.Run(fmt.Sprintf("kernels=%s/unitB=%v", v, c.unitB), func(b *testing.B) {
			opts := []Option{}
			if v != "" {
				opts = append(opts, WithKernels(spikessm.Variant(v)))
			}
			m, err := LoadBytes(streamModel(b, H, N, layers, c.unitB), opts...)
			require.NoError(b, err)
			s, err := m.NewSession(1)
			require.NoError(b, err)
			x := []float32{0.5}
			perState := 40
			if c.unitB && v != "generic" {
				perState = 32
			}
			stateBytes := int64(layers * H * N * perState)
			weightBytes := int64(layers * (H * 2 * H * 4))
			b.SetBytes(stateBytes)
			b.ReportAllocs()
			start, cpu0 := time.Now(), cpuTime()
			n := 0
			for b.Loop() {
				x[0] = float32(n%7) / 7
				if _, err := s.Step(x); err != nil {
					b.Fatal(err)
				}
				n++
			}
			ns := float64(time.Since(start).Nanoseconds()) / float64(n)
			b.ReportMetric(ns, "ns/step")
			b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(n), "cpu-ns/step")
			b.ReportMetric(float64(stateBytes), "state-B/step")
			b.ReportMetric(float64(weightBytes), "linear-B/step")
			b.ReportMetric(float64(stateBytes)/ns, "state-GB/s")
			// The bandwidth bound: 40 (32) bytes per state element per step at this machine's
			// measured streaming bandwidth (the state, 2.6 MB here, does not fit in L2).
			bw := copyBandwidth()
			b.ReportMetric(float64(stateBytes)/bw, "bound-ns/step")
		})
	}
}

// BenchmarkRowPipeline: the small reference models at batch 16 on one worker, run as a row
// pipeline (the default: one sequence at a time through the whole graph) and op at a time
// over the whole batch, so a machine shows which of the two its caches favour (stop 10,
// Intel Xeon: rows 7 % faster; stop 11, AMD Zen 5: op at a time 0–5 % faster, by model).
func BenchmarkRowPipeline(b *testing.B) {
	for _, c := range refCases {
		if c.long {
			continue
		}
		data := convertCase(b, c)
		x := testDigits(b, false)
		L := x.Shape[1]
		for _, rows := range []bool{true, false} {
			b.Run(fmt.Sprintf("%s/rows=%v", c.name, rows), func(b *testing.B) {
				m, err := LoadBytes(data, WithWorkers(1))
				require.NoError(b, err)
				in := Tensor{Shape: []int{16, L, 1}, Data: x.Data[:16*L]}
				saved := rowPipelineMinBatch
				if !rows {
					rowPipelineMinBatch = 1 << 30
				}
				defer func() { rowPipelineMinBatch = saved }()
				b.SetBytes(int64(len(in.Data) * 4))
				for b.Loop() {
					if _, err := m.Run(context.Background(), in); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*16), "ns/seq")
			})
		}
	}
}
