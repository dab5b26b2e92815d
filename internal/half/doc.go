// Package half decodes IEEE 754 binary16 ("half", float16) values. It is the one copy of that
// conversion the readers (format, safetensors, HDF5, .npy) share; it owns nothing else.
package half
