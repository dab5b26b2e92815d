// Command peers compares spikessm with the PyTorch peer (torch_peer.py in this directory)
// on the reference models: same checkpoint, same input, both sides verified against the
// fixture logits, then timed at each batch size and thread count.
//
//	go run ./bench/peers [-cases s4d_example,binary_s4d,...] [-batches 1,16]
//	    [-threads 1,0] [-reps 7] [-warmup 2] [-min 200ms] [-o peers.json]
//
// Run it from the repository root (or pass -root). It prints a table; -o writes a
// bench.Report (environment + one case per side and row) that `spikessm bench compare`
// reads. Where /usr/bin/python3 or torch is absent the rows say so and carry no numbers.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"

	"github.com/spikessm/spikessm/bench"
)

func ints(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("want non-negative whole numbers, got %q", f)
		}
		out = append(out, n)
	}
	return out, nil
}

func main() {
	cases := flag.String("cases", strings.Join(bench.AllPeerCases, ","), "fixture cases, comma separated")
	batches := flag.String("batches", "1,16", "batch sizes")
	threads := flag.String("threads", "1,0", "thread counts (PyTorch threads = spikessm workers); 0 = each side's default")
	reps := flag.Int("reps", 7, "kept samples per timing")
	warmup := flag.Int("warmup", 2, "warm-up calls per timing")
	minSample := flag.Duration("min", 200*time.Millisecond, "least duration of one sample")
	root := flag.String("root", "testdata/reference", "reference fixture directory")
	python := flag.String("python", "/usr/bin/python3", "interpreter with torch")
	out := flag.String("o", "", "write a JSON bench report here")
	flag.Parse()

	b, err := ints(*batches)
	if err == nil && len(b) == 0 {
		err = fmt.Errorf("no batch sizes")
	}
	var th []int
	if err == nil {
		th, err = ints(*threads)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "peers:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	env := bench.CurrentEnv(ctx)
	rs, err := bench.RunPeers(ctx, bench.PeerConfig{
		Python: *python, Root: *root, Cases: strings.Split(*cases, ","), Batches: b, Threads: th,
		Warmup: *warmup, Reps: *reps, MinSampleTime: *minSample, Progress: os.Stderr,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "peers:", err)
		os.Exit(1)
	}
	fmt.Printf("%s/%s %q, %s, clock %.2f GHz, load %s\n", env.OS, env.Arch, env.CPUModel, env.GoVersion, env.ClockGHz, env.LoadAvg)
	if err := bench.WritePeerTable(os.Stdout, rs); err != nil {
		fmt.Fprintln(os.Stderr, "peers:", err)
		os.Exit(1)
	}
	if *out != "" {
		rep := &bench.Report{Env: env}
		rep.AddPeers(rs)
		f, err := os.Create(*out)
		if err == nil {
			err = rep.WriteJSON(f)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "peers:", err)
			os.Exit(1)
		}
		fmt.Fprintln(os.Stderr, "wrote", *out)
	}
}
