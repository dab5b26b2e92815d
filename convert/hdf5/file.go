package hdf5

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
)

// undef is the "undefined address" value (all bits set) after masking to the
// file's offset size.
const undef = ^uint64(0)

// limits that bound work on hostile files.
const (
	maxContinuations = 4096
	maxBTreeDepth    = 64
	maxDims          = 32
)

var signature = []byte("\x89HDF\r\n\x1a\n")

// File is an opened HDF5 file held in memory.
type File struct {
	data       []byte
	base       uint64
	offSize    int
	lenSize    int
	superVer   int
	root       *Group
	gheapCache map[uint64]*globalHeap
}

// Open reads the whole file at path and parses it.
func Open(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	f, err := OpenBytes(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

// OpenBytes parses an HDF5 file held in memory. The File keeps a reference
// to data, which must not be modified afterwards.
func OpenBytes(data []byte) (*File, error) {
	f := &File{data: data, gheapCache: map[uint64]*globalHeap{}}
	// The superblock is at 0, 512, 1024, 2048, ... (after a user block).
	sb := -1
	for off := 0; off+len(signature) <= len(data); off = nextSBOffset(off) {
		if bytes.Equal(data[off:off+len(signature)], signature) {
			sb = off
			break
		}
	}
	if sb < 0 {
		return nil, errors.New("hdf5: no HDF5 signature found (not an HDF5 file)")
	}
	if err := f.parseSuperblock(sb); err != nil {
		return nil, err
	}
	return f, nil
}

// IsHDF5 reports whether data starts like an HDF5 file (the signature at
// offset 0 or after a user block of 512, 1024, 2048, ... bytes). It is a
// cheap content check for format detection; OpenBytes does the parsing.
func IsHDF5(data []byte) bool {
	for off := 0; off+len(signature) <= len(data); off = nextSBOffset(off) {
		if bytes.Equal(data[off:off+len(signature)], signature) {
			return true
		}
	}
	return false
}

func nextSBOffset(off int) int {
	if off == 0 {
		return 512
	}
	return off * 2
}

// SuperblockVersion returns the version of the file's superblock (0–3).
func (f *File) SuperblockVersion() int { return f.superVer }

// Root returns the root group.
func (f *File) Root() *Group { return f.root }

func (f *File) parseSuperblock(sb int) error {
	r := f.reader(uint64(sb), "superblock")
	r.skip(8)
	ver := int(r.u8())
	f.superVer = ver
	var rootAddr uint64
	switch ver {
	case 0, 1:
		r.skip(3) // free-space version, root group symbol table version, reserved
		r.u8()    // shared header version
		f.offSize = int(r.u8())
		f.lenSize = int(r.u8())
		r.skip(1)
		r.u16() // group leaf node K
		r.u16() // group internal node K
		r.u32() // consistency flags
		if ver == 1 {
			r.skip(4)
		}
		if err := f.checkSizes(); err != nil {
			return err
		}
		f.base = r.off()
		r.off() // free-space
		r.off() // EOF
		r.off() // driver info
		// root symbol table entry
		r.off() // link name offset
		rootAddr = r.off()
	case 2, 3:
		f.offSize = int(r.u8())
		f.lenSize = int(r.u8())
		r.u8() // flags
		if err := f.checkSizes(); err != nil {
			return err
		}
		f.base = r.off()
		r.off() // superblock extension
		r.off() // EOF
		rootAddr = r.off()
		end := r.pos
		sum := r.u32()
		if r.err == nil && jenkinsLookup3(f.data[sb:end], 0) != sum {
			return errors.New("hdf5: superblock checksum mismatch")
		}
	default:
		return fmt.Errorf("hdf5: unsupported superblock version %d", ver)
	}
	if r.err != nil {
		return r.err
	}
	if f.base > uint64(len(f.data)) {
		return fmt.Errorf("hdf5: base address %d beyond the file size %d", f.base, len(f.data))
	}
	f.root = &Group{f: f, Path: "/", addr: rootAddr}
	return nil
}

func (f *File) checkSizes() error {
	if f.offSize != 2 && f.offSize != 4 && f.offSize != 8 {
		return fmt.Errorf("hdf5: unsupported size of offsets %d", f.offSize)
	}
	if f.lenSize != 2 && f.lenSize != 4 && f.lenSize != 8 {
		return fmt.Errorf("hdf5: unsupported size of lengths %d", f.lenSize)
	}
	return nil
}

// reader is a bounds-checked little-endian cursor over the file. The first
// out-of-bounds read sets err; later reads return zeros.
type reader struct {
	f   *File
	b   []byte
	pos int
	err error
	ctx string
}

// reader returns a cursor at the relative address addr.
func (f *File) reader(addr uint64, ctx string) *reader {
	r := &reader{f: f, b: f.data, ctx: ctx}
	abs := addr + f.base
	if addr == undef || abs < addr || abs > uint64(len(f.data)) {
		r.err = fmt.Errorf("hdf5: %s: address %d outside the %d-byte file", ctx, addr, len(f.data))
		r.pos = len(f.data)
		return r
	}
	r.pos = int(abs)
	return r
}

// sub returns a cursor over an in-memory byte slice (a message body).
func (f *File) sub(b []byte, ctx string) *reader { return &reader{f: f, b: b, ctx: ctx} }

func (r *reader) need(n int) bool {
	if r.err != nil {
		return false
	}
	if n < 0 || r.pos+n > len(r.b) || r.pos+n < r.pos {
		r.err = fmt.Errorf("hdf5: %s: truncated (need %d bytes at %d of %d)", r.ctx, n, r.pos, len(r.b))
		return false
	}
	return true
}

func (r *reader) skip(n int) {
	if r.need(n) {
		r.pos += n
	}
}

func (r *reader) bytes(n int) []byte {
	if !r.need(n) {
		return nil
	}
	b := r.b[r.pos : r.pos+n : r.pos+n]
	r.pos += n
	return b
}

func (r *reader) u8() uint8 {
	if !r.need(1) {
		return 0
	}
	v := r.b[r.pos]
	r.pos++
	return v
}

func (r *reader) u16() uint16 {
	if !r.need(2) {
		return 0
	}
	v := binary.LittleEndian.Uint16(r.b[r.pos:])
	r.pos += 2
	return v
}

func (r *reader) u32() uint32 {
	if !r.need(4) {
		return 0
	}
	v := binary.LittleEndian.Uint32(r.b[r.pos:])
	r.pos += 4
	return v
}

func (r *reader) u64() uint64 {
	if !r.need(8) {
		return 0
	}
	v := binary.LittleEndian.Uint64(r.b[r.pos:])
	r.pos += 8
	return v
}

// uN reads an unsigned little-endian integer of n bytes (1..8).
func (r *reader) uN(n int) uint64 {
	if n < 1 || n > 8 {
		if r.err == nil {
			r.err = fmt.Errorf("hdf5: %s: invalid integer size %d", r.ctx, n)
		}
		return 0
	}
	if !r.need(n) {
		return 0
	}
	var v uint64
	for i := n - 1; i >= 0; i-- {
		v = v<<8 | uint64(r.b[r.pos+i])
	}
	r.pos += n
	return v
}

// off reads a file address; an all-ones value becomes undef.
func (r *reader) off() uint64 {
	n := r.f.offSize
	v := r.uN(n)
	if n < 8 && v == (uint64(1)<<(8*n))-1 {
		return undef
	}
	return v
}

// length reads a "size of lengths" value.
func (r *reader) length() uint64 { return r.uN(r.f.lenSize) }

func (r *reader) align8(start int) {
	p := (r.pos - start + 7) &^ 7
	r.skip(start + p - r.pos)
}

func (r *reader) sig(s string) {
	b := r.bytes(len(s))
	if r.err == nil && string(b) != s {
		r.err = fmt.Errorf("hdf5: %s: bad signature %q, want %q", r.ctx, b, s)
	}
}

// jenkinsLookup3 is Bob Jenkins' lookup3 hashlittle, the checksum of HDF5
// metadata (H5_checksum_lookup3).
func jenkinsLookup3(k []byte, initval uint32) uint32 {
	rot := func(x uint32, n uint) uint32 { return x<<n | x>>(32-n) }
	length := len(k)
	a := 0xdeadbeef + uint32(length) + initval
	b, c := a, a
	for length > 12 {
		a += binary.LittleEndian.Uint32(k[0:])
		b += binary.LittleEndian.Uint32(k[4:])
		c += binary.LittleEndian.Uint32(k[8:])
		a -= c
		a ^= rot(c, 4)
		c += b
		b -= a
		b ^= rot(a, 6)
		a += c
		c -= b
		c ^= rot(b, 8)
		b += a
		a -= c
		a ^= rot(c, 16)
		c += b
		b -= a
		b ^= rot(a, 19)
		a += c
		c -= b
		c ^= rot(b, 4)
		b += a
		length -= 12
		k = k[12:]
	}
	if length == 0 {
		return c
	}
	var tail [12]byte
	copy(tail[:], k[:length])
	a += binary.LittleEndian.Uint32(tail[0:])
	b += binary.LittleEndian.Uint32(tail[4:])
	c += binary.LittleEndian.Uint32(tail[8:])
	c ^= b
	c -= rot(b, 14)
	a ^= c
	a -= rot(c, 11)
	b ^= a
	b -= rot(a, 25)
	c ^= b
	c -= rot(b, 16)
	a ^= c
	a -= rot(c, 4)
	b ^= a
	b -= rot(a, 14)
	c ^= b
	c -= rot(b, 24)
	return c
}
