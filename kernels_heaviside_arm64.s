//go:build !purego

#include "textflag.h"

// func heavisideImpl(out, in *float32, n int, threshold float32)
// out = (in ≥ θ) AND 1.0 (FCMGE is false for NaN), 16 then 4 then 1 floats
// at a time.
TEXT ·heavisideImpl(SB), NOSPLIT, $0-28
	MOVD out+0(FP), R0
	MOVD in+8(FP), R1
	MOVD n+16(FP), R2
	FMOVS threshold+24(FP), F8
	VDUP V8.S[0], V8.S4
	FMOVS $1.0, F9
	VDUP V9.S[0], V9.S4
hv16:
	CMP $16, R2
	BLT hv4
	VLD1.P 64(R1), [V0.S4, V1.S4, V2.S4, V3.S4]
	WORD $0x6e28e400 // FCMGE V0.4S, V0.4S, V8.4S
	WORD $0x6e28e421 // FCMGE V1.4S, V1.4S, V8.4S
	WORD $0x6e28e442 // FCMGE V2.4S, V2.4S, V8.4S
	WORD $0x6e28e463 // FCMGE V3.4S, V3.4S, V8.4S
	VAND V9.B16, V0.B16, V0.B16
	VAND V9.B16, V1.B16, V1.B16
	VAND V9.B16, V2.B16, V2.B16
	VAND V9.B16, V3.B16, V3.B16
	VST1.P [V0.S4, V1.S4, V2.S4, V3.S4], 64(R0)
	SUB $16, R2, R2
	B hv16
hv4:
	CMP $4, R2
	BLT hv1
	VLD1.P 16(R1), [V0.S4]
	WORD $0x6e28e400 // FCMGE V0.4S, V0.4S, V8.4S
	VAND V9.B16, V0.B16, V0.B16
	VST1.P [V0.S4], 16(R0)
	SUB $4, R2, R2
	B hv4
hv1:
	CBZ R2, hv_done
	FMOVS.P 4(R1), F0
	MOVW $0, R3
	FCMPS F8, F0 // flags of F0 − θ
	BLT hv_store  // LT is taken for less-than and unordered (NaN)
	MOVW $0x3f800000, R3
hv_store:
	MOVW.P R3, 4(R0)
	SUB $1, R2, R2
	B hv1
hv_done:
	RET
