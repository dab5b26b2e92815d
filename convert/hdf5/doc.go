// Package hdf5 is a small, read-only HDF5 reader covering what NIR files
// (and h5py with default or libver="latest" settings) produce: superblock
// versions 0–3 (also after a user block), object header versions 1 and 2,
// symbol-table groups (v1 B-tree + local heap), compact link-message groups
// and dense groups/attributes (fractal heap with a direct or one-level
// indirect root, v2 B-tree name index whose root is a leaf), contiguous,
// compact and chunked dataset layouts (v1 B-tree chunk index, and the
// single-chunk, implicit and unpaged fixed-array indexes of layout v4) with
// the deflate, shuffle and fletcher32 filters, fill values, fixed-point
// (8–64 bit), IEEE float (16, 32, 64 bit), fixed-length and variable-length
// (global heap) string datatypes, scalar and N-d dataspaces, attributes,
// nested groups.
//
// It owns parsing only. It must not know about NIR or models, and it never
// writes. Every offset read from the file is bounds-checked, loops and
// recursion are bounded, and allocations are capped by the file size, so
// hostile input yields an error naming the object, never a panic.
// Unsupported features (deeper fractal heaps and v2 B-trees, extensible
// array and v2 B-tree chunk indexes, paged fixed arrays, szip/lzf/n-bit/
// scale-offset filters, big-endian data, compound/enum/array/reference/
// opaque/vlen-sequence types, committed datatypes, soft and external links,
// external and virtual storage) are refused with an error that names them.
package hdf5
