package hdf5

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"io"
)

// Layout is a dataset storage layout.
type Layout int

// Storage layouts.
const (
	Compact Layout = iota
	Contiguous
	Chunked
)

// String names the layout.
func (l Layout) String() string {
	return [...]string{"compact", "contiguous", "chunked"}[l]
}

// Dataset is an HDF5 dataset. Its data is read on demand.
type Dataset struct {
	// Path is the absolute path of the dataset.
	Path string
	// Shape is the dataspace (empty for a scalar).
	Shape []int
	// Type is the element type.
	Type Datatype
	// Layout is the storage layout.
	Layout Layout
	// Chunk is the chunk shape (chunked layout only).
	Chunk []int
	// Filters lists the filter ids of the pipeline (1 deflate, 2 shuffle,
	// 3 fletcher32), in application order.
	Filters []int

	f       *File
	obj     *object
	null    bool
	compact []byte
	addr    uint64
	size    uint64
	chunkIx int // 0: v1 B-tree; 1 single chunk; 2 implicit; 3 fixed array
	single  struct {
		size uint64
		mask uint32
	}
	filterVals [][]uint32
	fill       []byte // non-zero fill value of one element, or nil
}

// fillValue returns the dataset's fill value when it is defined and not all
// zeros (unwritten storage reads as the fill value).
func (f *File) fillValue(o *object, size int, path string) ([]byte, error) {
	ctx := "fill value of " + path
	var val []byte
	if m, ok := o.find(msgFill); ok {
		r := f.sub(m.data, ctx)
		ver := r.u8()
		switch ver {
		case 1, 2:
			r.u8()
			r.u8()
			defined := r.u8()
			if ver == 1 || defined != 0 {
				n := int(r.u32())
				if n > 0 {
					val = r.bytes(n)
				}
			}
		case 3:
			fl := r.u8()
			if fl&0x20 != 0 {
				n := int(r.u32())
				val = r.bytes(n)
			}
		default:
			if r.err == nil {
				return nil, fmt.Errorf("hdf5: %s: unsupported fill value message version %d", ctx, ver)
			}
		}
		if r.err != nil {
			return nil, r.err
		}
	} else if m, ok := o.find(msgFillOld); ok {
		r := f.sub(m.data, ctx)
		n := int(r.u32())
		val = r.bytes(n)
		if r.err != nil {
			return nil, r.err
		}
	}
	if len(val) == 0 {
		return nil, nil
	}
	zero := true
	for _, b := range val {
		zero = zero && b == 0
	}
	if zero {
		return nil, nil
	}
	if len(val) != size {
		return nil, fmt.Errorf("hdf5: %s: %d bytes for %d-byte elements", ctx, len(val), size)
	}
	return val, nil
}

// filled returns n bytes holding the fill value (zeros by default).
func (d *Dataset) filled(n uint64) []byte {
	out := make([]byte, n)
	if d.fill != nil {
		for i := 0; i+len(d.fill) <= len(out); i += len(d.fill) {
			copy(out[i:], d.fill)
		}
	}
	return out
}

// maxData bounds the bytes a dataset may expand to: deflate cannot exceed
// a ratio of about 1032:1.
func (f *File) maxData() uint64 { return 1040*uint64(len(f.data)) + 1<<20 }

func (f *File) openDataset(addr uint64, path string) (*Dataset, error) {
	o, err := f.readObject(addr, path)
	if err != nil {
		return nil, err
	}
	d := &Dataset{Path: path, f: f, obj: o}
	get := func(typ uint16, what string) ([]byte, error) {
		m, ok := o.find(typ)
		if !ok {
			return nil, fmt.Errorf("hdf5: %s: not a dataset (no %s message)", path, what)
		}
		if m.flags&0x02 != 0 {
			return nil, fmt.Errorf("hdf5: %s: shared (committed) %s messages are not supported", path, what)
		}
		return m.data, nil
	}
	b, err := get(msgLayout, "layout")
	if err != nil {
		return nil, err
	}
	tb, err := get(msgDatatype, "datatype")
	if err != nil {
		return nil, err
	}
	if d.Type, _, err = f.parseDatatype(tb, "datatype of "+path); err != nil {
		return nil, err
	}
	sb, err := get(msgDataspace, "dataspace")
	if err != nil {
		return nil, err
	}
	dims, null, _, err := f.parseDataspace(sb, "dataspace of "+path)
	if err != nil {
		return nil, err
	}
	d.null = null
	// Bound the decoded size: elements are converted to 8-byte values.
	total := uint64(max(d.Type.Size, 8))
	d.Shape = make([]int, len(dims))
	for i, x := range dims {
		if x != 0 && total > f.maxData()/x {
			return nil, fmt.Errorf("hdf5: %s: shape %v too large for a %d-byte file", path, dims, len(f.data))
		}
		total *= x
		d.Shape[i] = int(x)
	}
	if _, ok := o.find(msgExternal); ok {
		return nil, fmt.Errorf("hdf5: %s: external storage is not supported", path)
	}
	if err := d.parseLayout(b); err != nil {
		return nil, err
	}
	if d.fill, err = f.fillValue(o, d.Type.Size, path); err != nil {
		return nil, err
	}
	if m, ok := o.find(msgFilters); ok {
		if err := d.parseFilters(m.data); err != nil {
			return nil, err
		}
	}
	return d, nil
}

