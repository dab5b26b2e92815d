package format

import (
	"encoding/binary"
	"fmt"
)

// The Go FlatBuffers runtime has no verifier: its accessors index the buffer with
// offsets read from the buffer and panic (or read garbage) on a hostile file. This
// file is a schema-driven verifier in the style of the C++ flatbuffers::Verifier.
// Every offset, vtable, vector length and string is bounds-checked here before the
// generated accessors touch it, so decode() may use them freely afterwards.

type fieldKind uint8

const (
	fScalar    fieldKind = iota // inline scalar or struct of size bytes
	fString                     // offset to a string
	fTable                      // offset to a sub-table
	fVecScalar                  // offset to a vector of size-byte scalars
	fVecString                  // offset to a vector of offsets to strings
	fVecTable                   // offset to a vector of offsets to tables
)

type fieldSpec struct {
	name string
	kind fieldKind
	size int        // element size for fScalar / fVecScalar
	sub  *tableSpec // for fTable / fVecTable
}

type tableSpec struct {
	name   string
	fields []fieldSpec // index = field slot (vtable entry) in schema order
}

// The specs mirror spikessm.fbs field by field (slot order). TestVerifierMatchesSchema
// keeps them honest by checking the slot numbers of the generated code.
var (
	specOpsetImport = &tableSpec{name: "OpsetImport", fields: []fieldSpec{
		{name: "domain", kind: fString},
		{name: "version", kind: fScalar, size: 4},
	}}
	specKeyValue = &tableSpec{name: "KeyValue", fields: []fieldSpec{
		{name: "key", kind: fString},
		{name: "kind", kind: fScalar, size: 1},
		{name: "i", kind: fScalar, size: 8},
		{name: "f", kind: fScalar, size: 8},
		{name: "s", kind: fString},
		{name: "bytes", kind: fVecScalar, size: 1},
		{name: "ints", kind: fVecScalar, size: 8},
		{name: "floats", kind: fVecScalar, size: 8},
	}}
	specDim = &tableSpec{name: "Dim", fields: []fieldSpec{
		{name: "value", kind: fScalar, size: 8},
		{name: "symbol", kind: fString},
	}}
	specValueInfo = &tableSpec{name: "ValueInfo", fields: []fieldSpec{
		{name: "name", kind: fString},
		{name: "dtype", kind: fScalar, size: 1},
		{name: "shape", kind: fVecTable, sub: specDim},
	}}
	specNode = &tableSpec{name: "Node", fields: []fieldSpec{
		{name: "name", kind: fString},
		{name: "domain", kind: fString},
		{name: "op", kind: fString},
		{name: "version", kind: fScalar, size: 4},
		{name: "inputs", kind: fVecString},
		{name: "outputs", kind: fVecString},
		{name: "attributes", kind: fVecTable, sub: specKeyValue},
	}}
	specGraph = &tableSpec{name: "Graph", fields: []fieldSpec{
		{name: "name", kind: fString},
		{name: "inputs", kind: fVecTable, sub: specValueInfo},
		{name: "outputs", kind: fVecTable, sub: specValueInfo},
		{name: "nodes", kind: fVecTable, sub: specNode},
		{name: "initializers", kind: fVecString},
	}}
	specTensor = &tableSpec{name: "Tensor", fields: []fieldSpec{
		{name: "name", kind: fString},
		{name: "dtype", kind: fScalar, size: 1},
		{name: "shape", kind: fVecScalar, size: 8},
		{name: "offset", kind: fScalar, size: 8},
		{name: "size", kind: fScalar, size: 8},
		{name: "checksum_kind", kind: fScalar, size: 1},
		{name: "checksum", kind: fScalar, size: 4},
		{name: "scale", kind: fString},
		{name: "quant_axis", kind: fScalar, size: 4},
	}}
	specModel = &tableSpec{name: "Model", fields: []fieldSpec{
		{name: "format_version", kind: fScalar, size: 4},
		{name: "min_runtime_version", kind: fScalar, size: 4},
		{name: "producer", kind: fString},
		{name: "producer_version", kind: fString},
		{name: "opset_imports", kind: fVecTable, sub: specOpsetImport},
		{name: "metadata", kind: fVecTable, sub: specKeyValue},
		{name: "graphs", kind: fVecTable, sub: specGraph},
		{name: "tensors", kind: fVecTable, sub: specTensor},
	}}
)

const (
	maxVerifyDepth  = 32
	maxVerifyTables = 1 << 20 // total table visits; bounds work on DAG-shaped hostile files
)

type verifier struct {
	buf    []byte
	tables int
}

