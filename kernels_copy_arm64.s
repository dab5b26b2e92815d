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

// func addRows16Impl(dst, src *float32, rows, dstStride, srcStride int)
TEXT ·addRows16Impl(SB), NOSPLIT, $0-40
	MOVD dst+0(FP), R0
	MOVD src+8(FP), R1
	MOVD rows+16(FP), R2
	MOVD dstStride+24(FP), R3
	MOVD srcStride+32(FP), R4
	CMP $0, R2
	BLE add_done
add_loop:
	VLD1 (R0), [V0.S4, V1.S4, V2.S4, V3.S4]
	VLD1 (R1), [V4.S4, V5.S4, V6.S4, V7.S4]
	WORD $0x4e24d400 // FADD V0.4S, V0.4S, V4.4S
	WORD $0x4e25d421 // FADD V1.4S, V1.4S, V5.4S
	WORD $0x4e26d442 // FADD V2.4S, V2.4S, V6.4S
	WORD $0x4e27d463 // FADD V3.4S, V3.4S, V7.4S
	VST1 [V0.S4, V1.S4, V2.S4, V3.S4], (R0)
	ADD R4, R1, R1
	ADD R3, R0, R0
	SUB $1, R2, R2
	CBNZ R2, add_loop
add_done:
	RET