func (d *Dataset) parseLayout(b []byte) error {
	ctx := "layout of " + d.Path
	r := d.f.sub(b, ctx)
	ver := r.u8()
	switch ver {
	case 1, 2:
		rank := int(r.u8())
		class := r.u8()
		r.skip(5)
		if class != 0 {
			d.addr = r.off()
		}
		if rank > maxDims+1 {
			return fmt.Errorf("hdf5: %s: rank %d too large", ctx, rank)
		}
		dims := make([]int, rank)
		for i := range dims {
			dims[i] = int(r.u32())
		}
		switch class {
		case 0:
			d.Layout = Compact
			n := int(r.u32())
			d.compact = r.bytes(n)
		case 1:
			d.Layout = Contiguous
			d.size = d.byteSize()
		case 2:
			d.Layout = Chunked
			if rank < 1 {
				return fmt.Errorf("hdf5: %s: chunked layout of rank 0", ctx)
			}
			d.Chunk = dims[:rank-1]
		default:
			return fmt.Errorf("hdf5: %s: unknown layout class %d", ctx, class)
		}
	case 3, 4:
		class := r.u8()
		switch class {
		case 0:
			d.Layout = Compact
			n := int(r.u16())
			d.compact = r.bytes(n)
		case 1:
			d.Layout = Contiguous
			d.addr = r.off()
			d.size = r.length()
		case 2:
			d.Layout = Chunked
			if ver == 3 {
				rank := int(r.u8())
				d.addr = r.off()
				if rank < 1 || rank > maxDims+1 {
					return fmt.Errorf("hdf5: %s: chunk rank %d invalid", ctx, rank)
				}
				d.Chunk = make([]int, rank-1)
				for i := range d.Chunk {
					d.Chunk[i] = int(r.u32())
				}
				r.u32() // element size
				break
			}
			r.u8() // flags
			rank := int(r.u8())
			enc := int(r.u8())
			if rank < 1 || rank > maxDims+1 {
				return fmt.Errorf("hdf5: %s: chunk rank %d invalid", ctx, rank)
			}
			d.Chunk = make([]int, rank-1)
			for i := range d.Chunk {
				d.Chunk[i] = int(r.uN(enc))
			}
			r.uN(enc)
			ix := r.u8()
			switch ix {
			case 1:
				d.chunkIx = 1
				// filtered single chunk stores size + mask
				if len(r.b)-r.pos > d.f.offSize {
					d.single.size = r.length()
					d.single.mask = r.u32()
				}
			case 2:
				d.chunkIx = 2
			case 3:
				d.chunkIx = 3
				r.u8() // page bits
			default:
				return fmt.Errorf("hdf5: %s: chunk index type %d (extensible array / v2 B-tree) is not supported", ctx, ix)
			}
			d.addr = r.off()
		case 3:
			return fmt.Errorf("hdf5: %s: virtual datasets are not supported", ctx)
		default:
			return fmt.Errorf("hdf5: %s: unknown layout class %d", ctx, class)
		}
	default:
		return fmt.Errorf("hdf5: %s: unsupported layout message version %d", ctx, ver)
	}
	if r.err != nil {
		return r.err
	}
	if d.Layout == Chunked {
		for i, c := range d.Chunk {
			if c <= 0 {
				return fmt.Errorf("hdf5: %s: chunk dimension %d is %d", ctx, i, c)
			}
		}
		if len(d.Chunk) != len(d.Shape) {
			return fmt.Errorf("hdf5: %s: chunk rank %d does not match dataset rank %d", ctx, len(d.Chunk), len(d.Shape))
		}
		if uint64(numElements(d.Chunk))*uint64(d.Type.Size) > d.f.maxData() {
			return fmt.Errorf("hdf5: %s: chunk %v too large", ctx, d.Chunk)
		}
	}
	return nil
}

