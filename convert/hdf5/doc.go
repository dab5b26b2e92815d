// Package hdf5 is a small, read-only HDF5 reader covering what NIR files
// (and h5py with default or libver="latest" settings) produce: superblock
// versions 0–3, object header versions 1 and 2, symbol-table groups (v1
// B-tree + local heap) and compact link-message groups, contiguous, compact
// and chunked (v1 B-tree index, or the single-chunk index of layout v4)
// dataset layouts with the deflate, shuffle and fletcher32 filters,
// fixed-point, floating-point, fixed-length and variable-length string
// datatypes, scalar and N-d dataspaces, attributes, nested groups.
//
// It owns parsing only. It must not know about NIR or models, and it never
// writes. Every offset read from the file is bounds-checked, loops and
// recursion are bounded, and allocations are capped by the file size, so
// hostile input yields an error naming the object, never a panic.
// Unsupported features (dense link storage in fractal heaps, newer chunk
// indexes, compound/enum/reference types, external files) are refused with
// an error that names them.
package hdf5
