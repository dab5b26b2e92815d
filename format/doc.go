// Package format owns the spikessm model file (.ssm): its FlatBuffers schema
// (spikessm.fbs, generated code in internal/fb), the op contract (OPS.md), the
// Builder that writes files, the reader (Open with a read-only mmap, OpenReaderAt,
// FromBytes, FromReaderAt) that hands out zero-copy weight views, the validator
// (Model.Validate with typed errors), DeriveStep (the streaming `step` entry point
// derived from `sequence`) and Describe (what `spikessm inspect` prints).
//
// File layout: a little-endian uint32 size S, then an S-byte FlatBuffer (root
// offset, identifier "SSM1" at file offset 8, Model table), then the weight buffers,
// each at a 64-byte aligned absolute offset recorded with its size as uint64 in its
// Tensor table, with an optional CRC-32C. See COMPAT.md for what later versions may
// add without breaking readers.
//
// Opening checks the structure (every FlatBuffer offset, vtable, vector and string
// is bounds-checked by a schema-driven verifier before the generated accessors run)
// and the format version; it does not check meaning. Call Validate before running a
// model: it reports every problem at once, each naming the graph, node or tensor.
// OpSpecs/LookupOp expose the op registry (inputs, attributes with defaults, state)
// that Validate and DeriveStep use; Node.AttrInt/AttrFloat/AttrString return an
// attribute or its OPS.md default.
//
// This package must not execute models, import the runtime, kernels or converters,
// or trust any field of a file before checking it: no allocation is sized by an
// unchecked field, and views over weights are made only after bounds and alignment
// checks.
package format