func (d *Dataset) parseFilters(b []byte) error {
	ctx := "filter pipeline of " + d.Path
	r := d.f.sub(b, ctx)
	ver := r.u8()
	n := int(r.u8())
	if ver == 1 {
		r.skip(6)
	} else if ver != 2 {
		if r.err != nil {
			return r.err
		}
		return fmt.Errorf("hdf5: %s: unsupported version %d", ctx, ver)
	}
	for i := 0; i < n && r.err == nil; i++ {
		id := int(r.u16())
		nameLen := 0
		if ver == 1 || id >= 256 {
			nameLen = int(r.u16())
		}
		r.u16() // flags
		nv := int(r.u16())
		if ver == 1 {
			r.skip((nameLen + 7) &^ 7)
		} else {
			r.skip(nameLen)
		}
		vals := make([]uint32, 0, min(nv, 64))
		for j := 0; j < nv && r.err == nil; j++ {
			vals = append(vals, r.u32())
		}
		if ver == 1 && nv%2 == 1 {
			r.skip(4)
		}
		switch id {
		case 1, 2, 3:
		case 4:
			return fmt.Errorf("hdf5: %s: szip filter is not supported", ctx)
		case 32000:
			return fmt.Errorf("hdf5: %s: lzf filter is not supported", ctx)
		default:
			if r.err == nil {
				return fmt.Errorf("hdf5: %s: filter %d is not supported (deflate, shuffle and fletcher32 are)", ctx, id)
			}
		}
		d.Filters = append(d.Filters, id)
		d.filterVals = append(d.filterVals, vals)
	}
	return r.err
}

func (d *Dataset) byteSize() uint64 {
	n := uint64(d.Type.Size)
	for _, x := range d.Shape {
		n *= uint64(x)
	}
	return n
}

// raw returns the dataset's bytes in row-major order.
func (d *Dataset) raw() ([]byte, error) {
	want := d.byteSize()
	if d.null {
		return nil, fmt.Errorf("hdf5: %s: null dataspace has no data", d.Path)
	}
	switch d.Layout {
	case Compact:
		if uint64(len(d.compact)) < want {
			return nil, fmt.Errorf("hdf5: %s: compact data has %d bytes, shape needs %d", d.Path, len(d.compact), want)
		}
		return d.compact[:want], nil
	case Contiguous:
		if d.addr == undef {
			return d.filled(want), nil // never written
		}
		if d.size < want {
			return nil, fmt.Errorf("hdf5: %s: contiguous storage of %d bytes, shape needs %d", d.Path, d.size, want)
		}
		r := d.f.reader(d.addr, "data of "+d.Path)
		b := r.bytes(int(min(want, uint64(len(d.f.data)))))
		if r.err != nil {
			return nil, r.err
		}
		if uint64(len(b)) != want {
			return nil, fmt.Errorf("hdf5: %s: data beyond the file", d.Path)
		}
		return b, nil
	}
	return d.readChunked(want)
}

