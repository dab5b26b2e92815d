//go:build !purego

#include "textflag.h"

// func sumRowsImpl(sum, x *float32, rows, c int)
// Channels in chunks of 32 (eight NEON accumulators), then of 4, then
// single; each chunk walks all rows in order.
TEXT ·sumRowsImpl(SB), NOSPLIT, $0-32
	MOVD sum+0(FP), R0
	MOVD x+8(FP), R1
	MOVD rows+16(FP), R2
	MOVD c+24(FP), R3
	LSL $2, R3, R4 // row stride in bytes
	MOVD $0, R5    // channel
c32:
	ADD $32, R5, R6
	CMP R3, R6
	BGT c4
	ADD R5<<2, R0, R7
	VLD1 (R7), [V0.S4, V1.S4, V2.S4, V3.S4]
	ADD $64, R7, R8
	VLD1 (R8), [V4.S4, V5.S4, V6.S4, V7.S4]
	ADD R5<<2, R1, R10
	MOVD R2, R11
c32_r:
	VLD1 (R10), [V16.S4, V17.S4, V18.S4, V19.S4]
	ADD $64, R10, R12
	VLD1 (R12), [V20.S4, V21.S4, V22.S4, V23.S4]
	WORD $0x4e30d400 // FADD V0.4S, V0.4S, V16.4S
	WORD $0x4e31d421 // FADD V1.4S, V1.4S, V17.4S
	WORD $0x4e32d442 // FADD V2.4S, V2.4S, V18.4S
	WORD $0x4e33d463 // FADD V3.4S, V3.4S, V19.4S
	WORD $0x4e34d484 // FADD V4.4S, V4.4S, V20.4S
	WORD $0x4e35d4a5 // FADD V5.4S, V5.4S, V21.4S
	WORD $0x4e36d4c6 // FADD V6.4S, V6.4S, V22.4S
	WORD $0x4e37d4e7 // FADD V7.4S, V7.4S, V23.4S
	ADD R4, R10, R10
	SUBS $1, R11, R11
	BNE c32_r
	VST1 [V0.S4, V1.S4, V2.S4, V3.S4], (R7)
	VST1 [V4.S4, V5.S4, V6.S4, V7.S4], (R8)
	MOVD R6, R5
	B c32
c4:
	ADD $4, R5, R6
	CMP R3, R6
	BGT c1
	ADD R5<<2, R0, R7
	VLD1 (R7), [V0.S4]
	ADD R5<<2, R1, R10
	MOVD R2, R11
c4_r:
	VLD1 (R10), [V16.S4]
	WORD $0x4e30d400 // FADD V0.4S, V0.4S, V16.4S
	ADD R4, R10, R10
	SUBS $1, R11, R11
	BNE c4_r
	VST1 [V0.S4], (R7)
	MOVD R6, R5
	B c4
c1:
	CMP R3, R5
	BGE done
	ADD R5<<2, R0, R7
	FMOVS (R7), F0
	ADD R5<<2, R1, R10
	MOVD R2, R11
c1_r:
	FMOVS (R10), F1
	FADDS F1, F0, F0
	ADD R4, R10, R10
	SUBS $1, R11, R11
	BNE c1_r
	FMOVS F0, (R7)
	ADD $1, R5, R5
	B c1
done:
	RET