// verifyFlatBuffer checks that buf (the FlatBuffer without its size prefix) is a
// well-formed Model: identifier, root offset and every reachable object in bounds.
func verifyFlatBuffer(buf []byte) error {
	if len(buf) < 8 {
		return fmt.Errorf("flatbuffer of %d bytes is too short for a root offset and identifier", len(buf))
	}
	if uint64(len(buf)) >= 1<<31 {
		return fmt.Errorf("flatbuffer of %d bytes exceeds the 2 GiB limit", len(buf))
	}
	if string(buf[4:8]) != FileIdentifier {
		return fmt.Errorf("file identifier %q, want %q (not a spikessm model)", buf[4:8], FileIdentifier)
	}
	v := &verifier{buf: buf}
	root := uint64(binary.LittleEndian.Uint32(buf))
	return v.table(root, specModel, 0, "Model")
}

func (v *verifier) in(pos, n uint64) bool {
	return pos <= uint64(len(v.buf)) && n <= uint64(len(v.buf))-pos
}

func (v *verifier) u32(pos uint64) uint32 { return binary.LittleEndian.Uint32(v.buf[pos:]) }
func (v *verifier) u16(pos uint64) uint16 { return binary.LittleEndian.Uint16(v.buf[pos:]) }

func (v *verifier) table(pos uint64, spec *tableSpec, depth int, path string) error {
	if depth > maxVerifyDepth {
		return fmt.Errorf("%s: nesting deeper than %d", path, maxVerifyDepth)
	}
	v.tables++
	if v.tables > maxVerifyTables {
		return fmt.Errorf("%s: more than %d tables", path, maxVerifyTables)
	}
	if pos%4 != 0 || !v.in(pos, 4) {
		return fmt.Errorf("%s: table offset %d out of bounds or misaligned (buffer %d bytes)", path, pos, len(v.buf))
	}
	soff := int64(int32(v.u32(pos)))
	vt := int64(pos) - soff
	if vt < 0 || vt%2 != 0 || !v.in(uint64(vt), 4) {
		return fmt.Errorf("%s: vtable at %d out of bounds or misaligned", path, vt)
	}
	vtab := uint64(vt)
	vtSize := uint64(v.u16(vtab))
	tblSize := uint64(v.u16(vtab + 2))
	if vtSize < 4 || vtSize%2 != 0 || !v.in(vtab, vtSize) {
		return fmt.Errorf("%s: vtable size %d invalid", path, vtSize)
	}
	if tblSize < 4 || !v.in(pos, tblSize) {
		return fmt.Errorf("%s: table size %d out of bounds", path, tblSize)
	}
	for slot, f := range spec.fields {
		e := 4 + 2*uint64(slot)
		if e+2 > vtSize {
			break // field absent: older writer
		}
		voff := uint64(v.u16(vtab + e))
		if voff == 0 {
			continue
		}
		fpath := path + "." + f.name
		width := uint64(4)
		if f.kind == fScalar {
			width = uint64(f.size)
		}
		if voff < 4 || voff+width > tblSize {
			return fmt.Errorf("%s: field offset %d outside table of %d bytes", fpath, voff, tblSize)
		}
		fpos := pos + voff
		if f.kind == fScalar {
			continue
		}
		if fpos%4 != 0 {
			return fmt.Errorf("%s: misaligned offset field", fpath)
		}
		target := fpos + uint64(v.u32(fpos))
		if err := v.object(target, f, depth, fpath); err != nil {
			return err
		}
	}
	return nil
}

// object verifies the string/table/vector that an offset field points at.
func (v *verifier) object(target uint64, f fieldSpec, depth int, path string) error {
	switch f.kind {
	case fString:
		return v.str(target, path)
	case fTable:
		return v.table(target, f.sub, depth+1, path)
	}
	n, err := v.vecLen(target, path)
	if err != nil {
		return err
	}
	elem := uint64(4)
	if f.kind == fVecScalar {
		elem = uint64(f.size)
	}
	if n > (uint64(len(v.buf))-target-4)/elem {
		return fmt.Errorf("%s: vector of %d elements overruns the buffer", path, n)
	}
	if f.kind == fVecScalar {
		return nil
	}
	for i := uint64(0); i < n; i++ {
		epos := target + 4 + 4*i
		etarget := epos + uint64(v.u32(epos))
		epath := fmt.Sprintf("%s[%d]", path, i)
		var err error
		if f.kind == fVecString {
			err = v.str(etarget, epath)
		} else {
			err = v.table(etarget, f.sub, depth+1, epath)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (v *verifier) vecLen(pos uint64, path string) (uint64, error) {
	if pos%4 != 0 || !v.in(pos, 4) {
		return 0, fmt.Errorf("%s: vector offset %d out of bounds or misaligned", path, pos)
	}
	return uint64(v.u32(pos)), nil
}

func (v *verifier) str(pos uint64, path string) error {
	n, err := v.vecLen(pos, path)
	if err != nil {
		return err
	}
	// length, bytes and the terminating zero must fit
	if n >= uint64(len(v.buf)) || !v.in(pos+4, n+1) {
		return fmt.Errorf("%s: string of %d bytes overruns the buffer", path, n)
	}
	if v.buf[pos+4+n] != 0 {
		return fmt.Errorf("%s: string not zero-terminated", path)
	}
	return nil
}