func (d *Dataset) readChunked(want uint64) ([]byte, error) {
	if want > d.f.maxData() {
		return nil, fmt.Errorf("hdf5: %s: %d bytes of data exceed the cap for a %d-byte file", d.Path, want, len(d.f.data))
	}
	out := d.filled(want) // chunks never written read as the fill value
	if d.addr == undef || want == 0 {
		return out, nil
	}
	es := d.Type.Size
	chunkBytes := numElements(d.Chunk) * es
	rank := len(d.Shape)
	place := func(offs []uint64, stored []byte, mask uint32) error {
		data, err := d.unfilter(stored, mask, chunkBytes)
		if err != nil {
			return err
		}
		if len(data) != chunkBytes {
			return fmt.Errorf("hdf5: %s: chunk at %v has %d bytes, want %d", d.Path, offs, len(data), chunkBytes)
		}
		for i, o := range offs {
			if o >= uint64(d.Shape[i]) || o%uint64(d.Chunk[i]) != 0 {
				return fmt.Errorf("hdf5: %s: chunk offset %v outside the dataset %v", d.Path, offs, d.Shape)
			}
		}
		copyChunk(out, data, d.Shape, d.Chunk, offs, es, rank)
		return nil
	}
	grid := make([]int, rank)
	nChunks := 1
	for i := range grid {
		grid[i] = (d.Shape[i] + d.Chunk[i] - 1) / d.Chunk[i]
		nChunks *= grid[i]
	}
	gridOffs := func(idx int) []uint64 {
		offs := make([]uint64, rank)
		for i := rank - 1; i >= 0; i-- {
			offs[i] = uint64(idx%grid[i]) * uint64(d.Chunk[i])
			idx /= grid[i]
		}
		return offs
	}
	switch d.chunkIx {
	case 0:
		keySize := 8 + 8*(rank+1)
		return out, d.f.walkBTree(d.addr, 1, keySize, "chunk B-tree of "+d.Path, map[uint64]bool{}, func(key []byte, child uint64) error {
			kr := d.f.sub(key, d.Path)
			size := kr.u32()
			mask := kr.u32()
			offs := make([]uint64, rank)
			for i := range offs {
				offs[i] = kr.u64()
			}
			cr := d.f.reader(child, "chunk of "+d.Path)
			stored := cr.bytes(int(size))
			if cr.err != nil {
				return cr.err
			}
			return place(offs, stored, mask)
		}, 0)
	case 1:
		size := uint64(chunkBytes)
		if len(d.Filters) > 0 {
			size = d.single.size
		}
		r := d.f.reader(d.addr, "chunk of "+d.Path)
		stored := r.bytes(int(min(size, uint64(len(d.f.data)))))
		if r.err != nil {
			return nil, r.err
		}
		return out, place(make([]uint64, rank), stored, d.single.mask)
	case 2:
		if len(d.Filters) > 0 {
			return nil, fmt.Errorf("hdf5: %s: implicit chunk index with filters is invalid", d.Path)
		}
		for i := 0; i < nChunks; i++ {
			r := d.f.reader(d.addr+uint64(i*chunkBytes), "chunk of "+d.Path)
			stored := r.bytes(chunkBytes)
			if r.err != nil {
				return nil, r.err
			}
			if err := place(gridOffs(i), stored, 0); err != nil {
				return nil, err
			}
		}
		return out, nil
	case 3:
		return out, d.readFixedArray(nChunks, chunkBytes, gridOffs, place)
	}
	return nil, fmt.Errorf("hdf5: %s: unknown chunk index", d.Path)
}

func (d *Dataset) readFixedArray(nChunks, chunkBytes int, gridOffs func(int) []uint64, place func([]uint64, []byte, uint32) error) error {
	ctx := "fixed array chunk index of " + d.Path
	r := d.f.reader(d.addr, ctx)
	start := r.pos
	r.sig("FAHD")
	r.u8()
	client := r.u8()
	entrySize := int(r.u8())
	pageBits := r.u8()
	n := r.length()
	dblk := r.off()
	if r.err != nil {
		return r.err
	}
	if err := d.f.checksum(r.b[start:r.pos], r.b, r.pos, ctx); err != nil {
		return err
	}
	if n != uint64(nChunks) {
		return fmt.Errorf("hdf5: %s: %d entries, dataset has %d chunks", ctx, n, nChunks)
	}
	if pageBits < 64 && n > uint64(1)<<pageBits {
		return fmt.Errorf("hdf5: %s: paged fixed arrays are not supported", ctx)
	}
	br := d.f.reader(dblk, ctx)
	br.sig("FADB")
	br.u8()
	br.u8()
	br.off()
	for i := 0; i < nChunks && br.err == nil; i++ {
		addr := br.off()
		size := uint64(chunkBytes)
		mask := uint32(0)
		if client == 1 {
			size = br.uN(entrySize - d.f.offSize - 4)
			mask = br.u32()
		}
		if br.err != nil {
			break
		}
		if addr == undef {
			continue
		}
		cr := d.f.reader(addr, "chunk of "+d.Path)
		stored := cr.bytes(int(min(size, uint64(len(d.f.data)))))
		if cr.err != nil {
			return cr.err
		}
		if err := place(gridOffs(i), stored, mask); err != nil {
			return err
		}
	}
	return br.err
}

