package runtime

import (
	"runtime"
	"sync/atomic"
)

// A team is the helper goroutines of one Run with several workers.
//
// Waking a parked goroutine on an idle CPU is slow where CPUs are virtual: on the 2-vCPU VM
// the benchmarks run on, a goroutine started while the other CPU idles begins some 150 µs
// later (median of 300 starts, measured 2026-11-23), longer than most ops of a model. Starting
// goroutines per op therefore made a second worker useless for one sequence. A team starts its
// helpers once, at the first op that is worth sharing, and between ops they poll for the next
// one instead of parking, so later ops find them running; the caller never waits for a helper
// to arrive (it takes the items itself until one does). The helpers stop when the Run ends:
// nothing runs between Runs. Only Runs long enough for a helper to arrive start a team
// (minTeamRun); a single 1024-step spikingssm_sdn_long sequence with two workers takes
// 0.33 ms instead of 0.38 (the helper joins after its wake-up, for the second layer mostly).
type team struct {
	job     atomic.Pointer[teamJob]
	quit    atomic.Bool
	started bool
}

// teamJob is one op's items, dealt out in groups of g consecutive items.
type teamJob struct {
	x    *execCtx
	it   itemer
	n, g int
	next atomic.Int64 // next group
	done atomic.Int64 // items finished
}

// run executes the items of an op on the caller (worker 0) and the helpers (1 … workers−1),
// starting the helpers on first use, and returns when every item is done.
func (t *team) run(x *execCtx, n, g int, it itemer) {
	t.start(x)
	j := &teamJob{x: x, it: it, n: n, g: g}
	t.job.Store(j)
	j.work(0)
	for spins := 0; j.done.Load() < int64(n); spins++ {
		if spins&255 == 255 {
			runtime.Gosched()
		}
	}
}

// start starts the helpers, once.
func (t *team) start(x *execCtx) {
	if !t.started {
		t.started = true
		for wid := 1; wid < x.workers; wid++ {
			go t.helper(x, wid)
		}
	}
}

// work takes groups of the job until none is left.
func (j *teamJob) work(wid int) {
	for {
		i := int(j.next.Add(1)-1) * j.g
		if i >= j.n {
			return
		}
		for k := i; k < i+j.g; k++ {
			j.it.item(j.x, wid, k)
		}
		j.done.Add(int64(j.g))
	}
}

// helper is worker wid of the team: it works on each job published until the team quits.
func (t *team) helper(x *execCtx, wid int) {
	var last *teamJob
	for spins := 0; !t.quit.Load(); spins++ {
		if j := t.job.Load(); j != nil && j != last {
			last = j
			j.work(wid)
			spins = 0
			continue
		}
		if spins&255 == 255 {
			runtime.Gosched() // let other goroutines (the GC, the caller's) run
		}
	}
}

// stop ends the helpers (they exit at their next poll; none is inside an item, since run
// returns only when its job is done).
func (t *team) stop() { t.quit.Store(true) }
