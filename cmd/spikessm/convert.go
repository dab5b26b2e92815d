package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spikessm/spikessm/convert"
	"github.com/spikessm/spikessm/convert/hdf5"
	"github.com/spikessm/spikessm/format"
)

// isHDF5 reports whether the file at path is HDF5 (a NIR graph); unreadable files report false
// and fail later with the converter's error.
func isHDF5(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, 8)
	_, _ = io.ReadFull(f, head)
	return hdf5.IsHDF5(head)
}

func cmdConvert(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("convert", "convert IN -o OUT.ssm [--arch A] [--config config.yaml] [--activation heaviside] [--prenorm=true|false] [--dt SECONDS] [--allow-unused]", stderr)
	out := fs.String("o", "", "output .ssm file (required)")
	arch := fs.String("arch", "", "source architecture: s4d_example | s4block | spikingssm | binary_s4d | spikessm_ref | snntorch | nir (default: detect)")
	config := fs.String("config", "", "Hydra config.yaml with the hyper-parameters the checkpoint lacks")
	activation := fs.String("activation", "", "override the S4D activation, e.g. heaviside for binary S4D (the checkpoint does not record it)")
	prenorm := fs.String("prenorm", "", "true or false: override pre/post-norm when neither file nor config says")
	dt := fs.Float64("dt", 0, "time step in seconds for NIR graphs and snnTorch models (NIR stores none)")
	allowUnused := fs.Bool("allow-unused", false, "list checkpoint tensors the model does not use instead of failing")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("convert takes exactly one input file, got %d", len(pos))
	}
	if *out == "" {
		return usagef("the output file is required: -o OUT.ssm")
	}
	in := pos[0]

	if *dt <= 0 && (*arch == "nir" || *arch == "snntorch" || isHDF5(in)) {
		return usagef("%s: NIR graphs and snnTorch models store no time step, so --dt SECONDS is required (e.g. --dt 1e-4)", in)
	}
	opt := convert.Options{Arch: *arch, ConfigPath: *config, Activation: *activation, DT: *dt, AllowUnused: *allowUnused, Progress: progressWriter(stderr)}
	switch strings.ToLower(*prenorm) {
	case "":
	case "true", "1", "yes":
		v := true
		opt.Prenorm = &v
	case "false", "0", "no":
		v := false
		opt.Prenorm = &v
	default:
		return usagef("--prenorm takes true or false, got %q", *prenorm)
	}
	r, err := convert.ConvertFile(in, opt)
	if err != nil {
		return err
	}
	b := r.Builder
	if err := b.WriteFile(*out); err != nil {
		return err
	}
	m, err := format.Open(*out)
	if err != nil {
		return fmt.Errorf("re-reading %s: %w", *out, err)
	}
	defer m.Close()
	if err := m.Validate(); err != nil {
		return fmt.Errorf("%s was written but does not validate: %w", *out, err)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(stderr, "note: %s\n", n)
	}
	for _, u := range r.Unused {
		fmt.Fprintf(stderr, "unused: %s\n", u)
	}
	st, _ := os.Stat(*out)
	fmt.Fprintf(stdout, "wrote %s (%d bytes)\n", *out, st.Size())
	return nil
}