// copyChunk copies a chunk's elements into the row-major output, clipping
// at the dataset's edges.
func copyChunk(out, data []byte, shape, chunk []int, offs []uint64, es, rank int) {
	if rank == 0 {
		copy(out, data)
		return
	}
	// extent of the chunk inside the dataset, per dimension
	ext := make([]int, rank)
	for i := range ext {
		ext[i] = min(chunk[i], shape[i]-int(offs[i]))
		if ext[i] <= 0 {
			return
		}
	}
	idx := make([]int, rank) // index within the chunk, last dim handled as a row
	for {
		// destination linear index of row start
		dst := 0
		src := 0
		ok := true
		for i := 0; i < rank; i++ {
			g := int(offs[i]) + idx[i]
			if g >= shape[i] {
				ok = false
				break
			}
			dst = dst*shape[i] + g
			src = src*chunk[i] + idx[i]
		}
		if ok {
			rowLen := min(chunk[rank-1], shape[rank-1]-int(offs[rank-1]))
			copy(out[dst*es:(dst+rowLen)*es], data[src*es:(src+rowLen)*es])
		}
		// advance over all but the last dim
		i := rank - 2
		for ; i >= 0; i-- {
			idx[i]++
			if idx[i] < ext[i] {
				break
			}
			idx[i] = 0
		}
		if i < 0 {
			return
		}
	}
}

// unfilter reverses the filter pipeline on one stored chunk.
func (d *Dataset) unfilter(b []byte, mask uint32, want int) ([]byte, error) {
	for i := len(d.Filters) - 1; i >= 0; i-- {
		if mask&(1<<uint(i)) != 0 {
			continue
		}
		switch d.Filters[i] {
		case 1:
			zr, err := zlib.NewReader(bytes.NewReader(b))
			if err != nil {
				return nil, fmt.Errorf("hdf5: %s: deflate: %w", d.Path, err)
			}
			var buf bytes.Buffer
			n, err := io.Copy(&buf, io.LimitReader(zr, int64(want)+1))
			if err != nil {
				return nil, fmt.Errorf("hdf5: %s: deflate: %w", d.Path, err)
			}
			if n > int64(want) {
				return nil, fmt.Errorf("hdf5: %s: deflate output exceeds the chunk size %d", d.Path, want)
			}
			b = buf.Bytes()
		case 2:
			es := d.Type.Size
			if vals := d.filterVals[i]; len(vals) > 0 {
				es = int(vals[0])
			}
			if es > 1 && len(b)%es == 0 {
				n := len(b) / es
				o := make([]byte, len(b))
				for j := 0; j < es; j++ {
					for k := 0; k < n; k++ {
						o[k*es+j] = b[j*n+k]
					}
				}
				b = o
			}
		case 3:
			if len(b) < 4 {
				return nil, fmt.Errorf("hdf5: %s: fletcher32 chunk shorter than its checksum", d.Path)
			}
			sum := binary.BigEndian.Uint32(b[len(b)-4:])
			b = b[:len(b)-4]
			if fletcher32(b) != sum && bswap32(fletcher32(b)) != sum {
				return nil, fmt.Errorf("hdf5: %s: fletcher32 checksum mismatch", d.Path)
			}
		}
	}
	return b, nil
}

func bswap32(x uint32) uint32 {
	return x>>24 | (x>>8)&0xff00 | (x<<8)&0xff0000 | x<<24
}

// fletcher32 is HDF5's H5_checksum_fletcher32 over 16-bit big-endian words.
func fletcher32(b []byte) uint32 {
	var s1, s2 uint32
	n := len(b) / 2
	i := 0
	for n > 0 {
		t := min(n, 360)
		n -= t
		for ; t > 0; t-- {
			s1 += uint32(b[i])<<8 | uint32(b[i+1])
			s2 += s1
			i += 2
		}
		s1 = (s1 & 0xffff) + (s1 >> 16)
		s2 = (s2 & 0xffff) + (s2 >> 16)
	}
	if len(b)%2 == 1 {
		s1 += uint32(b[len(b)-1]) << 8
		s2 += s1
		s1 = (s1 & 0xffff) + (s1 >> 16)
		s2 = (s2 & 0xffff) + (s2 >> 16)
	}
	s1 = (s1 & 0xffff) + (s1 >> 16)
	s2 = (s2 & 0xffff) + (s2 >> 16)
	return s2<<16 | s1
}

func (d *Dataset) value() (*value, error) {
	raw, err := d.raw()
	if err != nil {
		return nil, err
	}
	return &value{ctx: d.Path, dt: d.Type, shape: d.Shape, raw: raw, f: d.f}, nil
}

