package runtime

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// Session is a streaming execution of the model's `step` entry point for a fixed batch size.
// It is confined to one goroutine at a time. All state starts at zero.
type Session struct {
	m      *Model
	p      *plan
	batch  int
	feat   int
	x      *execCtx
	outs   [][]*tval // per node: output values
	state  [][][]float32
	input  *tval
	result []float32
}

// snapshot format: magic, version, model hash, batch, number of buffers, then per buffer its
// length and little-endian float32 data.
const (
	snapMagic   = "SSMSESS\x00"
	snapVersion = 1
)

// NewSession creates a streaming session for batch rows. It fails when the model has no step
// entry point (e.g. a bidirectional layer).
func (m *Model) NewSession(batch int) (*Session, error) {
	if m.step == nil {
		if m.stepErr != nil {
			return nil, m.stepErr
		}
		return nil, errors.New("runtime: model has no step entry point")
	}
	if batch < 1 || batch > 1<<20 {
		return nil, fmt.Errorf("runtime: session batch %d out of range", batch)
	}
	p := m.step
	vi := p.inputInfo[0]
	feat := -1
	inShape := func(f int) []int { return []int{batch, f} }
	switch {
	case len(vi.Shape) == 1: // ids (B) of an Embedding model
		feat = 1
		inShape = func(int) []int { return []int{batch} }
	case len(vi.Shape) == 2 && vi.Shape[1].Value > 0:
		feat = int(vi.Shape[1].Value)
	}
	if feat < 0 {
		if f, ok := m.featuresFromSeq(); ok {
			feat = f
		} else {
			return nil, fmt.Errorf("runtime: cannot tell the feature count of step input %q", vi.Name)
		}
	}
	shapes, err := p.inferShapes(inShape(feat), nil)
	if err != nil {
		return nil, err
	}
	s := &Session{m: m, p: p, batch: batch, feat: feat}
	s.x = &execCtx{p: p, k: m.k, workers: 1, step: true, ws: make([]scratch, 1), vals: make([]*tval, len(p.values))}
	for i, v := range p.values {
		switch {
		case v.isConst:
			s.x.vals[i] = &tval{data: v.cdata, shape: v.cshape}
		case shapes[i] != nil:
			s.x.vals[i] = &tval{data: make([]float32, numel(shapes[i])), shape: shapes[i]}
		}
	}
	s.input = s.x.vals[p.inputs[0]]
	s.outs = make([][]*tval, len(p.nodes))
	s.state = make([][][]float32, len(p.nodes))
	for ni, n := range p.nodes {
		for _, o := range n.out {
			if o < 0 {
				s.outs[ni] = append(s.outs[ni], nil)
			} else {
				s.outs[ni] = append(s.outs[ni], s.x.vals[o])
			}
		}
		if sz, ok := n.impl.(stateful); ok {
			var ins []*tval
			for _, i := range n.in {
				if i < 0 {
					ins = append(ins, nil)
				} else {
					ins = append(ins, s.x.vals[i])
				}
			}
			for _, n := range sz.stateSizes(ins) {
				s.state[ni] = append(s.state[ni], make([]float32, n))
			}
		} else {
			s.state[ni] = [][]float32{}
		}
	}
	s.result = s.x.vals[p.outputs[0]].data
	return s, nil
}

// featuresFromSeq reads the feature count from the sequence graph's input, if fixed.
func (m *Model) featuresFromSeq() (int, bool) {
	vi := m.seq.inputInfo[0]
	if len(vi.Shape) == 3 && vi.Shape[2].Value > 0 {
		return int(vi.Shape[2].Value), true
	}
	// Otherwise the first consumer's weights decide (Linear K).
	for _, n := range m.seq.nodes {
		for _, i := range n.in {
			if i == m.seq.inputs[0] {
				if l, ok := n.impl.(*linear); ok {
					return l.k, true
				}
			}
		}
	}
	return 0, false
}

// Batch is the number of rows the session streams.
func (s *Session) Batch() int { return s.batch }

// Features is the number of input features per row and step.
func (s *Session) Features() int { return s.feat }

// Step feeds one time step x (B, F) row-major and returns the step outputs (e.g. logits
// (B, K) of the sequence seen so far). The returned slice belongs to the session and is
// overwritten by the next Step. NaN/Inf inputs are rejected and leave the state unchanged.
func (s *Session) Step(x []float32) ([]float32, error) {
	if s.m.owned && s.m.fm == nil {
		return nil, errors.New("runtime: step on a closed model")
	}
	if len(x) != s.batch*s.feat {
		return nil, fmt.Errorf("runtime: step input has %d values, want batch %d × features %d", len(x), s.batch, s.feat)
	}
	for i, v := range x {
		if v != v || v > math.MaxFloat32 || v < -math.MaxFloat32 {
			return nil, fmt.Errorf("runtime: step input: non-finite value at row %d, feature %d; NaN/Inf inputs are rejected", i/s.feat, i%s.feat)
		}
	}
	copy(s.input.data, x)
	for ni, n := range s.p.nodes {
		if err := s.x.runNode(n, s.outs[ni], s.state[ni]); err != nil {
			return nil, err
		}
	}
	return s.result, nil
}

