package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spikessm/spikessm"
)

// Tensor is a dense float32 tensor, row-major with the last dimension contiguous.
type Tensor struct {
	Shape []int
	Data  []float32
}

// RunOptions controls RunWith.
type RunOptions struct {
	// Capture lists activation names (e.g. "layer0.ssm") to return in Result.Captured.
	Capture []string
	// Inject replaces named activations by the given tensors (teacher forcing): a node whose
	// outputs are all injected is not run; otherwise the injected outputs overwrite what it
	// computed. The shape must equal the inferred shape.
	Inject map[string]Tensor
	// Stats fills Result.Stats with per-op statistics.
	Stats bool
	// Trace, when not nil, receives a Chrome trace (JSON) of the op timings.
	Trace io.Writer
	// Unfused runs every op of the graph by itself. By default a Run without Capture or
	// Inject executes fused op chains (an S4D layer with the elementwise or neuron op that
	// reads its output; see the package documentation) as one op, which Stats and Trace
	// then report as one layer named "a+b". The results are the same bits either way.
	Unfused bool

	oneWorker bool // run the ops on the calling goroutine (sub-batches run in parallel)
}

// Result is what RunWith returns.
type Result struct {
	Outputs  map[string]Tensor
	Captured map[string]Tensor
	Stats    *Stats
}

// Stats are per-op statistics of one Run.
type Stats struct {
	Layers []LayerStats
	Total  time.Duration
}

// LayerStats describes one executed op.
type LayerStats struct {
	Name, Op string
	// Time is the wall time of the op (summed over the sub-batches of a split batch, which
	// may run in parallel).
	Time time.Duration
	// SpikeRate is the fraction of ones in the op's spike output, or -1 when it has none.
	SpikeRate float64
	// InputSpikeRate is the fraction of ones in a spike input (Linear, S4D), or -1.
	InputSpikeRate float64
	// SynOps counts the accumulates an event-driven implementation does (one per spike and
	// output channel); DenseMACs the multiply-accumulates of the dense product. Linear only.
	SynOps, DenseMACs int64
	// Path names the implementation chosen ("dense", "sparse", "sequential", "pmbc", ...).
	Path string
}

// tval is a runtime tensor value.
type tval struct {
	data  []float32
	shape []int
}

func (t *tval) rowsC() (int, int) {
	c := t.shape[len(t.shape)-1]
	if c == 0 {
		return 0, 0
	}
	return len(t.data) / c, c
}

type scratch struct {
	f   [8][]float32
	u16 [2][]uint16
	u64 [2][]uint64
	ns  spikessm.NeuronState
	nsb [4]spikessm.NeuronState  // neuronGroup states for NeuronBlocks
	npb [4]spikessm.NeuronParams // and their parameters
}

func (s *scratch) f32(slot, n int) []float32 {
	if cap(s.f[slot]) < n {
		s.f[slot] = make([]float32, n)
	}
	return s.f[slot][:n]
}

func (s *scratch) mask16(slot, n int) []uint16 {
	if cap(s.u16[slot]) < n {
		s.u16[slot] = make([]uint16, n)
	}
	return s.u16[slot][:n]
}

func (s *scratch) mask64(slot, n int) []uint64 {
	if cap(s.u64[slot]) < n {
		s.u64[slot] = make([]uint64, n)
	}
	return s.u64[slot][:n]
}

// execCtx holds everything one execution (a Run, or a session) needs; ops read their
// arguments from it so that running an op allocates nothing in steady state.
type execCtx struct {
	p       *plan
	k       *spikessm.Kernels
	workers int
	step    bool
	ws      []scratch
	vals    []*tval
	// current node
	node  *cnode
	in    []*tval
	out   []*tval
	st    [][]float32
	B, T  int
	stats *LayerStats
	keep  []bool // values the caller wants (captures, outputs); nil: graph outputs only
	// team: the helpers of parallel ops (team.go), started by the first and stopped when
	// the Run ends.
	team *team
	// counters written by items (atomic)
	ones atomic.Int64
	// error from items
	errMu sync.Mutex
	err   error
}

