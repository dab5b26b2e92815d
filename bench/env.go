package bench

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"sort"
	"strings"
	"time"

	"github.com/klauspost/cpuid/v2"
)

// Env describes the machine and build a Report was measured on.
type Env struct {
	Commit      string   // git commit of the measured code: vcs.revision from the build info, else `git rev-parse HEAD`, else "unknown"
	GoVersion   string   // runtime.Version()
	OS          string   // runtime.GOOS
	Arch        string   // runtime.GOARCH
	CPUModel    string   // CPU brand string (cpuid, else /proc/cpuinfo), "unknown" if neither says
	CPUFeatures []string // cpuid feature flags, sorted
	Variant     string   // the kernel variant the runtime selects by default on this machine
	ClockGHz    float64  // measured core clock (dependent integer-add chain, see MeasureClockGHz)
	Time        string   // start of the run, RFC 3339 UTC
	GOMAXPROCS  int      `json:",omitempty"` // runtime.GOMAXPROCS(0) during the run
	LoadAvg     string   `json:",omitempty"` // /proc/loadavg at the start (Linux), to spot a busy machine
}

// CurrentEnv describes this machine and build as Run records it, measured clock included
// (about 50 ms), for reports assembled outside Run (e.g. peer comparisons).
func CurrentEnv(ctx context.Context) Env {
	e := detectEnv(ctx)
	e.Variant = defaultVariant()
	e.ClockGHz = MeasureClockGHz(50 * time.Millisecond)
	return e
}

// detectEnv fills everything but Variant (set by the kernel sweep code) and ClockGHz.
func detectEnv(ctx context.Context) Env {
	feats := cpuid.CPU.FeatureSet()
	sort.Strings(feats)
	if feats == nil {
		feats = []string{}
	}
	return Env{
		Commit:      commit(ctx),
		GoVersion:   runtime.Version(),
		OS:          runtime.GOOS,
		Arch:        runtime.GOARCH,
		CPUModel:    cpuModel(),
		CPUFeatures: feats,
		Time:        time.Now().UTC().Format(time.RFC3339),
		GOMAXPROCS:  runtime.GOMAXPROCS(0),
		LoadAvg:     loadAvg(),
	}
}

// loadAvg returns the first three fields of /proc/loadavg, or "" where there is none.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

// commit returns the vcs.revision stamped into the binary (with "+dirty" when modified),
// else the output of `git rev-parse HEAD` in the working directory, else "unknown".
func commit(ctx context.Context) string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		rev, dirty := "", false
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if rev != "" {
			if dirty {
				rev += "+dirty"
			}
			return rev
		}
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "git", "rev-parse", "HEAD").Output()
	if err == nil {
		if s := strings.TrimSpace(string(out)); s != "" {
			return s
		}
	}
	return "unknown"
}

// cpuModel returns the CPU brand string.
func cpuModel() string {
	if s := strings.TrimSpace(cpuid.CPU.BrandName); s != "" {
		return s
	}
	f, err := os.Open("/proc/cpuinfo")
	if err == nil {
		defer f.Close()
		sc := bufio.NewScanner(f)
		var part, impl string
		for sc.Scan() {
			k, v, ok := strings.Cut(sc.Text(), ":")
			if !ok {
				continue
			}
			k, v = strings.TrimSpace(k), strings.TrimSpace(v)
			switch k {
			case "model name", "Model", "cpu model":
				if v != "" {
					return v
				}
			case "CPU part":
				part = v
			case "CPU implementer":
				impl = v
			}
		}
		if part != "" {
			return "implementer " + impl + " part " + part
		}
	}
	return "unknown"
}

// addChainSink keeps the chain's result alive.
var addChainSink uint64

// addChainInc is read from memory so the compiler cannot fold the chain into one multiply.
var addChainInc = [8]uint64{1, 3, 5, 7, 11, 13, 17, 19}

// addChain runs n iterations of 8 dependent 64-bit adds. Each add needs the previous result,
// so an iteration takes 8 cycles on any core with 1-cycle integer-add latency (every x86-64
// and arm64 core we know of); the loop counter runs in parallel on other ports.
//
//go:noinline
func addChain(n int) uint64 {
	a0, a1, a2, a3 := addChainInc[0], addChainInc[1], addChainInc[2], addChainInc[3]
	a4, a5, a6, a7 := addChainInc[4], addChainInc[5], addChainInc[6], addChainInc[7]
	x := uint64(n)
	for i := 0; i < n; i++ {
		x += a0
		x ^= a1
		x += a2
		x ^= a3
		x += a4
		x ^= a5
		x += a6
		x ^= a7
	}
	return x
}

// MeasureClockGHz estimates the core clock by timing a chain of dependent integer add/xor
// instructions (1-cycle latency each, 8 per loop iteration, so ops/s = cycles/s). It runs
// many short chains (about 1 ms each, for about dur in total) and keeps the fastest: on a
// busy machine a short run is likely to finish inside one scheduler time slice, and
// preemption or frequency ramp-up can only make a run slower, so the estimate errs low,
// never high. Under emulation (qemu) the figure is meaningless.
func MeasureClockGHz(dur time.Duration) float64 {
	if dur <= 0 {
		dur = 50 * time.Millisecond
	}
	const slice = time.Millisecond
	// Calibrate n so one run lasts about one slice.
	n := 1 << 12
	for {
		t0 := time.Now()
		addChainSink += addChain(n)
		el := time.Since(t0)
		if el >= slice/4 || n > 1<<34 {
			if el > 0 {
				n = int(float64(n) * float64(slice) / float64(el))
			}
			break
		}
		n *= 2
	}
	n = max(n, 1<<10)
	best := 0.0
	deadline := time.Now().Add(dur)
	for r := 0; r < 5 || time.Now().Before(deadline); r++ {
		t0 := time.Now()
		addChainSink += addChain(n)
		el := time.Since(t0).Seconds()
		if el <= 0 {
			continue
		}
		if ghz := float64(n) * 8 / el / 1e9; ghz > best {
			best = ghz
		}
	}
	return best
}
