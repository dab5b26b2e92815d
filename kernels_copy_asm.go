//go:build !purego && (amd64 || arm64)

package spikessm

// copyRows16Impl copies rows 64-byte rows from src to dst; the strides are in
// bytes. Both regions are fully in bounds (checked by copyRows16).
//
//go:noescape
func copyRows16Impl(dst, src *float32, rows, dstStride, srcStride int)

// addRows16Impl adds rows 64-byte rows of src into dst (dst row += src row),
// advancing by the byte strides (either may be negative). Bounds are the
// caller's.
//
//go:noescape
func addRows16Impl(dst, src *float32, rows, dstStride, srcStride int)
