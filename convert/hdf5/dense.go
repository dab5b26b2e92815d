package hdf5

import (
	"fmt"
)

// Dense storage: groups with many links and objects with many attributes
// in files written with libver="latest" keep their link / attribute
// messages as objects of a fractal heap, indexed by name in a version 2
// B-tree. This reader supports the common small case: a B-tree whose root
// is a leaf (depth 0) and a heap whose root is a direct block or an
// indirect block of direct blocks; larger structures are refused by name.

// fractalHeap is the parsed header of a fractal heap.
type fractalHeap struct {
	addr        uint64
	idLen       int
	filtered    bool
	checksumDB  bool
	tableWidth  int
	startBlock  uint64
	maxDirect   uint64
	maxHeapBits int
	root        uint64
	rootRows    int
	offBytes    int // bytes of a heap offset (max heap size bits / 8, rounded up)
}

func (f *File) readFractalHeap(addr uint64, ctx string) (*fractalHeap, error) {
	ctx += " (fractal heap)"
	r := f.reader(addr, ctx)
	start := r.pos
	r.sig("FRHP")
	if v := r.u8(); r.err == nil && v != 0 {
		return nil, fmt.Errorf("hdf5: %s: unsupported version %d", ctx, v)
	}
	h := &fractalHeap{addr: addr}
	h.idLen = int(r.u16())
	filterLen := int(r.u16())
	flags := r.u8()
	h.checksumDB = flags&0x02 != 0
	r.u32()    // max managed object size
	r.length() // next huge object id
	r.off()    // huge object B-tree
	r.length() // free space
	r.off()    // free-space manager
	r.length() // managed space
	r.length() // allocated managed space
	r.length() // direct block allocation iterator
	r.length() // managed objects
	r.length() // huge objects size
	r.length() // huge objects count
	r.length() // tiny objects size
	r.length() // tiny objects count
	h.tableWidth = int(r.u16())
	h.startBlock = r.length()
	h.maxDirect = r.length()
	h.maxHeapBits = int(r.u16())
	r.u16() // starting rows of the root indirect block
	h.root = r.off()
	h.rootRows = int(r.u16())
	if filterLen > 0 {
		h.filtered = true
	}
	if r.err != nil {
		return nil, r.err
	}
	if !h.filtered {
		if err := f.checksum(r.b[start:r.pos], r.b, r.pos, ctx); err != nil {
			return nil, err
		}
	}
	if h.filtered {
		return nil, fmt.Errorf("hdf5: %s: filtered fractal heaps are not supported", ctx)
	}
	if h.maxHeapBits < 1 || h.maxHeapBits > 64 || h.tableWidth < 1 || h.tableWidth > 1<<12 || h.startBlock == 0 || h.maxDirect < h.startBlock || h.idLen < 2 || h.idLen > 64 {
		return nil, fmt.Errorf("hdf5: %s: invalid header parameters", ctx)
	}
	h.offBytes = (h.maxHeapBits + 7) / 8
	return h, nil
}

// object returns the bytes of the heap object with the given heap ID.
func (f *File) heapObject(h *fractalHeap, id []byte, ctx string) ([]byte, error) {
	if len(id) != h.idLen {
		return nil, fmt.Errorf("hdf5: %s: heap ID of %d bytes, want %d", ctx, len(id), h.idLen)
	}
	typ := (id[0] >> 4) & 3
	switch typ {
	case 2: // tiny: the data is in the ID
		n := int(id[0]&0x0f) + 1
		if 1+n > len(id) {
			return nil, fmt.Errorf("hdf5: %s: tiny heap object of %d bytes in a %d-byte ID", ctx, n, len(id))
		}
		return id[1 : 1+n], nil
	case 0:
	default:
		return nil, fmt.Errorf("hdf5: %s: huge fractal heap objects are not supported", ctx)
	}
	r := f.sub(id[1:], ctx)
	off := r.uN(h.offBytes)
	lenBytes := min(h.idLen-1-h.offBytes, 8)
	length := r.uN(lenBytes)
	if r.err != nil {
		return nil, r.err
	}
	blk, blkOff, blkSize, err := f.heapBlock(h, off, ctx)
	if err != nil {
		return nil, err
	}
	rel := off - blkOff
	if length == 0 || rel+length > blkSize || rel+length < rel {
		return nil, fmt.Errorf("hdf5: %s: heap object (offset %d, %d bytes) outside its block", ctx, off, length)
	}
	br := f.reader(blk, ctx)
	if br.err != nil {
		return nil, br.err
	}
	if blkSize > uint64(len(br.b)-br.pos) {
		return nil, fmt.Errorf("hdf5: %s: direct block beyond the file", ctx)
	}
	b := br.b[br.pos : br.pos+int(blkSize)]
	if string(b[:4]) != "FHDB" {
		return nil, fmt.Errorf("hdf5: %s: direct block lacks the FHDB signature", ctx)
	}
	hdr := uint64(4 + 1 + f.offSize + h.offBytes)
	if h.checksumDB {
		hdr += 4
	}
	if rel < hdr {
		return nil, fmt.Errorf("hdf5: %s: heap object offset %d inside the block header", ctx, off)
	}
	return b[rel : rel+length], nil
}

