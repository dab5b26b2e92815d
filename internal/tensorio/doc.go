// Package tensorio reads the user input files the CLI accepts for `spikessm run`: NumPy .npy
// arrays, CSV text and safetensors, each turned into a float32 tensor with a shape.
//
// It owns only file parsing and dtype conversion. It knows nothing about models: checking that a
// tensor fits a model's input is the runtime's job. It must never panic on a hostile file, and it
// never allocates more than the file's size implies.
package tensorio
