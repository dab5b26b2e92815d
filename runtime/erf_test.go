package runtime

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestErf32(t *testing.T) {
	worst := 0.0
	for i := -800000; i <= 800000; i++ {
		x := float64(i) * 1e-5
		worst = math.Max(worst, math.Abs(erf32(x)-math.Erf(x)))
	}
	t.Logf("max |erf32 − math.Erf| on [−8, 8]: %.3g", worst)
	require.Less(t, worst, 1e-7)
	require.True(t, math.IsNaN(erf32(math.NaN())))
	require.Equal(t, erf32(math.Inf(1)), erf32(10))
}
