//go:build !purego

#include "textflag.h"

// func countNonzeroImpl(x *float32, n int) int
// FCMEQ against #0 gives −1 per zero lane (±0; NaN is not equal); the zeros
// are counted with SUB and subtracted from n at the end.
TEXT ·countNonzeroImpl(SB), NOSPLIT, $0-24
	MOVD x+0(FP), R0
	MOVD n+8(FP), R1
	MOVD R1, R5 // n
	VEOR V4.B16, V4.B16, V4.B16
	VEOR V5.B16, V5.B16, V5.B16
cnz16:
	CMP $16, R1
	BLT cnz4
	VLD1.P 64(R0), [V0.S4, V1.S4, V2.S4, V3.S4]
	WORD $0x4ea0d800 // FCMEQ V0.4S, V0.4S, #0.0
	WORD $0x4ea0d821 // FCMEQ V1.4S, V1.4S, #0.0
	WORD $0x4ea0d842 // FCMEQ V2.4S, V2.4S, #0.0
	WORD $0x4ea0d863 // FCMEQ V3.4S, V3.4S, #0.0
	VSUB V0.S4, V4.S4, V4.S4
	VSUB V1.S4, V5.S4, V5.S4
	VSUB V2.S4, V4.S4, V4.S4
	VSUB V3.S4, V5.S4, V5.S4
	SUB $16, R1, R1
	B cnz16
cnz4:
	CMP $4, R1
	BLT cnz_sum
	VLD1.P 16(R0), [V0.S4]
	WORD $0x4ea0d800 // FCMEQ V0.4S, V0.4S, #0.0
	VSUB V0.S4, V4.S4, V4.S4
	SUB $4, R1, R1
	B cnz4
cnz_sum:
	VADD V5.S4, V4.S4, V4.S4
	VADDV V4.S4, V4
	VMOV V4.S[0], R2 // zeros so far
cnz1:
	CBZ R1, cnz_ret
	FMOVS.P 4(R0), F0
	FCMPS $(0.0), F0
	BNE cnz_next // not equal, or unordered (NaN): non-zero
	ADD $1, R2, R2
cnz_next:
	SUB $1, R1, R1
	B cnz1
cnz_ret:
	SUB R2, R5, R5
	MOVD R5, ret+16(FP)
	RET
