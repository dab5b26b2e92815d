//go:build !purego

#include "textflag.h"

// func copyRows16Impl(dst, src *float32, rows, dstStride, srcStride int)
// One four-register load and store per row.
TEXT ·copyRows16Impl(SB), NOSPLIT, $0-40
	MOVD dst+0(FP), R0
	MOVD src+8(FP), R1
	MOVD rows+16(FP), R2
	MOVD dstStride+24(FP), R3
	MOVD srcStride+32(FP), R4
	CMP $0, R2
	BLE done
loop:
	VLD1 (R1), [V0.S4, V1.S4, V2.S4, V3.S4]
	VST1 [V0.S4, V1.S4, V2.S4, V3.S4], (R0)
	ADD R4, R1, R1
	ADD R3, R0, R0
	SUB $1, R2, R2
	CBNZ R2, loop
done:
	RET
