package format

import (
	"fmt"
	"strings"
)

// VersionError reports a file that needs a newer reader (or an unknown major version).
type VersionError struct {
	File      string
	What      string // "format version" or "minimum runtime version"
	Have      Version
	Supported Version
}

// Error describes the problem, naming the offending file, node or tensor.
func (e *VersionError) Error() string {
	return fmt.Sprintf("format: %s: %s %v is not supported by this reader (supports %v)", e.File, e.What, e.Have, e.Supported)
}

// ProblemKind classifies a validation problem.
type ProblemKind string

// The problem kinds Validate reports.
const (
	ProblemDuplicate    ProblemKind = "duplicate"    // a name used twice
	ProblemBadValue     ProblemKind = "bad-value"    // malformed metadata/attribute value
	ProblemDangling     ProblemKind = "dangling"     // a name that refers to nothing
	ProblemCycle        ProblemKind = "cycle"        // the graph is not acyclic
	ProblemShape        ProblemKind = "shape"        // static shape mismatch
	ProblemDType        ProblemKind = "dtype"        // unknown or wrong dtype
	ProblemBuffer       ProblemKind = "buffer"       // out of bounds, misaligned, overlapping, wrong size
	ProblemChecksum     ProblemKind = "checksum"     // stored checksum does not match the bytes
	ProblemUnknownOp    ProblemKind = "unknown-op"   // unknown (domain, op) or too-new version
	ProblemAttribute    ProblemKind = "attribute"    // unknown, mistyped or invalid attribute
	ProblemInputs       ProblemKind = "inputs"       // missing required or too many inputs/outputs
	ProblemParameter    ProblemKind = "parameter"    // parameter constraint of OPS.md violated
	ProblemGraph        ProblemKind = "graph"        // entry point structure
	ProblemOpset        ProblemKind = "opset"        // opset import problems
	ProblemMetadata     ProblemKind = "metadata"     // metadata key with the wrong type or value
	ProblemQuantization ProblemKind = "quantization" // I8 scale problems
)

// Problem is one thing wrong with a model. Where names the graph/node/tensor;
// Msg says what was expected and what was found. Err, when set, is a typed error
// (such as *UnknownOpError) reachable through errors.As on the ValidationError.
type Problem struct {
	Kind  ProblemKind
	Where string
	Msg   string
	Err   error
}

// String formats the problem as "where: what".
func (p Problem) String() string {
	return fmt.Sprintf("%s: %s (%s)", p.Where, p.Msg, p.Kind)
}

// ValidationError lists every problem Validate found.
type ValidationError struct {
	File     string
	Problems []Problem
}

// Error describes the problem, naming the offending file, node or tensor.
func (e *ValidationError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "format: %s: %d problem(s):", e.File, len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p.String())
	}
	return b.String()
}

// Unwrap exposes the typed errors of the problems to errors.Is / errors.As.
func (e *ValidationError) Unwrap() []error {
	var out []error
	for _, p := range e.Problems {
		if p.Err != nil {
			out = append(out, p.Err)
		}
	}
	return out
}

// Has reports whether some problem is of kind k.
func (e *ValidationError) Has(k ProblemKind) bool {
	for _, p := range e.Problems {
		if p.Kind == k {
			return true
		}
	}
	return false
}

// UnknownOpError is a node whose (domain, op) is unknown, or whose op version is
// newer than this package knows (Known is then the newest known version).
type UnknownOpError struct {
	Graph, Node, Domain, Op string
	Version                 int
	Known                   int // 0: op unknown
}

// Error describes the problem, naming the offending file, node or tensor.
func (e *UnknownOpError) Error() string {
	if e.Known == 0 {
		return fmt.Sprintf("graph %q node %q: unknown op %s.%s (version %d)", e.Graph, e.Node, canonicalDomain(e.Domain), e.Op, e.Version)
	}
	return fmt.Sprintf("graph %q node %q: op %s.%s version %d is newer than supported version %d", e.Graph, e.Node, canonicalDomain(e.Domain), e.Op, e.Version, e.Known)
}

// AttributeError is an unknown, mistyped or out-of-range attribute of a node.
type AttributeError struct {
	Graph, Node, Op, Attr string
	Msg                   string
}

// Error describes the problem, naming the offending file, node or tensor.
func (e *AttributeError) Error() string {
	return fmt.Sprintf("graph %q node %q (%s): attribute %q: %s", e.Graph, e.Node, e.Op, e.Attr, e.Msg)
}

// DanglingError is a name that refers to no tensor, graph input or node output.
type DanglingError struct {
	Graph, Node, Name string
}

// Error describes the problem, naming the offending file, node or tensor.
func (e *DanglingError) Error() string {
	if e.Node == "" {
		return fmt.Sprintf("graph %q: %q is produced by no node, graph input or tensor", e.Graph, e.Name)
	}
	return fmt.Sprintf("graph %q node %q: input %q is produced by no node, graph input or tensor", e.Graph, e.Node, e.Name)
}

// CycleError is a graph whose nodes form a cycle.
type CycleError struct {
	Graph string
	Nodes []string
}

// Error describes the problem, naming the offending file, node or tensor.
func (e *CycleError) Error() string {
	return fmt.Sprintf("graph %q: cycle through nodes %s", e.Graph, strings.Join(e.Nodes, ", "))
}

// ShapeError is a static shape or dtype mismatch at a node input or graph value.
type ShapeError struct {
	Graph, Node, Name string
	Expected, Actual  string
}

// Error describes the problem, naming the offending file, node or tensor.
func (e *ShapeError) Error() string {
	where := fmt.Sprintf("graph %q", e.Graph)
	if e.Node != "" {
		where += fmt.Sprintf(" node %q", e.Node)
	}
	return fmt.Sprintf("%s: %q: expected %s, got %s", where, e.Name, e.Expected, e.Actual)
}

// BufferError is a tensor buffer that is out of bounds, misaligned, overlapping,
// of the wrong size, or whose checksum does not match.
type BufferError struct {
	Tensor string
	Msg    string
}

// Error describes the problem, naming the offending file, node or tensor.
func (e *BufferError) Error() string { return fmt.Sprintf("tensor %q: %s", e.Tensor, e.Msg) }

// ParameterError is a weight value violating a constraint of OPS.md (e.g. θ ≤ 0).
type ParameterError struct {
	Graph, Node, Op, Input string
	Index                  int64
	Value                  float64
	Constraint             string
}

// Error describes the problem, naming the offending file, node or tensor.
func (e *ParameterError) Error() string {
	return fmt.Sprintf("graph %q node %q (%s): %s[%d] = %g violates %s", e.Graph, e.Node, e.Op, e.Input, e.Index, e.Value, e.Constraint)
}