func (x *execCtx) fail(err error) {
	x.errMu.Lock()
	if x.err == nil {
		x.err = err
	}
	x.errMu.Unlock()
}

// needed reports whether value i is read after it is produced: by a later node, as a graph
// output or as a capture. Ops skip optional outputs nobody reads.
func (x *execCtx) needed(i int) bool {
	if i < 0 {
		return false
	}
	if x.p.lastUse[i] >= 0 {
		return true
	}
	return x.keep != nil && x.keep[i]
}

// itemer is implemented by ops that split their work into independent items.
type itemer interface {
	item(x *execCtx, w, i int)
}

// par runs it.item for i in [0, n) on up to x.workers goroutines (one when the op's total
// work, in element operations, is small). The split of the work never
// changes the arithmetic of any item, so results do not depend on the worker count.
func (x *execCtx) par(n int, it itemer, work int) { x.parGroups(n, 1, it, work) }

// parGroups is par with the items dealt out in groups of g consecutive items (n a multiple
// of g; rowGroups chooses g for the (row, block) ops). Items run on the caller and the Run's
// team (team.go). Results do not depend on the grouping.
func (x *execCtx) parGroups(n, g int, it itemer, work int) {
	w := x.workers
	if work < minParallelWork {
		w = 1
	}
	if w > n/g {
		w = n / g
	}
	if w <= 1 {
		for i := 0; i < n; i++ {
			it.item(x, 0, i)
		}
		return
	}
	if x.team == nil {
		// No team: the Run is too short for a helper to wake in time (team.go).
		for i := 0; i < n; i++ {
			it.item(x, 0, i)
		}
		return
	}
	x.team.run(x, n, g, it)
}

// minTeamRun is the size of a Run (input elements × widest activation) from which a Run with
// several workers starts a team: its helpers take ~150 µs to wake here (team.go), so a
// shorter Run (a 64-step sequence of the small models takes ~10 µs) stays on the caller.
// A variable so that tests can force teams.
var minTeamRun = 1 << 16

// rowGroups is the grouping of the (row, block) items of b rows of nb blocks for parGroups:
// whole rows per worker, or single blocks when there are more workers than rows (one long
// sequence is then shared block by block).
func (x *execCtx) rowGroups(b, nb int) int {
	if b < x.workers {
		return 1
	}
	return nb
}

// minParallelWork is the work estimate below which an op runs on the calling goroutine. Ops
// pass estimates in roughly the same unit, about 50 per ns of single-core time (Linear: MACs;
// S4D: 8·N per input element; row-wise and elementwise ops scale their element count by what
// one element costs), so this is some 5 µs of work: sharing an op with the team's running
// helpers costs about a microsecond. (When goroutines were started per op, the threshold had
// to be ~80 µs, and a second worker never helped one sequence: see team.go.)
var minParallelWork = 1 << 18 // a variable so that tests can force the parallel path

// rowChunk is the fixed number of rows per work item of row-wise ops.
const rowChunk = 64

func chunks(rows int) int { return (rows + rowChunk - 1) / rowChunk }

func chunkRange(i, rows int) (int, int) {
	lo := i * rowChunk
	hi := lo + rowChunk
	if hi > rows {
		hi = rows
	}
	return lo, hi
}

// Run executes the sequence entry point on one input (B, L, F) and returns the graph's first
// output (e.g. logits (B, K)).
func (m *Model) Run(ctx context.Context, input Tensor) (Tensor, error) {
	r, err := m.RunWith(ctx, input, RunOptions{})
	if err != nil {
		return Tensor{}, err
	}
	return r.Outputs[m.seq.outputNames[0]], nil
}

