// Package safetensors reads and writes the safetensors tensor container
// (u64 little-endian header length, a JSON header with an optional
// "__metadata__" string map, then raw little-endian C-order data).
//
// It owns only the container: parsing, validation of every offset and size
// against the file, dtype conversion to float32/float64/int64, and writing.
// It must not know about models, architectures or the .ssm format, and it
// never trusts the header: offsets are bounds-checked, tensors may not
// overlap, sizes must equal shape×dtype, and the header length is capped by
// the file size. Malformed input yields an error naming the tensor, never a
// panic.
package safetensors
