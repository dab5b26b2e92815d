// Command spikessm converts, inspects, runs and benchmarks spiking state space models.
//
//	spikessm run      [--model M.ssm --input X] [--json]   classify sequences (no flags: the embedded model)
//	spikessm convert  IN -o OUT.ssm [flags]                 import a PyTorch/Lightning/NIR checkpoint
//	spikessm inspect  FILE [--json]                         describe a .ssm model
//	spikessm bench    [flags] | bench compare A.json B.json benchmark kernels and models
//	spikessm version  [--variants]                          version, kernel variant and CPU features
//
// Exit status: 0 on success, 1 when the work failed (bad file, model error), 2 on a usage error.
//
// The command owns only argument parsing, file I/O for the user, progress and output formatting;
// the work itself belongs to the packages it calls (convert, format, runtime, bench). It must not
// contain model logic or numerics of its own.
package main
