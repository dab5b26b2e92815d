//go:build !purego

#include "textflag.h"

DATA heaviside_one<>+0(SB)/4, $0x3f800000
GLOBL heaviside_one<>(SB), RODATA|NOPTR, $4

// func heavisideImpl(out, in *float32, n int, threshold float32)
// out = (θ ≤ in) AND 1.0, 16 then 4 then 1 floats at a time (SSE: every
// amd64 CPU has it; LE is an ordered compare, so NaN gives 0).
TEXT ·heavisideImpl(SB), NOSPLIT, $0-28
	MOVQ out+0(FP), DI
	MOVQ in+8(FP), SI
	MOVQ n+16(FP), CX
	MOVSS threshold+24(FP), X8
	SHUFPS $0, X8, X8
	MOVSS heaviside_one<>(SB), X9
	SHUFPS $0, X9, X9
hv16:
	CMPQ CX, $16
	JLT hv4
	MOVUPS 0(SI), X4 // legacy SSE memory operands must be aligned: load first
	MOVUPS 16(SI), X5
	MOVUPS 32(SI), X6
	MOVUPS 48(SI), X7
	MOVUPS X8, X0
	MOVUPS X8, X1
	MOVUPS X8, X2
	MOVUPS X8, X3
	CMPPS X4, X0, $2
	CMPPS X5, X1, $2
	CMPPS X6, X2, $2
	CMPPS X7, X3, $2
	ANDPS X9, X0
	ANDPS X9, X1
	ANDPS X9, X2
	ANDPS X9, X3
	MOVUPS X0, 0(DI)
	MOVUPS X1, 16(DI)
	MOVUPS X2, 32(DI)
	MOVUPS X3, 48(DI)
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JMP hv16
hv4:
	CMPQ CX, $4
	JLT hv1
	MOVUPS (SI), X4
	MOVUPS X8, X0
	CMPPS X4, X0, $2
	ANDPS X9, X0
	MOVUPS X0, (DI)
	ADDQ $16, SI
	ADDQ $16, DI
	SUBQ $4, CX
	JMP hv4
hv1:
	TESTQ CX, CX
	JLE hv_done
	MOVSS X8, X0
	CMPSS (SI), X0, $2
	ANDPS X9, X0
	MOVSS X0, (DI)
	ADDQ $4, SI
	ADDQ $4, DI
	DECQ CX
	JMP hv1
hv_done:
	RET