func shapeEq(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// checkInput validates an input tensor against the graph input description.
func (p *plan) checkInput(t Tensor) error {
	vi := p.inputInfo[0]
	want := len(vi.Shape)
	if want == 0 {
		want = 3
		if p.stepMode {
			want = 2
		}
	}
	if len(t.Shape) != want {
		return fmt.Errorf("runtime: input %q: rank %d (shape %v), want rank %d", vi.Name, len(t.Shape), t.Shape, want)
	}
	for i, d := range t.Shape {
		if d <= 0 {
			return fmt.Errorf("runtime: input %q: shape %v has a non-positive dimension", vi.Name, t.Shape)
		}
		if i < len(vi.Shape) && vi.Shape[i].Symbol == "" && vi.Shape[i].Value > 0 && int64(d) != vi.Shape[i].Value {
			return fmt.Errorf("runtime: input %q: dimension %d is %d, the model wants %d (shape %v)", vi.Name, i, d, vi.Shape[i].Value, t.Shape)
		}
	}
	n := numel(t.Shape)
	if n > 1<<31 {
		return fmt.Errorf("runtime: input %q: %d elements is too large", vi.Name, n)
	}
	if len(t.Data) != n {
		return fmt.Errorf("runtime: input %q: %d values for shape %v (want %d)", vi.Name, len(t.Data), t.Shape, n)
	}
	return checkFinite(vi.Name, t.Data, t.Shape)
}

func checkFinite(name string, data []float32, shape []int) error {
	for i, v := range data {
		if v != v || v > math.MaxFloat32 || v < -math.MaxFloat32 {
			idx := make([]int, len(shape))
			r := i
			for d := len(shape) - 1; d >= 0; d-- {
				idx[d] = r % shape[d]
				r /= shape[d]
			}
			return fmt.Errorf("runtime: input %q: non-finite value %v at index %v; NaN/Inf inputs are rejected", name, v, idx)
		}
	}
	return nil
}

// inferShapes computes the shape of every value for a given input shape.
func (p *plan) inferShapes(inShape []int, inject map[string]Tensor) ([][]int, error) {
	shapes := make([][]int, len(p.values))
	for i, v := range p.values {
		if v.isConst {
			shapes[i] = v.cshape
		}
	}
	shapes[p.inputs[0]] = inShape
	buf := make([][]int, 0, 8)
	for _, n := range p.nodes {
		buf = buf[:0]
		for _, i := range n.in {
			if i < 0 {
				buf = append(buf, nil)
			} else {
				buf = append(buf, shapes[i])
			}
		}
		outs, err := n.impl.infer(buf)
		if err != nil {
			return nil, fmt.Errorf("runtime: node %q (%s): %w", n.name, n.op, err)
		}
		for oi, o := range n.out {
			if o < 0 {
				continue
			}
			if oi >= len(outs) || outs[oi] == nil {
				return nil, fmt.Errorf("runtime: node %q (%s): output %d is not supported", n.name, n.op, oi)
			}
			shapes[o] = outs[oi]
			if t, ok := inject[p.values[o].name]; ok && !shapeEq(t.Shape, outs[oi]) {
				return nil, fmt.Errorf("runtime: inject %q: shape %v, the graph computes %v", p.values[o].name, t.Shape, outs[oi])
			}
		}
	}
	return shapes, nil
}

// deadAfter calls free for each activation whose buffer may be reused once node n has run:
// an input that n reads last, or an output that nothing reads; never a constant, the graph
// input or a value in keep. A value n reads twice is passed twice.
func (p *plan) deadAfter(n *cnode, keep []bool, free func(i int)) {
	for _, i := range n.in {
		if i >= 0 && !keep[i] && !p.values[i].isConst && p.values[i].producer >= 0 && p.lastUse[i] == n.idx {
			free(i)
		}
	}
	for _, oi := range n.out {
		if oi >= 0 && p.lastUse[oi] < 0 && !keep[oi] {
			free(oi)
		}
	}
}

// rowPipelineMinBatch is the least batch that runs row-pipelined (rows.go); a variable so that
// tests can compare with the op-at-a-time path.
var rowPipelineMinBatch = 2

// runState is the reusable memory of one Run (pooled per model between Runs). Besides the
// activation arena and scratch it caches what depends only on the input shape (value shapes,
// the kept values of a plain Run, node state buffers), so a repeated Run of the same shape
// allocates little more than its result.
type runState struct {
	ar arena
	ws []scratch
	x  execCtx
	// shape cache, valid for inShape when shapes != nil
	inShape []int
	shapes  [][]int
	keepOut []bool    // graph outputs only (no captures)
	tv      []tval    // backing of x.vals
	outs    [][]*tval // per node: its output values
	state   [][][]float32
	rows    *rowProgram // the row-pipelined plan for the last sequence shape (rows.go)
}

// prepare fills the shape cache for an input shape (without injections).
func (rs *runState) prepare(p *plan, inShape []int) error {
	if rs.shapes != nil && shapeEq(rs.inShape, inShape) {
		return nil
	}
	rs.shapes = nil
	shapes, err := p.inferShapes(inShape, nil)
	if err != nil {
		return err
	}
	rs.inShape = append(rs.inShape[:0], inShape...)
	rs.shapes = shapes
	if rs.keepOut == nil {
		rs.keepOut = make([]bool, len(p.values))
		for _, i := range p.outputs {
			rs.keepOut[i] = true
		}
		rs.tv = make([]tval, len(p.values))
		rs.outs = make([][]*tval, len(p.nodes))
		for ni, n := range p.nodes {
			rs.outs[ni] = make([]*tval, len(n.out))
		}
	}
	rs.state = make([][][]float32, len(p.nodes))
	return nil
}

// arena hands out activation buffers and takes them back after their last use.
type arena struct{ free [][]float32 }

func (a *arena) get(n int) []float32 {
	best := -1
	for i, b := range a.free {
		if cap(b) >= n && (best < 0 || cap(b) < cap(a.free[best])) {
			best = i
		}
	}
	if best < 0 {
		return make([]float32, n)
	}
	b := a.free[best][:n]
	a.free[best] = a.free[len(a.free)-1]
	a.free = a.free[:len(a.free)-1]
	return b
}

func (a *arena) put(b []float32) { a.free = append(a.free, b) }

// RunWith executes the sequence entry point with options: captures, injections, statistics
// and tracing. Outputs holds every graph output.
//
// A batch whose activations would not fit in cache (the widest one over subBatchBytes), or
// that can be shared among several workers, runs as sub-batches of whole sequences (in
// parallel, one worker each), unless captures, injections or a trace are requested;
// sequences are independent and every element is computed the same way wherever its sequence
// sits, so the outputs are the same bits, and Stats add up the sub-batches.
func (m *Model) RunWith(ctx context.Context, input Tensor, o RunOptions) (*Result, error) {
	if m.fm == nil && m.owned {
		return nil, fmt.Errorf("runtime: model is closed")
	}
	if len(o.Capture) == 0 && len(o.Inject) == 0 && o.Trace == nil && len(input.Shape) == 3 && input.Shape[0] > 1 {
		if sb := m.subBatch(input.Shape); sb < input.Shape[0] {
			if err := m.seq.checkInput(input); err != nil {
				return nil, err
			}
			return m.runSplit(ctx, input, o, sb)
		}
	}
	return m.runWith(ctx, input, o)
}

// subBatchBytes is the size a sub-batch's widest activation aims at (about L2).
var subBatchBytes = 256 << 10

// subBatch returns the sequences per sub-batch for an input shape (B, L, F): as many as keep
// the widest activation within subBatchBytes, at least one, and with several workers at most
// B/workers (rounded up), so that every worker gets whole sub-batches.
func (m *Model) subBatch(shape []int) int {
	if m.maxWidth <= 0 || shape[1] <= 0 {
		return shape[0]
	}
	sb := max(1, subBatchBytes/(shape[1]*m.maxWidth*4))
	if m.workers > 1 {
		sb = min(sb, (shape[0]+m.workers-1)/m.workers)
	}
	return sb
}

// runSplit runs input in sub-batches of sb sequences and joins their outputs and statistics
// in sub-batch order. With several workers the sub-batches run in parallel, one worker each
// (their ops then run on one goroutine), which scales better than splitting every op.
func (m *Model) runSplit(ctx context.Context, input Tensor, o RunOptions, sb int) (*Result, error) {
	B, per := input.Shape[0], input.Shape[1]*input.Shape[2]
	nsub := (B + sb - 1) / sb
	subs := make([]*Result, nsub)
	errs := make([]error, nsub)
	run := func(i int, o RunOptions) {
		b0 := i * sb
		n := min(sb, B-b0)
		sub := Tensor{Shape: []int{n, input.Shape[1], input.Shape[2]}, Data: input.Data[b0*per : (b0+n)*per]}
		subs[i], errs[i] = m.runWith(ctx, sub, o)
	}
	if w := min(m.workers, nsub); w > 1 {
		one := o
		one.oneWorker = true
		var next atomic.Int64
		var wg sync.WaitGroup
		for range w {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := int(next.Add(1) - 1); i < nsub; i = int(next.Add(1) - 1) {
					run(i, one)
				}
			}()
		}
		wg.Wait()
	} else {
		for i := range nsub {
			if run(i, o); errs[i] != nil {
				break
			}
		}
	}
	res := &Result{Outputs: map[string]Tensor{}, Captured: map[string]Tensor{}}
	for i, r := range subs {
		if errs[i] != nil {
			return nil, errs[i]
		}
		b0 := i * sb
		n := min(sb, B-b0)
		for name, t := range r.Outputs {
			if len(t.Shape) == 0 || t.Shape[0] != n {
				return m.runWith(ctx, input, o) // an output without a batch dimension: no split
			}
			acc, ok := res.Outputs[name]
			if !ok {
				shape := append([]int{B}, t.Shape[1:]...)
				acc = Tensor{Shape: shape, Data: make([]float32, numel(shape))}
				res.Outputs[name] = acc
			}
			copy(acc.Data[b0*(len(t.Data)/n):], t.Data)
		}
		if r.Stats != nil {
			if res.Stats == nil {
				res.Stats = &Stats{Layers: r.Stats.Layers, Total: r.Stats.Total}
				continue
			}
			res.Stats.Total += r.Stats.Total
			mean := func(a, b float64) float64 {
				if a < 0 || b < 0 {
					return max(a, b)
				}
				return (a*float64(b0) + b*float64(n)) / float64(b0+n)
			}
			for i := range res.Stats.Layers {
				a, l := &res.Stats.Layers[i], r.Stats.Layers[i]
				a.Time += l.Time
				a.SynOps += l.SynOps
				a.DenseMACs += l.DenseMACs
				a.SpikeRate = mean(a.SpikeRate, l.SpikeRate)
				a.InputSpikeRate = mean(a.InputSpikeRate, l.InputSpikeRate)
				if !strings.Contains(","+a.Path+",", ","+l.Path+",") {
					a.Path += "," + l.Path
				}
			}
		}
	}
	return res, nil
}

