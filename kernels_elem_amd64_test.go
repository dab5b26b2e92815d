//go:build !purego

package spikessm

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestElemAVX2NoEVEX checks that the AVX2 functions of the GELU, LayerNorm
// and GLU assembly, and the macros they expand, use only VEX-encodable
// registers (no Z or K registers, no X/Y16–31), so they run on CPUs without
// AVX-512.
func TestElemAVX2NoEVEX(t *testing.T) {
	bad := regexp.MustCompile(`\b([XY](1[6-9]|2[0-9]|3[01])|Z[0-9]+|K[0-7])\b`)
	word := regexp.MustCompile(`\b[A-Z][A-Z0-9_]*\b`)
	for _, file := range []string{"kernels_gelu_amd64.s", "kernels_layernorm_amd64.s", "kernels_glu_amd64.s"} {
		src, err := os.ReadFile(file)
		require.NoError(t, err)
		lines := strings.Split(string(src), "\n")
		macros := map[string][]string{}
		var fns [][]string
		var cur *[]string
		inMacro := ""
		for _, line := range lines {
			code, _, _ := strings.Cut(line, "//")
			switch {
			case inMacro != "":
				macros[inMacro] = append(macros[inMacro], code)
				if !strings.HasSuffix(strings.TrimSpace(code), `\`) {
					inMacro = ""
				}
			case strings.HasPrefix(line, "#define "):
				name := strings.FieldsFunc(line[len("#define "):], func(r rune) bool { return r == '(' || r == ' ' || r == '\t' })[0]
				macros[name] = []string{code}
				if strings.HasSuffix(strings.TrimSpace(code), `\`) {
					inMacro = name
				}
			case strings.HasPrefix(line, "TEXT "):
				if strings.Contains(line, "AVX2(") {
					fns = append(fns, nil)
					cur = &fns[len(fns)-1]
				} else {
					cur = nil
				}
			case cur != nil:
				*cur = append(*cur, code)
			}
		}
		var check func(where string, body []string, depth int)
		check = func(where string, body []string, depth int) {
			require.Less(t, depth, 10)
			for _, code := range body {
				require.False(t, bad.MatchString(code), "%s: %s uses an EVEX-only register: %s", file, where, code)
				for _, w := range word.FindAllString(code, -1) {
					if m, ok := macros[w]; ok && !strings.HasPrefix(strings.TrimSpace(code), "#define") {
						check(where+" → "+w, m[1:], depth+1)
					}
				}
			}
		}
		require.NotEmpty(t, fns, file)
		for _, body := range fns {
			check("AVX2 function", body, 0)
		}
	}
}
