//go:build !purego

#include "textflag.h"

// func divChannelsImpl(out, in, d *float32, rows, c int)
// DIVPS on four channels at a time, DIVSS for the c mod 4 tail (SSE: every
// amd64 CPU has it).
TEXT ·divChannelsImpl(SB), NOSPLIT, $0-40
	MOVQ out+0(FP), DI
	MOVQ in+8(FP), SI
	MOVQ d+16(FP), DX
	MOVQ rows+24(FP), CX
	MOVQ c+32(FP), R8
	MOVQ R8, R9
	ANDQ $-4, R9 // channels in groups of four
row:
	TESTQ CX, CX
	JLE done
	XORQ AX, AX
quad:
	CMPQ AX, R9
	JGE tail
	MOVUPS (SI)(AX*4), X0
	MOVUPS (DX)(AX*4), X1
	DIVPS X1, X0
	MOVUPS X0, (DI)(AX*4)
	ADDQ $4, AX
	JMP quad
tail:
	CMPQ AX, R8
	JGE next
	MOVSS (SI)(AX*4), X0
	DIVSS (DX)(AX*4), X0
	MOVSS X0, (DI)(AX*4)
	INCQ AX
	JMP tail
next:
	LEAQ (SI)(R8*4), SI
	LEAQ (DI)(R8*4), DI
	DECQ CX
	JMP row
done:
	RET
