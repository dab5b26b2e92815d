//go:build purego || !(amd64 || arm64)

package spikessm

import "unsafe"

func countNonzeroImpl(x *float32, n int) int { return countNonzeroGo(unsafe.Slice(x, n)) }
