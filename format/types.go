package format

import (
	"fmt"
	"strconv"
)

// FileIdentifier is the FlatBuffers file identifier of a .ssm file. It sits at byte
// offset 8 of the file (after the 4-byte size prefix and the 4-byte root offset).
const FileIdentifier = "SSM1"

// FormatMajor and FormatMinor are the format version this package writes and reads.
// A reader accepts any file with the same major version; see COMPAT.md.
const (
	FormatMajor = 1
	FormatMinor = 0
)

// RuntimeVersion is the reader version checked against a file's min_runtime_version.
var RuntimeVersion = Version{Major: 1, Minor: 0}

// Alignment is the byte alignment of every weight buffer's absolute file offset.
const Alignment = 64

// MaxFlatBufferSize bounds the FlatBuffer part of a file (graphs, metadata, tensor
// descriptors; not the weights).
const MaxFlatBufferSize = 1 << 30

// Version is a major.minor version pair.
type Version struct {
	Major, Minor int
}

// String formats the version as "major.minor".
func (v Version) String() string { return fmt.Sprintf("%d.%d", v.Major, v.Minor) }

// Less reports whether v is older than w.
func (v Version) Less(w Version) bool {
	return v.Major < w.Major || (v.Major == w.Major && v.Minor < w.Minor)
}

// DType is the element type of a tensor or graph value.
type DType uint8

// The element types. I8 is symmetric int8 with a per-channel float32 scale tensor;
// Bits is bit-packed 0/1 where flat element i is bit i%8 (LSB first) of byte i/8.
const (
	F32 DType = iota + 1
	F16
	BF16
	I8
	U8
	I32
	I64
	Bits
)

var dtypeNames = [...]string{"", "f32", "f16", "bf16", "i8", "u8", "i32", "i64", "bits"}

// String returns the lower-case name ("f32", "bits", ...) or "dtype(N)" when unknown.
func (d DType) String() string {
	if d.Valid() {
		return dtypeNames[d]
	}
	return "dtype(" + strconv.Itoa(int(d)) + ")"
}

// Valid reports whether d is one of the known element types.
func (d DType) Valid() bool { return d >= F32 && d <= Bits }

// ParseDType is the inverse of String for known types.
func ParseDType(s string) (DType, error) {
	for i, n := range dtypeNames {
		if i > 0 && n == s {
			return DType(i), nil
		}
	}
	return 0, fmt.Errorf("unknown dtype %q", s)
}

// ElemBits is the storage size of one element in bits (1 for Bits), 0 if unknown.
func (d DType) ElemBits() int {
	switch d {
	case F32, I32:
		return 32
	case F16, BF16:
		return 16
	case I8, U8:
		return 8
	case I64:
		return 64
	case Bits:
		return 1
	}
	return 0
}

// ByteSize returns the number of bytes numel elements of d occupy (Bits rounds up to
// whole bytes) and false if d is unknown, numel is negative or the size overflows int64.
func (d DType) ByteSize(numel int64) (int64, bool) {
	eb := int64(d.ElemBits())
	if eb == 0 || numel < 0 {
		return 0, false
	}
	if eb == 1 {
		return (numel + 7) / 8, true
	}
	by := eb / 8
	if numel > (1<<63-1)/by {
		return 0, false
	}
	return numel * by, true
}

// NumElements returns the product of shape and false if a dimension is negative or
// the product overflows int64. The empty shape is a scalar with one element.
func NumElements(shape []int64) (int64, bool) {
	n := int64(1)
	for _, d := range shape {
		if d < 0 {
			return 0, false
		}
		if d != 0 && n > (1<<63-1)/d {
			return 0, false
		}
		n *= d
	}
	return n, true
}

// Dim is one dimension of a graph value: a fixed size, or a symbol such as "B"
// (batch) or "L" (sequence length) with Value -1.
type Dim struct {
	Value  int64
	Symbol string
}

// String returns the symbol or the decimal size.
func (d Dim) String() string {
	if d.Symbol != "" {
		return d.Symbol
	}
	return strconv.FormatInt(d.Value, 10)
}

// Fixed returns a fixed-size dimension.
func Fixed(n int64) Dim { return Dim{Value: n} }

// Sym returns a symbolic dimension.
func Sym(s string) Dim { return Dim{Value: -1, Symbol: s} }

// ValueInfo names and types a graph input or output.
type ValueInfo struct {
	Name  string
	DType DType
	Shape []Dim
}

// Node is one operator application. Domain "" means "spikessm". Attrs values are
// int64, float64, string, []int64 or []float64.
type Node struct {
	Name, Domain, Op string
	Version          int // op version, 1 for every op today (the Builder writes 0 as 1)
	Inputs, Outputs  []string
	Attrs            map[string]any
}

// Graph is an entry point: "sequence" (whole sequences) or "step" (one step with
// explicit state inputs and outputs, see OPS.md "State").
type Graph struct {
	Name            string
	Inputs, Outputs []ValueInfo
	Nodes           []Node
}

// Entry point names.
const (
	GraphSequence = "sequence"
	GraphStep     = "step"
)

// OpsetImport is one (domain, version) pair a model declares it uses.
type OpsetImport struct {
	Domain  string
	Version int
}

// DomainSpikessm is the canonical name of the default op domain ("" is a synonym).
const DomainSpikessm = "spikessm"

// OpsetVersion is the newest version of the spikessm op set this package knows.
const OpsetVersion = 1

func canonicalDomain(d string) string {
	if d == "" {
		return DomainSpikessm
	}
	return d
}
