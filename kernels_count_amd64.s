//go:build !purego

#include "textflag.h"

// func countNonzeroImpl(x *float32, n int) int
// CMPPS NEQ against zero gives −1 per non-zero lane (unordered NEQ: NaN counts),
// PSUBL accumulates it in four int32 counters per register (at most 2^31
// floats per call are counted per lane: callers pass far fewer); the tail and
// the final sum are scalar. SSE2: every amd64 CPU has it.
TEXT ·countNonzeroImpl(SB), NOSPLIT, $0-24
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	XORPS X15, X15 // zero
	PXOR X4, X4    // counters
	PXOR X5, X5
	PXOR X6, X6
	PXOR X7, X7
cnz16:
	CMPQ CX, $16
	JLT cnz4
	MOVUPS 0(SI), X0
	MOVUPS 16(SI), X1
	MOVUPS 32(SI), X2
	MOVUPS 48(SI), X3
	CMPPS X15, X0, $4
	CMPPS X15, X1, $4
	CMPPS X15, X2, $4
	CMPPS X15, X3, $4
	PSUBL X0, X4
	PSUBL X1, X5
	PSUBL X2, X6
	PSUBL X3, X7
	ADDQ $64, SI
	SUBQ $16, CX
	JMP cnz16
cnz4:
	CMPQ CX, $4
	JLT cnz_sum
	MOVUPS (SI), X0
	CMPPS X15, X0, $4
	PSUBL X0, X4
	ADDQ $16, SI
	SUBQ $4, CX
	JMP cnz4
cnz_sum:
	PADDL X5, X4
	PADDL X7, X6
	PADDL X6, X4
	PSHUFD $0x4e, X4, X5
	PADDL X5, X4
	PSHUFD $0xb1, X4, X5
	PADDL X5, X4
	MOVL X4, AX
cnz1:
	TESTQ CX, CX
	JZ cnz_ret
	MOVL (SI), DX
	SHLL $1, DX // drop the sign
	NEGL DX     // carry set when non-zero
	ADCQ $0, AX
	ADDQ $4, SI
	DECQ CX
	JMP cnz1
cnz_ret:
	MOVQ AX, ret+16(FP)
	RET
