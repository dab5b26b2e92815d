package bench

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
)

// defaultVariantName maps a case name containing "variant=<v>" to the same name with
// "variant=default", used to line up the best kernel of different machines.
func defaultVariantName(c Case) (string, bool) {
	seg := "variant=" + c.Variant
	parts := strings.Split(c.Name, "/")
	for i, p := range parts {
		if p == seg {
			parts[i] = "variant=default"
			return strings.Join(parts, "/"), true
		}
	}
	return "", false
}

// caseIndex returns the cases of r keyed by name, plus "variant=default" aliases for the
// cases that ran with the report's default variant (unless such a name already exists).
func caseIndex(r *Report) map[string]Case {
	idx := make(map[string]Case, len(r.Cases))
	for _, c := range r.Cases {
		idx[c.Name] = c
	}
	for _, c := range r.Cases {
		if c.Variant == "" || c.Variant != r.Env.Variant {
			continue
		}
		if alias, ok := defaultVariantName(c); ok {
			if _, exists := idx[alias]; !exists {
				idx[alias] = c
			}
		}
	}
	return idx
}

// reportLabel describes a report in a Compare header.
func reportLabel(r *Report) string {
	return fmt.Sprintf("%s/%s %s %s %q %.2fGHz", r.Env.OS, r.Env.Arch, r.Env.Variant, shortCommit(r.Env.Commit), r.Env.CPUModel, r.Env.ClockGHz)
}

// overlap reports whether the sample ranges [min, max] of a and b intersect, in which case
// the difference is not distinguishable from noise.
func overlap(a, b Case) bool {
	if len(a.Samples) == 0 || len(b.Samples) == 0 {
		return true
	}
	amin, amax := minMax(a.Samples)
	bmin, bmax := minMax(b.Samples)
	return amin <= bmax && bmin <= amax
}

func minMax(xs []float64) (lo, hi float64) {
	lo, hi = xs[0], xs[0]
	for _, x := range xs[1:] {
		lo = min(lo, x)
		hi = max(hi, x)
	}
	return lo, hi
}

// Compare writes a side-by-side table of the reports, benchstat-like: one row per case name
// (the union over all reports, in order of first appearance), for each report the median
// time per op and its spread (MAD/median), and for every report after the first the time
// ratio against the first ("X/A" = median_X / median_A: 0.50x means X takes half the time,
// i.e. is 2× faster). A ratio is followed by "~" when the two sample ranges overlap (not
// distinguishable from noise). Cases that ran with a report's default kernel variant are
// also listed under "variant=default", so different machines line up on their best kernel.
func Compare(w io.Writer, reports ...*Report) error {
	if len(reports) == 0 {
		return errors.New("bench: Compare needs at least one report")
	}
	for i, r := range reports {
		if r == nil {
			return fmt.Errorf("bench: Compare: report %d is nil", i)
		}
	}
	letters := func(i int) string {
		if i < 26 {
			return string(rune('A' + i))
		}
		return fmt.Sprintf("R%d", i+1)
	}
	for i, r := range reports {
		if _, err := fmt.Fprintf(w, "%s: %s\n", letters(i), reportLabel(r)); err != nil {
			return err
		}
	}
	idx := make([]map[string]Case, len(reports))
	var names []string
	seen := map[string]bool{}
	for i, r := range reports {
		idx[i] = caseIndex(r)
		for _, c := range r.Cases {
			if !seen[c.Name] {
				seen[c.Name] = true
				names = append(names, c.Name)
			}
		}
	}
	var aliases []string
	for i := range reports {
		for n := range idx[i] {
			if !seen[n] {
				seen[n] = true
				aliases = append(aliases, n)
			}
		}
	}
	sort.Strings(aliases)
	names = append(names, aliases...)

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprint(tw, "case")
	for i := range reports {
		fmt.Fprintf(tw, "\t%s time/op\t%s spread", letters(i), letters(i))
	}
	for i := 1; i < len(reports); i++ {
		fmt.Fprintf(tw, "\t%s/A", letters(i))
	}
	fmt.Fprintln(tw)
	for _, n := range names {
		fmt.Fprint(tw, n)
		for i := range reports {
			if c, ok := idx[i][n]; ok {
				fmt.Fprintf(tw, "\t%s\t%s", fmtDur(c.MedianNs), spread(c))
			} else {
				fmt.Fprint(tw, "\t-\t-")
			}
		}
		base, okBase := idx[0][n]
		for i := 1; i < len(reports); i++ {
			c, ok := idx[i][n]
			if !ok || !okBase || base.MedianNs <= 0 {
				fmt.Fprint(tw, "\t-")
				continue
			}
			mark := ""
			if overlap(base, c) {
				mark = " ~"
			}
			fmt.Fprintf(tw, "\t%.2fx%s", c.MedianNs/base.MedianNs, mark)
		}
		fmt.Fprintln(tw)
	}
	return tw.Flush()
}