// heapBlock finds the direct block holding heap offset off and returns its
// address, heap offset and size.
func (f *File) heapBlock(h *fractalHeap, off uint64, ctx string) (addr, blkOff, size uint64, err error) {
	if h.rootRows == 0 { // root is a direct block
		return h.root, 0, h.startBlock, nil
	}
	// Root indirect block: rows of tableWidth blocks; rows 0 and 1 have the
	// starting size, each further row doubles it. Only direct rows are
	// supported.
	maxDirectRows := 2
	for s := h.startBlock; s < h.maxDirect; s *= 2 {
		maxDirectRows++
	}
	if h.rootRows > maxDirectRows {
		return 0, 0, 0, fmt.Errorf("hdf5: %s: fractal heaps with nested indirect blocks are not supported", ctx)
	}
	r := f.reader(h.root, ctx)
	r.sig("FHIB")
	r.u8()
	r.off()
	r.uN(h.offBytes)
	var pos uint64
	for row := 0; row < h.rootRows && r.err == nil; row++ {
		bs := h.startBlock
		if row > 1 {
			bs = h.startBlock << uint(row-1)
		}
		for col := 0; col < h.tableWidth && r.err == nil; col++ {
			a := r.off()
			if r.err == nil && off >= pos && off < pos+bs {
				if a == undef {
					return 0, 0, 0, fmt.Errorf("hdf5: %s: heap offset %d in an unallocated block", ctx, off)
				}
				return a, pos, bs, nil
			}
			pos += bs
		}
	}
	if r.err != nil {
		return 0, 0, 0, r.err
	}
	return 0, 0, 0, fmt.Errorf("hdf5: %s: heap offset %d beyond the heap", ctx, off)
}

// encSize is H5VM_limit_enc_size: the bytes needed to encode counts up to n.
func encSize(n uint64) int {
	b := 0
	for n > 1 {
		n >>= 1
		b++
	}
	return b/8 + 1
}