// Outputs returns the current value of every step output by name (copies).
func (s *Session) Outputs() map[string]Tensor {
	out := map[string]Tensor{}
	for j, i := range s.p.outputs {
		v := s.x.vals[i]
		out[s.p.outputNames[j]] = Tensor{Shape: append([]int(nil), v.shape...), Data: append([]float32(nil), v.data...)}
	}
	return out
}

// Reset zeroes the state of every row (a fresh stream).
func (s *Session) Reset() {
	for _, st := range s.state {
		for _, b := range st {
			clear(b)
		}
	}
}

// ResetRow zeroes the state of one batch row; other rows are unaffected. Out-of-range rows
// are ignored.
func (s *Session) ResetRow(b int) {
	if b < 0 || b >= s.batch {
		return
	}
	for _, st := range s.state {
		for _, buf := range st {
			per := len(buf) / s.batch
			clear(buf[b*per : (b+1)*per])
		}
	}
}

// Snapshot serialises the session state. The blob carries a format version, the model hash
// and the batch size; Restore accepts it only for the same model and batch.
func (s *Session) Snapshot() []byte {
	var buf bytes.Buffer
	buf.WriteString(snapMagic)
	binary.Write(&buf, binary.LittleEndian, uint32(snapVersion))
	buf.Write(s.m.hash[:])
	binary.Write(&buf, binary.LittleEndian, uint32(s.batch))
	var n uint32
	for _, st := range s.state {
		n += uint32(len(st))
	}
	binary.Write(&buf, binary.LittleEndian, n)
	for _, st := range s.state {
		for _, b := range st {
			binary.Write(&buf, binary.LittleEndian, uint32(len(b)))
			binary.Write(&buf, binary.LittleEndian, b)
		}
	}
	return buf.Bytes()
}

// Restore loads a blob made by Snapshot. A blob from another model, batch size or snapshot
// version, or a damaged blob (including non-finite state values), is rejected with an error
// and leaves the state unchanged.
func (s *Session) Restore(blob []byte) error {
	r := bytes.NewReader(blob)
	magic := make([]byte, len(snapMagic))
	if _, err := r.Read(magic); err != nil || string(magic) != snapMagic {
		return errors.New("runtime: restore: not a spikessm session snapshot")
	}
	var ver, batch, n uint32
	if err := binary.Read(r, binary.LittleEndian, &ver); err != nil {
		return errors.New("runtime: restore: truncated snapshot")
	}
	if ver != snapVersion {
		return fmt.Errorf("runtime: restore: snapshot version %d, this runtime reads version %d", ver, snapVersion)
	}
	var hash [32]byte
	if _, err := r.Read(hash[:]); err != nil {
		return errors.New("runtime: restore: truncated snapshot")
	}
	if hash != s.m.hash {
		return fmt.Errorf("runtime: restore: snapshot belongs to another model (hash %x…, this model %x…)", hash[:6], s.m.hash[:6])
	}
	if err := binary.Read(r, binary.LittleEndian, &batch); err != nil {
		return errors.New("runtime: restore: truncated snapshot")
	}
	if int(batch) != s.batch {
		return fmt.Errorf("runtime: restore: snapshot has batch %d, session has %d", batch, s.batch)
	}
	if err := binary.Read(r, binary.LittleEndian, &n); err != nil {
		return errors.New("runtime: restore: truncated snapshot")
	}
	var bufs [][]float32
	for _, st := range s.state {
		bufs = append(bufs, st...)
	}
	if int(n) != len(bufs) {
		return fmt.Errorf("runtime: restore: snapshot has %d state buffers, session has %d", n, len(bufs))
	}
	vals := make([][]float32, len(bufs))
	for i, b := range bufs {
		var l uint32
		if err := binary.Read(r, binary.LittleEndian, &l); err != nil {
			return errors.New("runtime: restore: truncated snapshot")
		}
		if int(l) != len(b) {
			return fmt.Errorf("runtime: restore: state buffer %d has %d values, want %d", i, l, len(b))
		}
		vals[i] = make([]float32, l)
		if err := binary.Read(r, binary.LittleEndian, vals[i]); err != nil {
			return errors.New("runtime: restore: truncated snapshot")
		}
		for j, v := range vals[i] {
			if v != v || v > math.MaxFloat32 || v < -math.MaxFloat32 {
				return fmt.Errorf("runtime: restore: state buffer %d holds a non-finite value at %d", i, j)
			}
		}
	}
	if r.Len() != 0 {
		return fmt.Errorf("runtime: restore: %d trailing bytes", r.Len())
	}
	for i, b := range bufs {
		copy(b, vals[i])
	}
	return nil
}
