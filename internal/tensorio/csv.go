package tensorio

import (
	"bufio"
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// ParseCSV decodes CSV text in which every non-empty line is one sequence of L·F comma-separated
// numbers, time-major (step 0's F features first). features is F, the model's input feature count.
// A first line that does not parse as numbers is taken as a header and skipped. Lines starting with
// '#' are comments. Every sequence must have the same length. The result has shape (B, L, F).
func ParseCSV(data []byte, name string, features int) (*Tensor, error) {
	if features <= 0 {
		return nil, fmt.Errorf("%s: feature count must be positive, got %d", name, features)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), len(data)+1)
	var out []float32
	rows, width, lineNo := 0, -1, 0
	headerSkipped := false
	for sc.Scan() {
		lineNo++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Split(line, ",")
		vals := make([]float32, 0, len(fields))
		var perr error
		for i, f := range fields {
			v, err := strconv.ParseFloat(strings.TrimSpace(f), 32)
			if err != nil {
				perr = fmt.Errorf("%s:%d: field %d: %q is not a number", name, lineNo, i+1, f)
				break
			}
			vals = append(vals, float32(v))
		}
		if perr != nil {
			if rows == 0 && !headerSkipped {
				headerSkipped = true // a non-numeric first line is a header
				continue
			}
			return nil, perr
		}
		if len(vals)%features != 0 {
			return nil, fmt.Errorf("%s:%d: %d values are not a multiple of %d features", name, lineNo, len(vals), features)
		}
		if width >= 0 && len(vals) != width {
			return nil, fmt.Errorf("%s:%d: sequence has %d values, earlier ones have %d", name, lineNo, len(vals), width)
		}
		width = len(vals)
		out = append(out, vals...)
		rows++
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if rows == 0 {
		return nil, fmt.Errorf("%s: no sequences found", name)
	}
	return &Tensor{Shape: []int{rows, width / features, features}, Data: out}, nil
}
