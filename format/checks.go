package format

import (
	"fmt"
	"math"
)

// Parameter constraints of OPS.md that need the weight values.

// floats returns the values of input k when it is a readable initializer of the
// expected size, or nil.
func (c *inferCtx) floats(k int) []float32 {
	if k >= len(c.in) || c.in[k] == nil || c.in[k].tensor == nil {
		return nil
	}
	vals, err := c.in[k].tensor.Float32()
	if err != nil {
		return nil // the tensor's own problem is reported by checkTensors
	}
	return vals
}

func (c *inferCtx) paramErr(k int, idx int, val float64, constraint string) {
	e := &ParameterError{Graph: c.graph, Node: c.node.Name, Op: c.node.Op, Input: c.spec.Inputs[k].Name, Index: int64(idx), Value: val, Constraint: constraint}
	c.v.add(Problem{Kind: ProblemParameter, Where: c.where(), Msg: fmt.Sprintf("input %s: element %d = %g violates %s", c.inName(k), idx, val, constraint), Err: e})
}

// each checks pred on every value of input k and reports the first violation.
func (c *inferCtx) each(k int, constraint string, pred func(float64) bool) {
	for i, x := range c.floats(k) {
		if !pred(float64(x)) {
			c.paramErr(k, i, float64(x), constraint)
			return
		}
	}
}

func (c *inferCtx) attrCheck(key string, ok bool, msg string) {
	if !ok {
		e := &AttributeError{Graph: c.graph, Node: c.node.Name, Op: c.node.Op, Attr: key, Msg: msg}
		c.v.add(Problem{Kind: ProblemAttribute, Where: c.where(), Msg: fmt.Sprintf("attribute %q: %s", key, msg), Err: e})
	}
}

func checkEpsilon(c *inferCtx) {
	eps := c.node.AttrFloat("epsilon")
	c.attrCheck("epsilon", eps >= 0, fmt.Sprintf("expected ≥ 0, got %g", eps))
}

func checkBatchNorm(c *inferCtx) {
	checkEpsilon(c)
	eps := c.node.AttrFloat("epsilon")
	c.each(4, fmt.Sprintf("var + epsilon > 0 (epsilon = %g)", eps), func(x float64) bool { return x+eps > 0 })
}

func checkS4D(c *inferCtx) {
	// A discretised stable system has |a_n| ≤ 1; a larger modulus makes the scan
	// diverge exponentially, which is never a trained model's intent.
	re, im := c.floats(1), c.floats(2)
	if re == nil || len(re) != len(im) {
		return
	}
	for i := range re {
		if mod := math.Hypot(float64(re[i]), float64(im[i])); mod > 1+1e-6 {
			c.paramErr(1, i, mod, "|a_n| = |a_re + i·a_im| ≤ 1 (stable discretisation)")
			return
		}
	}
}

func checkSpikingNeuron(c *inferCtx) {
	c.each(1, "τ ∈ [0, 1]", func(x float64) bool { return x >= 0 && x <= 1 })
	c.each(2, "θ > 0", func(x float64) bool { return x > 0 })
	c.each(3, "ρ ≥ 0", func(x float64) bool { return x >= 0 })
	c.each(4, "β ∈ [0, 1)", func(x float64) bool { return x >= 0 && x < 1 })
}
