package main

import (
	"fmt"
	"io"
	"runtime"
	"strings"

	"github.com/klauspost/cpuid/v2"
	"github.com/spikessm/spikessm"
)

func cmdVersion(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("version", "version [--variants]", stderr)
	variants := fs.Bool("variants", false, "print only the kernel variants this CPU can run, one per line, best first")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	if *variants {
		for _, v := range spikessm.Variants() {
			fmt.Fprintln(stdout, v)
		}
		return nil
	}
	k, err := spikessm.DefaultErr()
	selected := "?"
	if k != nil {
		selected = string(k.Name)
	}
	fmt.Fprintf(stdout, "spikessm %s (%s, %s/%s)\n", Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	fmt.Fprintf(stdout, "kernels:   %s (available: %s)\n", selected, joinVariants(spikessm.Variants()))
	if err != nil {
		fmt.Fprintf(stdout, "warning:   %v\n", err)
	}
	fmt.Fprintf(stdout, "cpu:       %s\n", strings.TrimSpace(cpuid.CPU.BrandName))
	fmt.Fprintf(stdout, "features:  %s\n", strings.Join(cpuid.CPU.FeatureSet(), " "))
	return nil
}

func joinVariants(vs []spikessm.Variant) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = string(v)
	}
	return strings.Join(s, ", ")
}
