// Command gen makes the embedded default model and test set of package embedded: it converts the
// SPikE-SSM reference checkpoint with the project's converter and extracts the length-1024 test
// split from the reference fixtures.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spikessm/spikessm/internal/embedded/build"
)

func main() {
	root := flag.String("root", ".", "repository root")
	out := flag.String("out", ".", "output folder")
	flag.Parse()
	model, set, err := build.Make(*root)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	for name, data := range map[string][]byte{"default.ssm": model, "testset.safetensors": set} {
		p := filepath.Join(*out, name)
		if old, err := os.ReadFile(p); err == nil && bytes.Equal(old, data) {
			continue
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "gen:", err)
			os.Exit(1)
		}
		fmt.Printf("wrote %s (%d bytes)\n", p, len(data))
	}
}
