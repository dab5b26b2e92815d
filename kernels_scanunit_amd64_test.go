//go:build !purego

package spikessm

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestScanUnitGenerated regenerates kernels_scanunit_amd64.s and requires the
// committed file to be exactly the generator's output.
func TestScanUnitGenerated(t *testing.T) {
	out := filepath.Join(t.TempDir(), "scanunit.s")
	cmd := exec.Command("go", "run", "kernels_scanunit_gen.go", out)
	cmd.Env = append(os.Environ(), "GOFLAGS=")
	msg, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", msg)
	want, err := os.ReadFile(out)
	require.NoError(t, err)
	got, err := os.ReadFile("kernels_scanunit_amd64.s")
	require.NoError(t, err)
	require.Equal(t, string(want), string(got), "kernels_scanunit_amd64.s is stale: go generate")
}
