package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"golang.org/x/term"
)

// Version is the spikessm release this binary reports.
const Version = "0.1.0"

// usageError marks an error in the command line, reported with exit status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

type command struct {
	name, summary string
	run           func(args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"run", "classify sequences with a model (no flags: the embedded SPikE-SSM model and test set)", cmdRun},
		{"convert", "convert a training checkpoint (PyTorch, Lightning, safetensors, NIR) to .ssm", cmdConvert},
		{"inspect", "describe a .ssm model file", cmdInspect},
		{"bench", "benchmark kernels and models; 'bench compare' puts reports side by side", cmdBench},
		{"version", "print the version, the selected kernel variant and the CPU features", cmdVersion},
	}
}

func main() {
	os.Exit(mainExit(os.Args[1:], os.Stdout, os.Stderr))
}

// mainExit runs the command line and returns the process exit status.
func mainExit(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		printUsage(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(args[1:], stdout, stderr)
		var ue usageError
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.As(err, &ue):
			fmt.Fprintf(stderr, "spikessm %s: %v\n(see 'spikessm %s --help')\n", c.name, err, c.name)
			return 2
		default:
			fmt.Fprintf(stderr, "spikessm %s: %v\n", c.name, err)
			return 1
		}
	}
	fmt.Fprintf(stderr, "spikessm: unknown command %q\n", args[0])
	printUsage(stderr)
	return 2
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "spikessm — run spiking state space models on CPUs\n\nUsage: spikessm <command> [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'spikessm <command> --help' for the flags of a command.")
}

// newFlags makes a flag set whose errors are returned, not printed and exited on.
func newFlags(name, usage string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: spikessm %s\n\nFlags:\n", usage)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args, accepting flags after positional arguments too, and turns flag errors
// into usage errors.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usageError{err.Error()}
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// progressWriter returns stderr when it is a terminal (progress is shown) and nil when it is
// piped or redirected (long work stays quiet).
func progressWriter(stderr io.Writer) io.Writer {
	if f, ok := stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return stderr
	}
	return nil
}
