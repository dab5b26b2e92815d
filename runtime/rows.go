package runtime

import (
	"context"
	"fmt"
)

// Row-pipelined execution of a batch.
//
// Every op of the sequence entry point treats the rows of a batch independently (OPS.md: no
// op mixes batch rows), and a batch gives every row exactly the bits it gets alone. A plain
// Run of B > 1 sequences therefore runs the whole graph on one sequence at a time, B times,
// instead of each op on the whole batch: a sequence's activations (tens of KiB) then stay in
// L1 from the op that writes them to the op that reads them, where a batch's (a few hundred
// KiB) go through L2 between ops. With the small reference models this makes the kernels
// run at their in-cache speed (s4d_example at batch 16, one worker: 10.7 → 9.9 µs per
// sequence; s4block_diag 11.0 → 10.4).
//
// The memory plan is made once per sequence shape (rowProgram): a fixed buffer per
// activation, reused across rows and shared between activations whose lifetimes do not
// overlap, and the state buffers of the stateful ops, cleared before each row. Statistics,
// traces, captures and injections use the op-at-a-time path (runWith), which reports and
// exposes whole-batch values.

// rowProgram is the memory plan of a row-pipelined run for one sequence shape.
type rowProgram struct {
	shape []int         // (1, L, F)
	tv    []tval        // per value: constants, the input row, activations
	vals  []*tval       // &tv[i]
	outs  [][]*tval     // per node: its output values
	state [][][]float32 // per node: state buffers (nil for stateless ops)
}

// rowProgram returns the plan for sequences of shape (1, L, F), or nil when some activation
// does not have the batch as its leading dimension (then the batch runs op by op). full is
// the batch's shapes.
func (rs *runState) rowProgram(p *plan, row []int, full [][]int) (*rowProgram, error) {
	if rs.rows != nil && shapeEq(rs.rows.shape, row) {
		return rs.rows, nil
	}
	rs.rows = nil
	shapes, err := p.inferShapes(row, nil)
	if err != nil {
		return nil, err
	}
	B := full[p.inputs[0]][0]
	for i, v := range p.values {
		if v.isConst || shapes[i] == nil {
			continue
		}
		if len(shapes[i]) == 0 || shapes[i][0] != 1 || len(full[i]) == 0 || full[i][0] != B {
			return nil, nil // not batch-leading: no row pipeline
		}
	}
	rp := &rowProgram{shape: append([]int(nil), row...), tv: make([]tval, len(p.values)),
		vals: make([]*tval, len(p.values)), outs: make([][]*tval, len(p.nodes)), state: make([][][]float32, len(p.nodes))}
	for i, v := range p.values {
		rp.vals[i] = &rp.tv[i]
		if v.isConst {
			rp.tv[i] = tval{data: v.cdata, shape: v.cshape}
		}
	}
	rp.tv[p.inputs[0]].shape = rp.shape
	var ar arena
	freed := make([]bool, len(p.values))
	ins := make([]*tval, 0, 8)
	for _, n := range p.nodes {
		rp.outs[n.idx] = make([]*tval, len(n.out))
		for j, oi := range n.out {
			if oi < 0 {
				continue
			}
			rp.tv[oi] = tval{data: ar.get(numel(shapes[oi])), shape: shapes[oi]}
			rp.outs[n.idx][j] = &rp.tv[oi]
		}
		if sz, ok := n.impl.(stateful); ok {
			ins = ins[:0]
			for _, i := range n.in {
				if i < 0 {
					ins = append(ins, nil)
				} else {
					ins = append(ins, &rp.tv[i])
				}
			}
			sizes := sz.stateSizes(ins)
			rp.state[n.idx] = make([][]float32, len(sizes))
			for k, s := range sizes {
				rp.state[n.idx][k] = make([]float32, s)
			}
		}
		p.deadAfter(n, rs.keepOut, func(i int) { // as in runWith
			if !freed[i] {
				ar.put(rp.tv[i].data)
				freed[i] = true
			}
		})
	}
	rs.rows = rp
	return rp, nil
}

// runRows runs the batch input (B, L, F) one sequence at a time through every node (see
// rowProgram) on the calling goroutine. It returns nil, nil when the graph does not allow it.
func (m *Model) runRows(ctx context.Context, p *plan, rs *runState, input Tensor) (*Result, error) {
	B, L, F := input.Shape[0], input.Shape[1], input.Shape[2]
	rp, err := rs.rowProgram(p, []int{1, L, F}, rs.shapes)
	if err != nil || rp == nil {
		return nil, err
	}
	x := &rs.x
	*x = execCtx{p: p, k: m.k, workers: 1, ws: rs.ws, vals: rp.vals, keep: rs.keepOut, in: x.in[:0]}
	defer func() { x.vals, x.in, x.out, x.st, x.node, x.stats = nil, x.in[:0], nil, nil, nil, nil }()
	res := &Result{Outputs: map[string]Tensor{}, Captured: map[string]Tensor{}}
	outs := make([][]float32, len(p.outputs))
	for j, i := range p.outputs {
		shape := append([]int{B}, rp.tv[i].shape[1:]...)
		outs[j] = make([]float32, numel(shape))
		res.Outputs[p.outputNames[j]] = Tensor{Shape: shape, Data: outs[j]}
	}
	in := &rp.tv[p.inputs[0]]
	per := L * F
	for b := range B {
		in.data = input.Data[b*per : (b+1)*per]
		for _, n := range p.nodes {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("runtime: cancelled before node %q (sequence %d of %d): %w", n.name, b, B, err)
			}
			st := rp.state[n.idx]
			for _, s := range st {
				clear(s) // every sequence starts from zero state
			}
			if err := x.runNode(n, rp.outs[n.idx], st); err != nil {
				return nil, fmt.Errorf("%w (sequence %d of the batch)", err, b)
			}
		}
		for j, i := range p.outputs {
			d := rp.tv[i].data
			copy(outs[j][b*len(d):], d)
		}
	}
	in.data = nil
	return res, nil
}
