//go:build !unix

package format

import (
	"fmt"
	"io"
	"math"
	"os"
)

// mapFile reads the whole file into 64-byte aligned memory (no mmap on this platform).
func mapFile(f *os.File, size int64) ([]byte, func() error, error) {
	if uint64(size) > math.MaxInt-64 {
		return nil, nil, fmt.Errorf("file of %d bytes is too large to read", size)
	}
	words := make([]uint64, (size+7)/8)
	buf := wordsToBytes(words)[:size:size]
	if _, err := io.ReadFull(f, buf); err != nil {
		return nil, nil, fmt.Errorf("read: %w", err)
	}
	return buf, func() error { return nil }, nil
}
