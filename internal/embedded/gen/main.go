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