// v2BTreeRecords returns every record of a version 2 B-tree, in key order.
func (f *File) v2BTreeRecords(addr uint64, wantType uint8, ctx string) ([][]byte, error) {
	ctx += " (v2 B-tree)"
	r := f.reader(addr, ctx)
	start := r.pos
	r.sig("BTHD")
	r.u8()
	typ := r.u8()
	nodeSize := uint64(r.u32())
	recSize := int(r.u16())
	depth := int(r.u16())
	r.u8()
	r.u8()
	root := r.off()
	n := int(r.u16())
	total := r.length()
	if r.err != nil {
		return nil, r.err
	}
	if err := f.checksum(r.b[start:r.pos], r.b, r.pos, ctx); err != nil {
		return nil, err
	}
	if typ != wantType {
		return nil, fmt.Errorf("hdf5: %s: B-tree type %d, want %d", ctx, typ, wantType)
	}
	if recSize < 1 || nodeSize < 16 || nodeSize > uint64(len(f.data)) || depth > maxBTreeDepth {
		return nil, fmt.Errorf("hdf5: %s: invalid header (node size %d, record size %d, depth %d)", ctx, nodeSize, recSize, depth)
	}
	if total > uint64(len(f.data)/recSize) {
		return nil, fmt.Errorf("hdf5: %s: %d records cannot fit in the file", ctx, total)
	}
	if root == undef || n == 0 {
		return nil, nil
	}
	// Per-depth sizes of the child pointers, as H5B2 computes them.
	maxNrec := make([]uint64, depth+1)
	cumMax := make([]uint64, depth+1)
	cumSize := make([]int, depth+1)
	maxNrec[0] = (nodeSize - 10) / uint64(recSize)
	cumMax[0] = maxNrec[0]
	cumSize[0] = encSize(cumMax[0])
	nrecSize := encSize(maxNrec[0])
	for d := 1; d <= depth; d++ {
		ptr := uint64(f.offSize + nrecSize)
		if d > 1 {
			ptr += uint64(cumSize[d-1])
		}
		maxNrec[d] = (nodeSize - 10) / (uint64(recSize) + ptr)
		cumMax[d] = (maxNrec[d]+1)*cumMax[d-1] + maxNrec[d]
		cumSize[d] = encSize(cumMax[d])
	}
	var out [][]byte
	seen := map[uint64]bool{}
	var walk func(addr uint64, n, d int) error
	walk = func(addr uint64, n, d int) error {
		if seen[addr] {
			return fmt.Errorf("hdf5: %s: node %d visited twice", ctx, addr)
		}
		seen[addr] = true
		nr := f.reader(addr, ctx)
		if d == 0 {
			nr.sig("BTLF")
		} else {
			nr.sig("BTIN")
		}
		nr.u8()
		if t := nr.u8(); nr.err == nil && t != typ {
			return fmt.Errorf("hdf5: %s: node type %d, want %d", ctx, t, typ)
		}
		if nr.err != nil {
			return nr.err
		}
		if n < 0 || n*recSize > len(nr.b)-nr.pos || uint64(n) > maxNrec[d] {
			return fmt.Errorf("hdf5: %s: node with %d records of %d bytes is invalid", ctx, n, recSize)
		}
		recs := make([][]byte, n)
		for i := range recs {
			recs[i] = nr.bytes(recSize)
		}
		if d == 0 {
			out = append(out, recs...)
			return nr.err
		}
		type child struct {
			addr uint64
			n    int
		}
		kids := make([]child, n+1)
		for i := range kids {
			kids[i].addr = nr.off()
			kids[i].n = int(nr.uN(nrecSize))
			if d > 1 {
				nr.uN(cumSize[d-1])
			}
		}
		if nr.err != nil {
			return nr.err
		}
		// In-order: child 0, record 0, child 1, record 1, ..., child n.
		for i, k := range kids {
			if err := walk(k.addr, k.n, d-1); err != nil {
				return err
			}
			if i < n {
				out = append(out, recs[i])
			}
		}
		return nil
	}
	if err := walk(root, n, depth); err != nil {
		return nil, err
	}
	return out, nil
}

// denseLinks reads the links of a group with dense link storage.
func (g *Group) denseLinks(heapAddr, btree uint64) error {
	ctx := "links of " + g.Path
	h, err := g.f.readFractalHeap(heapAddr, ctx)
	if err != nil {
		return err
	}
	recs, err := g.f.v2BTreeRecords(btree, 5, ctx)
	if err != nil {
		return err
	}
	for _, rec := range recs {
		if len(rec) < 4+h.idLen {
			return fmt.Errorf("hdf5: %s: link record of %d bytes", ctx, len(rec))
		}
		obj, err := g.f.heapObject(h, rec[4:4+h.idLen], ctx)
		if err != nil {
			return err
		}
		l, err := g.f.parseLink(obj, g.Path)
		if err != nil {
			return err
		}
		g.links = append(g.links, l)
	}
	return nil
}

// denseAttributes reads the attributes of an object with dense attribute
// storage.
func (f *File) denseAttributes(heapAddr, btree uint64, path string) ([]*Attribute, error) {
	ctx := "attributes of " + path
	h, err := f.readFractalHeap(heapAddr, ctx)
	if err != nil {
		return nil, err
	}
	recs, err := f.v2BTreeRecords(btree, 8, ctx)
	if err != nil {
		return nil, err
	}
	var out []*Attribute
	for _, rec := range recs {
		if len(rec) < h.idLen {
			return nil, fmt.Errorf("hdf5: %s: attribute record of %d bytes", ctx, len(rec))
		}
		obj, err := f.heapObject(h, rec[:h.idLen], ctx)
		if err != nil {
			return nil, err
		}
		a, err := f.parseAttribute(obj, path)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}
