package torchfile

import (
	"encoding/binary"
	"fmt"
)

// scanPickle walks the opcode stream of one pickle starting at data[0] and
// returns the offset just past its STOP opcode. It checks that every length
// prefix fits in the remaining bytes, so the unpickler never allocates more
// than the input holds. It does not interpret the pickle.
func scanPickle(data []byte) (int, error) {
	p := 0
	n := len(data)
	need := func(k int) error {
		if k < 0 || k > n-p {
			return fmt.Errorf("pickle: opcode at offset %d needs %d bytes, %d left", p, k, n-p)
		}
		return nil
	}
	line := func() error {
		for i := p; i < n; i++ {
			if data[i] == '\n' {
				p = i + 1
				return nil
			}
		}
		return fmt.Errorf("pickle: unterminated line at offset %d", p)
	}
	for p < n {
		op := data[p]
		at := p
		p++
		switch op {
		case '.': // STOP
			return p, nil
		case '(', '0', '1', '2', 'N', 'Q', 'R', 'a', 'b', 'd', '}', 'e', 'l', ']', 'o', 's', 't', ')', 'u',
			0x81, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8f, 0x90, 0x91, 0x92, 0x93, 0x94, 0x97, 0x98:
		case 'F', 'I', 'L', 'P', 'S', 'V', 'g', 'p':
			if err := line(); err != nil {
				return 0, err
			}
		case 'c', 'i':
			if err := line(); err != nil {
				return 0, err
			}
			if err := line(); err != nil {
				return 0, err
			}
		case 'K', 'h', 'q', 0x80, 0x82:
			if err := need(1); err != nil {
				return 0, err
			}
			p++
		case 'M', 0x83:
			if err := need(2); err != nil {
				return 0, err
			}
			p += 2
		case 'J', 'j', 'r', 0x84:
			if err := need(4); err != nil {
				return 0, err
			}
			p += 4
		case 'G':
			if err := need(8); err != nil {
				return 0, err
			}
			p += 8
		case 0x95: // FRAME: 8-byte size, then the framed opcodes follow inline
			if err := need(8); err != nil {
				return 0, err
			}
			size := binary.LittleEndian.Uint64(data[p:])
			p += 8
			if size > uint64(n-p) {
				return 0, fmt.Errorf("pickle: frame at offset %d claims %d bytes, %d left", at, size, n-p)
			}
		case 'U', 'C', 0x8a, 0x8c: // 1-byte length
			if err := need(1); err != nil {
				return 0, err
			}
			k := int(data[p])
			p++
			if err := need(k); err != nil {
				return 0, err
			}
			p += k
		case 'T', 'X', 'B', 0x8b: // 4-byte length
			if err := need(4); err != nil {
				return 0, err
			}
			k := binary.LittleEndian.Uint32(data[p:])
			p += 4
			if (op == 'T' || op == 0x8b) && int32(k) < 0 {
				return 0, fmt.Errorf("pickle: negative length at offset %d", at)
			}
			if uint64(k) > uint64(n-p) {
				return 0, fmt.Errorf("pickle: opcode at offset %d claims %d bytes, %d left", at, k, n-p)
			}
			p += int(k)
		case 0x8d, 0x8e, 0x96: // 8-byte length
			if err := need(8); err != nil {
				return 0, err
			}
			k := binary.LittleEndian.Uint64(data[p:])
			p += 8
			if k > uint64(n-p) {
				return 0, fmt.Errorf("pickle: opcode at offset %d claims %d bytes, %d left", at, k, n-p)
			}
			p += int(k)
		default:
			return 0, fmt.Errorf("pickle: unknown opcode 0x%02x at offset %d", op, at)
		}
	}
	return 0, fmt.Errorf("pickle: no STOP opcode before end of data (%d bytes)", n)
}
