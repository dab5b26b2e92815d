package format

// The generated code is committed; TestGeneratedCodeUpToDate fails when it is stale.
//go:generate flatc --go --go-namespace fb -o internal spikessm.fbs
//go:generate gofmt -w internal/fb
