package format

import (
	"fmt"
	"os"
)

// Open maps the file at path read-only (mmap on unix; read into memory elsewhere)
// and opens it. Close unmaps it.
func Open(path string) (*Model, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("format: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("format: %w", err)
	}
	size := st.Size()
	if size < 12 {
		return nil, fmt.Errorf("format: %s: %d bytes is too short for a spikessm model", path, size)
	}
	data, unmap, err := mapFile(f, size)
	if err != nil {
		return nil, fmt.Errorf("format: %s: %w", path, err)
	}
	m, err := fromBytes(path, data, unmap)
	if err != nil {
		unmap()
		return nil, err
	}
	return m, nil
}

// OpenReaderAt opens path with plain reads instead of mmap: only the FlatBuffer part
// is read at open, each tensor on first access. Close closes the file.
func OpenReaderAt(path string) (*Model, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("format: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("format: %w", err)
	}
	m, err := fromReaderAt(path, f, st.Size())
	if err != nil {
		f.Close()
		return nil, err
	}
	m.unmap = f.Close
	return m, nil
}
