// Command gen makes the embedded default model and test set of package embedded: it converts the
// SPikE-SSM reference checkpoint with the project's converter and extracts the length-1024 test
// split from the reference fixtures.
//
//	go generate ./internal/embedded
package main
