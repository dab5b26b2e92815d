// Package build makes the bytes of package embedded: the converted default model and the test
// set. It is used by the generator and by the test that checks the committed files are fresh.
// It must not be imported by the runtime or the CLI: it pulls in the converter.
package build