// Float64 reads a numeric dataset as float64 in row-major order.
func (d *Dataset) Float64() ([]float64, error) {
	v, err := d.value()
	if err != nil {
		return nil, err
	}
	return v.float64s()
}

// Float32 reads a numeric dataset as float32 (float64 data is rounded).
func (d *Dataset) Float32() ([]float32, error) {
	v, err := d.value()
	if err != nil {
		return nil, err
	}
	return v.float32s()
}

// Int64 reads an integer dataset.
func (d *Dataset) Int64() ([]int64, error) {
	v, err := d.value()
	if err != nil {
		return nil, err
	}
	return v.int64s()
}

// Strings reads a fixed- or variable-length string dataset.
func (d *Dataset) Strings() ([]string, error) {
	v, err := d.value()
	if err != nil {
		return nil, err
	}
	return v.strings()
}

// Attrs returns the dataset's attributes.
func (d *Dataset) Attrs() ([]*Attribute, error) {
	return d.f.attributes(d.obj, d.Path)
}

// Attribute is an attribute of a group or dataset, with its value loaded.
type Attribute struct {
	Name  string
	Shape []int
	Type  Datatype
	v     *value
}

// Float64 returns the attribute's numeric value.
func (a *Attribute) Float64() ([]float64, error) { return a.v.float64s() }

// Int64 returns the attribute's integer value.
func (a *Attribute) Int64() ([]int64, error) { return a.v.int64s() }

// Strings returns the attribute's string value(s).
func (a *Attribute) Strings() ([]string, error) { return a.v.strings() }

func (f *File) attributes(o *object, path string) ([]*Attribute, error) {
	var out []*Attribute
	if m, ok := o.find(msgAttrInfo); ok {
		r := f.sub(m.data, "attribute info of "+path)
		r.u8()
		fl := r.u8()
		if fl&1 != 0 {
			r.skip(2)
		}
		fh := r.off()
		nameIndex := r.off()
		if r.err != nil {
			return nil, r.err
		}
		if fh != undef {
			dense, err := f.denseAttributes(fh, nameIndex, path)
			if err != nil {
				return nil, err
			}
			out = append(out, dense...)
		}
	}
	for _, m := range o.msgs {
		if m.typ != msgAttribute {
			continue
		}
		a, err := f.parseAttribute(m.data, path)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

func (f *File) parseAttribute(b []byte, path string) (*Attribute, error) {
	ctx := "attribute of " + path
	r := f.sub(b, ctx)
	ver := r.u8()
	aflags := r.u8()
	nameSize := int(r.u16())
	dtSize := int(r.u16())
	dsSize := int(r.u16())
	pad := func(n int) int { return n }
	switch ver {
	case 1:
		pad = func(n int) int { return (n + 7) &^ 7 }
	case 2:
	case 3:
		r.u8()
	default:
		if r.err == nil {
			return nil, fmt.Errorf("hdf5: %s: unsupported attribute message version %d", ctx, ver)
		}
	}
	name := r.bytes(pad(nameSize))
	if r.err != nil {
		return nil, r.err
	}
	if ver >= 2 && aflags&0x03 != 0 {
		return nil, fmt.Errorf("hdf5: %s: attribute %q uses a shared datatype or dataspace, which is not supported", ctx, bytes.TrimRight(name, "\x00"))
	}
	if nameSize > 0 && nameSize <= len(name) {
		name = name[:nameSize]
	}
	name = bytes.TrimRight(name, "\x00")
	ctx = fmt.Sprintf("attribute %q of %s", name, path)
	tb := r.bytes(pad(dtSize))
	sb := r.bytes(pad(dsSize))
	if r.err != nil {
		return nil, r.err
	}
	dt, _, err := f.parseDatatype(tb, ctx)
	if err != nil {
		return nil, err
	}
	dims, null, _, err := f.parseDataspace(sb, ctx)
	if err != nil {
		return nil, err
	}
	shape := make([]int, len(dims))
	n := uint64(dt.Size)
	for i, x := range dims {
		if x != 0 && n > uint64(len(b))/x {
			return nil, fmt.Errorf("hdf5: %s: shape %v larger than its message", ctx, dims)
		}
		n *= x
		shape[i] = int(x)
	}
	if null {
		n = 0
		shape = []int{0}
	}
	data := r.bytes(int(n))
	if r.err != nil {
		return nil, r.err
	}
	return &Attribute{Name: string(name), Shape: shape, Type: dt, v: &value{ctx: ctx, dt: dt, shape: shape, raw: data, f: f}}, nil
}
