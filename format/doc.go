// Package format owns the spikessm model file (.ssm): its FlatBuffers schema
// (spikessm.fbs, generated code in internal/fb), the op contract (OPS.md), the
// Builder that writes files, the reader (Open with a read-only mmap, FromBytes,
// FromReaderAt) that hands out zero-copy weight views, the Validator, DeriveStep
// (the streaming `step` entry point derived from `sequence`) and Describe (what
// `spikessm inspect` prints).
//
// File layout: a little-endian uint32 size S, then an S-byte FlatBuffer (root
// offset, identifier "SSM1" at file offset 8, Model table), then the weight buffers,
// each at a 64-byte aligned absolute offset recorded with its size as uint64 in its
// Tensor table. See COMPAT.md for what later versions may add.
//
// This package must not execute models, import the runtime, kernels or converters,
// or trust any field of a file before checking it: the verifier bounds-checks every
// FlatBuffer offset before decoding, and views over weights are made only after
// bounds and alignment checks.
package format
