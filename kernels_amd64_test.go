//go:build !purego

package spikessm

import (
	"os"
	"regexp"
	"strings"
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

// TestAVX2AssemblyHasNoEVEX checks the AVX2 functions of kernels_amd64.s use
// only VEX-encodable registers (Y0–Y15, no Z or K registers), so they run on
// CPUs without AVX-512. (The Go assembler silently picks EVEX for Y16–Y31.)
func TestAVX2AssemblyHasNoEVEX(t *testing.T) {
	src, err := os.ReadFile("kernels_amd64.s")
	require.NoError(t, err)
	bad := regexp.MustCompile(`\b([XY](1[6-9]|2[0-9]|3[01])|Z[0-9]+|K[0-7])\b`)
	fn, checked := "", 0
	for i, line := range strings.Split(string(src), "\n") {
		if strings.HasPrefix(line, "TEXT ") {
			fn = line
			continue
		}
		code, _, _ := strings.Cut(line, "//")
		if strings.Contains(fn, "AVX2(") || strings.Contains(fn, "addChain(") {
			checked++
			require.False(t, bad.MatchString(code), "kernels_amd64.s:%d in %s uses an EVEX-only register: %s", i+1, fn, line)
		}
	}
	require.Greater(t, checked, 500, "no AVX2 function found")
}
