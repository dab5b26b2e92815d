package main

import (
	"encoding/json"
	"io"

	"github.com/spikessm/spikessm/format"
)

func cmdInspect(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("inspect", "inspect FILE.ssm [--json]", stderr)
	asJSON := fs.Bool("json", false, "print the description as one JSON object")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("inspect takes exactly one model file, got %d arguments", len(pos))
	}
	m, err := format.Open(pos[0])
	if err != nil {
		return err
	}
	defer m.Close()
	d := format.Describe(m)
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(d)
	}
	return d.WriteText(stdout)
}