// runWith is RunWith on one batch.
func (m *Model) runWith(ctx context.Context, input Tensor, o RunOptions) (*Result, error) {
	p, pool := m.seq, &m.pool
	if len(o.Capture) == 0 && len(o.Inject) == 0 && !o.Unfused && m.fused != m.seq {
		p, pool = m.fused, &m.fpool // nothing asks for a fused-away intermediate
	}
	if err := p.checkInput(input); err != nil {
		return nil, err
	}
	for name := range o.Inject {
		i, ok := p.index[name]
		if !ok || p.values[i].producer < 0 {
			return nil, fmt.Errorf("runtime: inject %q: not an activation produced by a node", name)
		}
	}
	for _, name := range o.Capture {
		i, ok := p.index[name]
		if !ok || p.values[i].isConst {
			return nil, fmt.Errorf("runtime: capture %q: no such activation", name)
		}
	}
	rs, _ := pool.Get().(*runState)
	if rs == nil {
		rs = &runState{ws: make([]scratch, m.workers)}
	}
	defer pool.Put(rs)
	if err := rs.prepare(p, input.Shape); err != nil {
		if p != m.fused || !errors.Is(err, errFusedShape) {
			return nil, err
		}
		o.Unfused = true // a fused chain cannot take these shapes: run every op
		return m.runWith(ctx, input, o)
	}
	shapes := rs.shapes
	if len(o.Inject) > 0 {
		var err error
		if shapes, err = p.inferShapes(input.Shape, o.Inject); err != nil {
			return nil, err
		}
	}
	for name, t := range o.Inject {
		if len(t.Data) != numel(t.Shape) {
			return nil, fmt.Errorf("runtime: inject %q: %d values for shape %v", name, len(t.Data), t.Shape)
		}
	}
	if len(input.Shape) == 3 && input.Shape[0] >= rowPipelineMinBatch && len(o.Capture) == 0 && len(o.Inject) == 0 && !o.Stats && o.Trace == nil {
		if res, err := m.runRows(ctx, p, rs, input); err != nil || res != nil {
			return res, err
		}
	}
	keep := rs.keepOut
	if len(o.Capture) > 0 {
		keep = append([]bool(nil), keep...)
		for _, name := range o.Capture {
			keep[p.index[name]] = true
		}
	}
	x := &rs.x
	vals := x.vals
	if len(vals) != len(p.values) {
		vals = make([]*tval, len(p.values))
	}
	clear(vals)
	workers := m.workers
	if o.oneWorker {
		workers = 1
	}
	*x = execCtx{p: p, k: m.k, workers: workers, ws: rs.ws, vals: vals, keep: keep, in: x.in[:0]}
	defer func() {
		if x.team != nil {
			x.team.stop()
		}
		x.vals, x.in, x.out, x.st, x.node, x.stats, x.team = vals, x.in[:0], nil, nil, nil, nil, nil
	}()
	if workers > 1 && len(input.Data)*m.maxWidth >= minTeamRun {
		// A long input: wake the helpers now, so that they are running (~150 µs later) by
		// the time the first large op starts.
		x.team = &team{}
		x.team.start(x)
	}
	tv := rs.tv
	for i, v := range p.values {
		if v.isConst {
			tv[i] = tval{data: v.cdata, shape: v.cshape}
			x.vals[i] = &tv[i]
		}
	}
	tv[p.inputs[0]] = tval{data: input.Data, shape: input.Shape}
	x.vals[p.inputs[0]] = &tv[p.inputs[0]]
	ar := &rs.ar
	var st *Stats
	if o.Stats || o.Trace != nil {
		st = &Stats{}
	}
	var start time.Time
	if st != nil {
		start = time.Now()
	}
	type ev struct {
		Name string         `json:"name"`
		Cat  string         `json:"cat"`
		Ph   string         `json:"ph"`
		Ts   float64        `json:"ts"`
		Dur  float64        `json:"dur"`
		Pid  int            `json:"pid"`
		Tid  int            `json:"tid"`
		Args map[string]any `json:"args,omitempty"`
	}
	var events []ev
	for _, n := range p.nodes {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("runtime: cancelled before node %q: %w", n.name, err)
		}
		var t0 time.Time
		var ls *LayerStats // allocated per node only with statistics
		if st != nil {
			t0 = time.Now()
			ls = &LayerStats{Name: n.name, Op: n.op, SpikeRate: -1, InputSpikeRate: -1}
			x.stats = ls
		}
		allInjected := len(o.Inject) > 0
		for _, oi := range n.out {
			if oi >= 0 {
				if _, ok := o.Inject[p.values[oi].name]; !ok {
					allInjected = false
				}
			}
		}
		outs := rs.outs[n.idx]
		for j, oi := range n.out {
			outs[j] = nil
			if oi < 0 {
				continue
			}
			tv[oi] = tval{data: ar.get(numel(shapes[oi])), shape: shapes[oi]}
			outs[j] = &tv[oi]
			x.vals[oi] = outs[j]
		}
		if !allInjected {
			x.B, x.T = 0, 0
			// Sequence mode starts from zero state: reuse the buffers of an earlier Run of
			// this shape, cleared, or let runNode allocate them.
			nst := rs.state[n.idx]
			for _, b := range nst {
				clear(b)
			}
			if len(o.Inject) > 0 {
				nst = nil
			}
			if err := x.runNode(n, outs, nst); err != nil {
				return nil, err
			}
			if len(o.Inject) == 0 && nst == nil && x.st != nil {
				rs.state[n.idx] = x.st
			}
		} else if st != nil {
			ls.Path = "injected"
		}
		for j, oi := range n.out {
			if oi < 0 {
				continue
			}
			if t, ok := o.Inject[p.values[oi].name]; ok {
				copy(outs[j].data, t.Data)
			}
		}
		if st != nil {
			if ls.SpikeRate < 0 && len(n.out) > 0 && n.out[0] >= 0 && p.values[n.out[0]].spike {
				ls.SpikeRate = spikeRate(outs[0].data)
			}
			ls.Time = time.Since(t0)
			st.Layers = append(st.Layers, *ls)
			if o.Trace != nil {
				events = append(events, ev{Name: n.name, Cat: n.op, Ph: "X", Ts: float64(t0.Sub(start).Nanoseconds()) / 1e3,
					Dur: float64(ls.Time.Nanoseconds()) / 1e3, Pid: 1, Tid: 1, Args: map[string]any{"path": ls.Path}})
			}
		}
		p.deadAfter(n, keep, func(i int) {
			// x.vals[i] is nil when the node reads the value twice (Add(x, x)): freed already.
			if x.vals[i] != nil {
				ar.put(x.vals[i].data)
				x.vals[i] = nil
			}
		})
	}
	res := &Result{Outputs: map[string]Tensor{}, Captured: map[string]Tensor{}}
	defer func() {
		// Hand every buffer still held back to the arena for the next Run.
		for i, v := range x.vals {
			if v != nil && !p.values[i].isConst && p.values[i].producer >= 0 {
				ar.put(v.data)
			}
		}
	}()
	for j, i := range p.outputs {
		v := x.vals[i]
		res.Outputs[p.outputNames[j]] = Tensor{Shape: append([]int(nil), v.shape...), Data: append([]float32(nil), v.data...)}
	}
	for _, name := range o.Capture {
		v := x.vals[p.index[name]]
		if v == nil {
			if i := p.index[name]; i == p.inputs[0] {
				v = &tval{data: input.Data, shape: input.Shape}
			} else {
				return nil, fmt.Errorf("runtime: capture %q: not computed", name)
			}
		}
		res.Captured[name] = Tensor{Shape: append([]int(nil), v.shape...), Data: append([]float32(nil), v.data...)}
	}
	if st != nil {
		st.Total = time.Since(start)
		if o.Stats {
			res.Stats = st
		}
		if o.Trace != nil {
			if err := json.NewEncoder(o.Trace).Encode(map[string]any{"traceEvents": events, "displayTimeUnit": "ms"}); err != nil {
				return nil, fmt.Errorf("runtime: writing trace: %w", err)
			}
		}
	}
	return res, nil
}

func spikeRate(d []float32) float64 {
	if len(d) == 0 {
		return 0
	}
	n := 0
	for _, v := range d {
		if v != 0 {
			n++
		}
	}
	return float64(n) / float64(len(d))
}

// runNode executes one node with outputs already allocated. st holds the node's state buffers
// (step mode); nil means zero state (sequence mode), allocated here.
func (x *execCtx) runNode(n *cnode, outs []*tval, st [][]float32) error {
	x.node = n
	x.in = x.in[:0]
	for _, i := range n.in {
		if i < 0 {
			x.in = append(x.in, nil)
		} else {
			x.in = append(x.in, x.vals[i])
		}
	}
	x.out = outs
	if st == nil {
		if sz, ok := n.impl.(stateful); ok {
			sizes := sz.stateSizes(x.in)
			st = make([][]float32, len(sizes))
			for i, s := range sizes {
				st[i] = make([]float32, s)
			}
		}
	}
	x.st = st
	x.err = nil
	if err := n.impl.run(x); err != nil {
		return fmt.Errorf("runtime: node %q (%s): %w", n.name, n.op, err)
	}
	if x.err != nil {
		return fmt.Errorf("runtime: node %q (%s): %w", n.name, n.op, x.err)
	}
	return nil
}
