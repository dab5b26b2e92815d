package format

//go:generate flatc --go --go-namespace fb -o internal spikessm.fbs
