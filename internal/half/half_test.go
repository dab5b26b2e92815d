package half

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

// Every one of the 65 536 values against the definition of binary16, evaluated in float64:
// (−1)^s · 2^(e−15) · (1 + f/1024) for normal numbers, (−1)^s · 2^−14 · f/1024 for subnormals.
func TestToFloat32Exhaustive(t *testing.T) {
	for i := 0; i < 1<<16; i++ {
		h := uint16(i)
		s, e, f := h>>15, int(h>>10&0x1f), float64(h&0x3ff)
		got := ToFloat32(h)
		if e == 0x1f {
			if f == 0 {
				require.True(t, math.IsInf(float64(got), 1-2*int(s)), "%#04x", h)
			} else {
				require.True(t, math.IsNaN(float64(got)), "%#04x", h)
			}
			continue
		}
		var want float64
		if e == 0 {
			want = math.Ldexp(f/1024, -14)
		} else {
			want = math.Ldexp(1+f/1024, e-15)
		}
		if s == 1 {
			want = -want
		}
		require.Equal(t, want, float64(got), "%#04x", h)
		require.Equal(t, s == 1, math.Signbit(float64(got)), "sign of %#04x", h)
	}
}
