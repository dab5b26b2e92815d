//go:build !purego

#include "textflag.h"

// func copyRows16Impl(dst, src *float32, rows, dstStride, srcStride int)
// Four unaligned 16-byte moves per row (SSE2: every amd64 CPU has them).
TEXT ·copyRows16Impl(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ rows+16(FP), CX
	MOVQ dstStride+24(FP), R8
	MOVQ srcStride+32(FP), R9
	TESTQ CX, CX
	JLE done
loop:
	MOVUPS 0(SI), X0
	MOVUPS 16(SI), X1
	MOVUPS 32(SI), X2
	MOVUPS 48(SI), X3
	MOVUPS X0, 0(DI)
	MOVUPS X1, 16(DI)
	MOVUPS X2, 32(DI)
	MOVUPS X3, 48(DI)
	ADDQ R9, SI
	ADDQ R8, DI
	DECQ CX
	JNZ loop
done:
	RET

// func addRows16Impl(dst, src *float32, rows, dstStride, srcStride int)
TEXT ·addRows16Impl(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ rows+16(FP), CX
	MOVQ dstStride+24(FP), R8
	MOVQ srcStride+32(FP), R9
	TESTQ CX, CX
	JLE add_done
add_loop:
	MOVUPS 0(DI), X0
	MOVUPS 16(DI), X1
	MOVUPS 32(DI), X2
	MOVUPS 48(DI), X3
	MOVUPS 0(SI), X4
	MOVUPS 16(SI), X5
	MOVUPS 32(SI), X6
	MOVUPS 48(SI), X7
	ADDPS X4, X0
	ADDPS X5, X1
	ADDPS X6, X2
	ADDPS X7, X3
	MOVUPS X0, 0(DI)
	MOVUPS X1, 16(DI)
	MOVUPS X2, 32(DI)
	MOVUPS X3, 48(DI)
	ADDQ R9, SI
	ADDQ R8, DI
	DECQ CX
	JNZ add_loop
add_done:
	RET
