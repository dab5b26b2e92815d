package bench

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
)

// Report is the result of one Run: the environment and one Case per measured configuration.
// It marshals to and from JSON without loss (ReadReport reads what WriteJSON writes).
type Report struct {
	Env   Env
	Cases []Case
}

// Case is one measured configuration.
type Case struct {
	Name      string             // unique within a report, e.g. "kernel=scan/variant=avx512/N=64/T=256"; Compare keys on it
	Kernel    string             // kernel name ("scan", "scan_spikes", "neuron", "gemm", "spike_accum", "glu") or "model"
	Variant   string             // kernel variant the case ran with
	Params    map[string]any     // sizes and settings (N, T, H, batch, seq_len, workers, mode, rate, model, ...)
	ModelHash string             `json:",omitempty"` // hex sha256 of the .ssm file for model cases
	Samples   []float64          // ns per op, every raw sample (each sample averages many ops)
	MedianNs  float64            // median of Samples
	MADNs     float64            // median absolute deviation of Samples (unscaled)
	Metrics   map[string]float64 `json:",omitempty"` // derived figures at the median, see README.md
}

// WriteJSON writes r as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// ReadReport reads a report written by WriteJSON.
func ReadReport(path string) (*Report, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("bench: read report: %w", err)
	}
	return decodeReport(data, path)
}

// decodeReport parses and checks a JSON report; name labels errors.
func decodeReport(data []byte, name string) (*Report, error) {
	var r Report
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("bench: report %s: %w", name, err)
	}
	seen := make(map[string]bool, len(r.Cases))
	for i, c := range r.Cases {
		if c.Name == "" {
			return nil, fmt.Errorf("bench: report %s: case %d has no name", name, i)
		}
		if seen[c.Name] {
			return nil, fmt.Errorf("bench: report %s: duplicate case %q", name, c.Name)
		}
		seen[c.Name] = true
		if math.IsNaN(c.MedianNs) || c.MedianNs < 0 {
			return nil, fmt.Errorf("bench: report %s: case %q has invalid MedianNs %v", name, c.Name, c.MedianNs)
		}
	}
	return &r, nil
}

// metricKeys returns the sorted union of metric names over cs.
func metricKeys(cs []Case) []string {
	set := map[string]bool{}
	for _, c := range cs {
		for k := range c.Metrics {
			set[k] = true
		}
	}
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// paramString renders params as "k=v k=v" in key order.
func paramString(p map[string]any) string {
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%v", k, p[k])
	}
	return strings.Join(parts, " ")
}

func fmtFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// WriteCSV writes one row per case. Every row repeats the environment, so rows from
// different reports can be concatenated. Samples are space-separated ns values; metrics
// get one column each (the union over all cases, sorted, prefixed "metric:").
func (r *Report) WriteCSV(w io.Writer) error {
	mk := metricKeys(r.Cases)
	cw := csv.NewWriter(w)
	head := []string{"name", "kernel", "variant", "params", "model_hash", "median_ns", "mad_ns", "n", "samples_ns",
		"commit", "go_version", "os", "arch", "cpu_model", "cpu_features", "default_variant", "clock_ghz", "time"}
	for _, k := range mk {
		head = append(head, "metric:"+k)
	}
	if err := cw.Write(head); err != nil {
		return err
	}
	e := r.Env
	for _, c := range r.Cases {
		ss := make([]string, len(c.Samples))
		for i, s := range c.Samples {
			ss[i] = fmtFloat(s)
		}
		row := []string{c.Name, c.Kernel, c.Variant, paramString(c.Params), c.ModelHash,
			fmtFloat(c.MedianNs), fmtFloat(c.MADNs), strconv.Itoa(len(c.Samples)), strings.Join(ss, " "),
			e.Commit, e.GoVersion, e.OS, e.Arch, e.CPUModel, strings.Join(e.CPUFeatures, " "), e.Variant,
			fmtFloat(e.ClockGHz), e.Time}
		for _, k := range mk {
			if v, ok := c.Metrics[k]; ok {
				row = append(row, fmtFloat(v))
			} else {
				row = append(row, "")
			}
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// fmtDur formats ns with a unit that keeps 3–4 significant digits.
func fmtDur(ns float64) string {
	switch {
	case math.IsNaN(ns):
		return "NaN"
	case ns >= 1e9:
		return fmt.Sprintf("%.3fs", ns/1e9)
	case ns >= 1e6:
		return fmt.Sprintf("%.3fms", ns/1e6)
	case ns >= 1e3:
		return fmt.Sprintf("%.3fµs", ns/1e3)
	default:
		return fmt.Sprintf("%.1fns", ns)
	}
}

// spread returns MAD as a percentage of the median.
func spread(c Case) string {
	if c.MedianNs <= 0 {
		return "±?"
	}
	return fmt.Sprintf("±%.1f%%", 100*c.MADNs/c.MedianNs)
}

// fmtMetric formats a derived figure with 3 significant digits.
func fmtMetric(v float64) string {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return fmtFloat(v)
	}
	a := math.Abs(v)
	switch {
	case a >= 1000:
		return fmt.Sprintf("%.0f", v)
	case a >= 100:
		return fmt.Sprintf("%.1f", v)
	case a >= 10:
		return fmt.Sprintf("%.2f", v)
	default:
		return strconv.FormatFloat(v, 'g', 3, 64)
	}
}

// WriteTable writes a human-readable, aligned table: an environment header, then one row per
// case with the median time per op, its spread (MAD/median), the sample count and the case's
// metrics as key=value pairs (3 significant digits).
func (r *Report) WriteTable(w io.Writer) error {
	e := r.Env
	if _, err := fmt.Fprintf(w, "commit %s  %s %s/%s  cpu %q  variant %s  clock %.2f GHz (measured)  GOMAXPROCS %d  load %s  %s\n",
		shortCommit(e.Commit), e.GoVersion, e.OS, e.Arch, e.CPUModel, e.Variant, e.ClockGHz, e.GOMAXPROCS, e.LoadAvg, e.Time); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "case\ttime/op\tspread\tn\tmetrics")
	for _, c := range r.Cases {
		keys := make([]string, 0, len(c.Metrics))
		for k := range c.Metrics {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		ms := make([]string, len(keys))
		for i, k := range keys {
			ms[i] = k + "=" + fmtMetric(c.Metrics[k])
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", c.Name, fmtDur(c.MedianNs), spread(c), len(c.Samples), strings.Join(ms, " "))
	}
	return tw.Flush()
}

func shortCommit(c string) string {
	if len(c) > 12 && !strings.Contains(c[:12], " ") {
		d := ""
		if strings.HasSuffix(c, "+dirty") {
			d = "+dirty"
		}
		return c[:12] + d
	}
	return c
}
