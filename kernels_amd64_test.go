//go:build !purego

package spikessm

import (
	"testing"

	"github.com/klauspost/cpuid/v2"
	"github.com/stretchr/testify/require"
)

// TestDispatchFeaturesOff rebuilds the table with AVX-512 and then AVX2
// disabled in cpuid, as on a CPU without them.
func TestDispatchFeaturesOff(t *testing.T) {
	names := func() []Variant {
		var vs []Variant
		for _, k := range append(archKernels(), genericKernels()) {
			vs = append(vs, k.Name)
		}
		return vs
	}
	if !cpuid.CPU.Supports(cpuid.AVX2, cpuid.FMA3) {
		require.Equal(t, []Variant{VariantGeneric}, names())
		return
	}
	had512 := cpuid.CPU.Supports(cpuid.AVX512F)
	defer func() {
		// Re-enable only what the CPU really has (Enable forces a feature on).
		cpuid.CPU.Enable(cpuid.AVX2)
		if had512 {
			cpuid.CPU.Enable(cpuid.AVX512F)
		}
	}()
	cpuid.CPU.Disable(cpuid.AVX512F)
	require.Equal(t, []Variant{VariantAVX2, VariantGeneric}, names(), "AVX-512 off")
	cpuid.CPU.Disable(cpuid.AVX2)
	require.Equal(t, []Variant{VariantGeneric}, names(), "AVX2 off")
	cpuid.CPU.Enable(cpuid.AVX2)
	if had512 {
		cpuid.CPU.Enable(cpuid.AVX512F)
		require.Equal(t, []Variant{VariantAVX512, VariantAVX2, VariantGeneric}, names())
	}
}
