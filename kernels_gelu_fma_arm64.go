package spikessm

// On arm64 the compiler fuses a float32 a*b + c into one FMADDS (single
// rounding), which is exactly fma32; TestFMA32 checks it against exact
// arithmetic, so a compiler that stopped fusing would be caught.

// fma32 is the float32 fused multiply-add a·b + c with one rounding.
func fma32(a, b, c float32) float32 { return a*b + c }

// fma32Fast is fma32; the flag (redo the element exactly) is never set.
func fma32Fast(a, b, c float32) (float32, bool) { return a*b + c, false }
