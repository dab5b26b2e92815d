//go:build !purego

#include "textflag.h"

// func sumRowsImpl(sum, x *float32, rows, c int)
// Channels in chunks of 32 (eight SSE accumulators, so the row loop is
// bound by add throughput rather than latency), then of 4, then single;
// each chunk walks all rows in order (SSE: every amd64 CPU has it).
TEXT ·sumRowsImpl(SB), NOSPLIT, $0-32
	MOVQ sum+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ rows+16(FP), CX
	MOVQ c+24(FP), R8
	LEAQ (R8*4), R9 // row stride in bytes
	XORQ AX, AX     // channel
c32:
	LEAQ 32(AX), DX
	CMPQ DX, R8
	JGT c4
	MOVUPS 0(DI)(AX*4), X0
	MOVUPS 16(DI)(AX*4), X1
	MOVUPS 32(DI)(AX*4), X2
	MOVUPS 48(DI)(AX*4), X3
	MOVUPS 64(DI)(AX*4), X4
	MOVUPS 80(DI)(AX*4), X5
	MOVUPS 96(DI)(AX*4), X6
	MOVUPS 112(DI)(AX*4), X7
	LEAQ (SI)(AX*4), R10
	MOVQ CX, BX
c32_r:
	MOVUPS 0(R10), X8
	ADDPS X8, X0
	MOVUPS 16(R10), X9
	ADDPS X9, X1
	MOVUPS 32(R10), X10
	ADDPS X10, X2
	MOVUPS 48(R10), X11
	ADDPS X11, X3
	MOVUPS 64(R10), X8
	ADDPS X8, X4
	MOVUPS 80(R10), X9
	ADDPS X9, X5
	MOVUPS 96(R10), X10
	ADDPS X10, X6
	MOVUPS 112(R10), X11
	ADDPS X11, X7
	ADDQ R9, R10
	DECQ BX
	JNZ c32_r
	MOVUPS X0, 0(DI)(AX*4)
	MOVUPS X1, 16(DI)(AX*4)
	MOVUPS X2, 32(DI)(AX*4)
	MOVUPS X3, 48(DI)(AX*4)
	MOVUPS X4, 64(DI)(AX*4)
	MOVUPS X5, 80(DI)(AX*4)
	MOVUPS X6, 96(DI)(AX*4)
	MOVUPS X7, 112(DI)(AX*4)
	MOVQ DX, AX
	JMP c32
c4:
	LEAQ 4(AX), DX
	CMPQ DX, R8
	JGT c1
	MOVUPS (DI)(AX*4), X0
	LEAQ (SI)(AX*4), R10
	MOVQ CX, BX
c4_r:
	MOVUPS (R10), X8
	ADDPS X8, X0
	ADDQ R9, R10
	DECQ BX
	JNZ c4_r
	MOVUPS X0, (DI)(AX*4)
	MOVQ DX, AX
	JMP c4
c1:
	CMPQ AX, R8
	JGE done
	MOVSS (DI)(AX*4), X0
	LEAQ (SI)(AX*4), R10
	MOVQ CX, BX
c1_r:
	ADDSS (R10), X0
	ADDQ R9, R10
	DECQ BX
	JNZ c1_r
	MOVSS X0, (DI)(AX*4)
	INCQ AX
	JMP c1
done:
	RET
